namespace Vigil.Storage;

/// <summary>
/// The database option is invalid. The message says what is wrong and what is accepted,
/// and never repeats the option itself, which may contain a password.
/// </summary>
public sealed class StorageConfigurationException : Exception
{
    public StorageConfigurationException()
    {
    }

    public StorageConfigurationException(string message)
        : base(message)
    {
    }

    public StorageConfigurationException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
