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
                var options = new VigilHostOptions { WorkspaceDirectory = DemoWorkspace, Urls = result.GetValue(urls)!, DataDirectory = data };
                return await ServeCommand.RunAsync(options, result.InvocationConfiguration.Error, ct, async app =>
                {
                    var token = await app.Services.GetRequiredService<TokenStore>().CreateAsync("demo", Role.Admin, "vigil demo", ct: ct);
                    var url = options.Urls.Split(';')[0].TrimEnd('/');
                    await output.WriteLineAsync($"""

                        Vigil demo is running on {url}  (workspace: {DemoWorkspace})
                          health:   {url}/health
                          API docs: {url}/docs
                          services: curl -H "Authorization: Bearer {token.Token}" {url}/api/v1/services
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
}
