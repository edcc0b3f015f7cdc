using System.CommandLine;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Hosting;

namespace Vigil.Cli;

/// <summary><c>vigil serve --workspace DIR</c>: runs the server until stopped.</summary>
internal static class ServeCommand
{
    public static Command Build()
    {
        var workspace = new Option<string>("--workspace", "-w") { Description = "The workspace folder (holds vigil.yaml).", Required = true };
        var urls = CommonOptions.Urls();
        var data = CommonOptions.Data();
        var database = CommonOptions.Database();
        var command = new Command("serve", "Run the Vigil server on a workspace.") { workspace, urls, data, database };
        command.SetAction((result, ct) => RunAsync(new VigilHostOptions
        {
            WorkspaceDirectory = result.GetValue(workspace)!,
            Urls = result.GetValue(urls)!,
            DataDirectory = result.GetValue(data),
            Database = CommonOptions.ResolveDatabase(result.GetValue(database)),
        }, result.InvocationConfiguration.Error, ct));
        return command;
    }

    /// <summary>Starts a server and runs it until <paramref name="ct"/> or a shutdown signal; reports startup problems plainly.</summary>
    public static async Task<int> RunAsync(VigilHostOptions options, TextWriter error, CancellationToken ct, Func<WebApplication, Task>? started = null)
    {
        if (!Directory.Exists(options.WorkspaceDirectory))
        {
            await error.WriteLineAsync($"vigil: workspace folder '{options.WorkspaceDirectory}' does not exist.");
            return ExitCodes.Failure;
        }
        WebApplication app;
        try
        {
            app = VigilHost.Build(options);
        }
        catch (WorkspaceInvalidException e)
        {
            foreach (var err in e.Errors) await error.WriteLineAsync(err.ToString());
            await error.WriteLineAsync($"vigil: the workspace has {e.Errors.Count} error(s); fix them and start again (`vigil validate {options.WorkspaceDirectory}` checks without starting).");
            return ExitCodes.Failure;
        }
        catch (StorageConfigurationException e)
        {
            await error.WriteLineAsync($"vigil: {e.Message}");
            return ExitCodes.Failure;
        }
        await using (app)
        {
            try
            {
                await VigilHost.PrepareAsync(app, ct);
                await app.StartAsync(ct);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                // Driver messages may carry connection details: mask credentials before printing.
                await error.WriteLineAsync($"vigil: cannot start: {SecretSet.RedactUrlCredentials(e.Message)}");
                return ExitCodes.Failure;
            }
            if (started is not null) await started(app);
            await app.WaitForShutdownAsync(ct);
        }
        return ExitCodes.Ok;
    }
}
