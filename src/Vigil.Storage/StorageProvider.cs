using Microsoft.Data.Sqlite;
using Npgsql;

namespace Vigil.Storage;

/// <summary>Which database engine Vigil stores its state in.</summary>
public enum StorageKind
{
    /// <summary>A single SQLite file: the default, for one instance.</summary>
    Sqlite,

    /// <summary>A PostgreSQL database: for teams and for several instances side by side.</summary>
    PostgreSql,
}

/// <summary>
/// The database Vigil uses, resolved from the command line by <see cref="VigilStorage.Parse"/>.
/// <see cref="ConnectionString"/> may hold a password: log <see cref="Describe"/> instead, which never shows it.
/// </summary>
public sealed class StorageProvider
{
    private readonly string _description;

    private StorageProvider(StorageKind kind, string connectionString, string description)
    {
        Kind = kind;
        ConnectionString = connectionString;
        _description = description;
    }

    public StorageKind Kind { get; }

    /// <summary>The ADO.NET connection string. Secret: may contain the database password.</summary>
    public string ConnectionString { get; }

    /// <summary>A SQLite database in the file at <paramref name="path"/>.</summary>
    public static StorageProvider ForSqliteFile(string path)
    {
        var fullPath = Path.GetFullPath(path);
        var connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = fullPath,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
        }.ToString();
        return new StorageProvider(StorageKind.Sqlite, connectionString, $"SQLite file {fullPath}");
    }

    /// <summary>A PostgreSQL database described by an Npgsql connection string.</summary>
    /// <exception cref="StorageConfigurationException">The connection string is malformed or names no host.</exception>
    public static StorageProvider ForPostgreSql(string connectionString)
    {
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = new NpgsqlConnectionStringBuilder(connectionString);
        }
        catch (ArgumentException)
        {
            // Npgsql's message can quote the offending part of the string, which may be the password.
            throw new StorageConfigurationException(
                "The PostgreSQL connection string is malformed: expected 'Host=...;Username=...;Password=...;Database=...' or a postgres:// URL.");
        }
        return FromBuilder(builder);
    }

    internal static StorageProvider FromBuilder(NpgsqlConnectionStringBuilder builder)
    {
        if (string.IsNullOrWhiteSpace(builder.Host))
        {
            throw new StorageConfigurationException("The PostgreSQL connection string names no host (Host=...).");
        }
        var database = string.IsNullOrEmpty(builder.Database) ? "(default database)" : builder.Database;
        var user = string.IsNullOrEmpty(builder.Username) ? "(default user)" : builder.Username;
        var description = $"PostgreSQL {builder.Host}:{builder.Port}/{database} as {user} (sslmode {builder.SslMode.ToString().ToLowerInvariant()})";
        return new StorageProvider(StorageKind.PostgreSql, builder.ConnectionString, description);
    }

    /// <summary>What the database is, for logs and diagnostics; never includes a password.</summary>
    public string Describe() => _description;

    /// <summary>Same as <see cref="Describe"/>, so an accidental interpolation cannot leak the connection string.</summary>
    public override string ToString() => _description;
}
