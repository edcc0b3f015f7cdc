using System.Runtime.CompilerServices;

namespace Vigil.Web.Tests;

internal static class SocketThreads
{
    /// <summary>
    /// The tests run sockets as the vigil executable does (its Program.cs sets this before any socket is used):
    /// completions inline on the socket engine's threads, which with Kestrel's inline scheduling is where requests start.
    /// </summary>
    [ModuleInitializer]
    internal static void AsTheExecutableDoes()
    {
        if (Environment.GetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS") is null)
        {
            Environment.SetEnvironmentVariable("DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS", "1");
        }
    }
}
