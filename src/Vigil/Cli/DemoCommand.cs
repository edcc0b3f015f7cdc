using System.CommandLine;
using Vigil.Core.Workspace;
using Vigil.Web.Hosting;
using Vigil.Web.Security;

namespace Vigil.Cli;

/// <summary>
/// <c>vigil demo</c>: serves the bundled demo workspace (shipped beside the executable, so it runs
/// from any folder) with a throw-away database and an admin token printed for the newcomer.
/// </summary>
internal static class DemoCommand
{
    public static string DemoWorkspace => Path.Combine(AppContext.BaseDirectory, "examples", "demo");

    public static Command Build()
    {
        var urls = CommonOptions.Urls();
        var command = new Command("demo", "Run Vigil on its bundled demo workspace.") { urls };
        command.SetAction(async (result, ct) =>
        {
            var output = result.InvocationConfiguration.Output;
            if (!File.Exists(Path.Combine(DemoWorkspace, WorkspaceLoader.FileName)))
            {
                await result.InvocationConfiguration.Error.WriteLineAsync($"vigil: the demo workspace is missing from {DemoWorkspace}; reinstall Vigil.");
                return ExitCodes.Failure;
            }
            // The demo's state is throw-away: a fresh database every run, removed on exit.
            var data = Path.Combine(Path.GetTempPath(), $"vigil-demo-{Environment.ProcessId}");
            try
            {
                var (listen, workspace) = PrepareWorkspace(result.GetValue(urls)!, data);
                var options = new VigilHostOptions { WorkspaceDirectory = workspace, Urls = listen, DataDirectory = data, Demo = true };
                return await ServeCommand.RunAsync(options, result.InvocationConfiguration.Error, ct, async app =>
                {
                    var token = await app.Services.GetRequiredService<TokenStore>().CreateAsync("demo", Role.Admin, "vigil demo", ct: ct);
                    var url = options.Urls.Split(';')[0].TrimEnd('/');
                    await output.WriteLineAsync($"""

                        Vigil demo is running on {url}  (workspace: a copy of {DemoWorkspace} in {workspace})
                          health:   {url}/health
                          API docs: {url}/docs
                          services: curl -H "Authorization: Bearer {token.Token}" {url}/api/v1/services
                          an incident's runbook steps, once one is open:
                                    curl -H "Authorization: Bearer {token.Token}" {url}/api/v1/incidents/1/runbook
                        Within a minute the storefront fails, then the checkout slows down; the order worker's heartbeat goes late every ten minutes.
                        This admin token is for the demo only; its database is deleted when the demo stops (Ctrl+C).

                        """);
                });
            }
            finally
            {
                try
                {
                    Directory.Delete(data, recursive: true);
                }
                catch (IOException)
                {
                    // Left in the temp folder; the OS cleans it.
                }
            }
        });
        return command;
    }

    /// <summary>
    /// Copies the demo workspace into the demo's data folder with its checks pointed at where this server
    /// actually listens (the bundled file says 127.0.0.1:5080). A port 0 is resolved to a free port first,
    /// so the URLs in the workspace are right before the server starts.
    /// </summary>
    /// <returns>The URLs to listen on and the workspace folder to serve.</returns>
    internal static (string Urls, string Workspace) PrepareWorkspace(string urls, string dataDirectory)
    {
        var parts = urls.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var target = DefaultTarget;
        if (parts.Length > 0 && TryParseUrl(parts[0], out var scheme, out var host, out var port))
        {
            if (port == 0)
            {
                port = FreePort();
                parts[0] = $"{scheme}://{host}:{port}";
            }
            var callable = host is "0.0.0.0" or "+" or "*" or "[::]" or "localhost" ? "127.0.0.1" : host;
            target = $"{scheme}://{callable}:{port}";
        }
        var workspace = Path.Combine(dataDirectory, "workspace");
        CopyDirectory(DemoWorkspace, workspace);
        var yaml = Path.Combine(workspace, WorkspaceLoader.FileName);
        File.WriteAllText(yaml, File.ReadAllText(yaml).Replace(DefaultTarget, target, StringComparison.Ordinal));
        return (string.Join(';', parts), workspace);
    }

    private const string DefaultTarget = "http://127.0.0.1:5080";

    private static bool TryParseUrl(string url, out string scheme, out string host, out int port)
    {
        scheme = host = "";
        port = 0;
        var i = url.IndexOf("://", StringComparison.Ordinal);
        if (i < 0) return false;
        scheme = url[..i];
        var rest = url[(i + 3)..].TrimEnd('/');
        var colon = rest.LastIndexOf(':');
        if (colon < 0 || rest.EndsWith(']')) return false;
        host = rest[..colon];
        return int.TryParse(rest[(colon + 1)..], System.Globalization.CultureInfo.InvariantCulture, out port);
    }

    private static int FreePort()
    {
        var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        try
        {
            return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
        }
        finally
        {
            listener.Stop();
        }
    }

    private static void CopyDirectory(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from, "*", SearchOption.AllDirectories))
        {
            var relative = Path.GetRelativePath(from, file);
            // Never copy a stale .vigil data folder that a developer's `vigil serve` may have left in the source.
            if (relative.StartsWith(".vigil", StringComparison.Ordinal)) continue;
            var dest = Path.Combine(to, relative);
            Directory.CreateDirectory(Path.GetDirectoryName(dest)!);
            File.Copy(file, dest, overwrite: true);
        }
    }
}
