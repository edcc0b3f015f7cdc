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
        var defaults = new CheckEngineSettings();
        var concurrency = new Option<int>("--check-concurrency")
        {
            Description = $"Most checks running at once (default {defaults.MaxConcurrency}: 64 per core; probes mostly wait on the network).",
            DefaultValueFactory = _ => defaults.MaxConcurrency,
        };
        var keepResults = RetentionOption("--keep-results", "How long raw check results are kept", defaults.RawRetention);
        var keepMinutes = RetentionOption("--keep-minute-rollups", "How long per-minute rollups are kept", defaults.MinuteRollupRetention);
        var keepHours = RetentionOption("--keep-hour-rollups", "How long per-hour rollups are kept", defaults.RollupRetention);
        var command = new Command("serve", "Run the Vigil server on a workspace.") { workspace, urls, data, database, concurrency, keepResults, keepMinutes, keepHours };
        concurrency.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<int>() < 1) r.AddError("--check-concurrency must be at least 1.");
        });
        command.SetAction((result, ct) => RunAsync(new VigilHostOptions
        {
            WorkspaceDirectory = result.GetValue(workspace)!,
            Urls = result.GetValue(urls)!,
            DataDirectory = result.GetValue(data),
            Database = CommonOptions.ResolveDatabase(result.GetValue(database)),
            Engine = defaults with
            {
                MaxConcurrency = result.GetValue(concurrency),
                RawRetention = result.GetValue(keepResults),
                MinuteRollupRetention = result.GetValue(keepMinutes),
                RollupRetention = result.GetValue(keepHours),
            },
        }, result.InvocationConfiguration.Error, ct));
        return command;
    }

    /// <summary>A retention option written as a workspace duration (<c>7d</c>, <c>400d</c>, <c>12h</c>).</summary>
    private static Option<TimeSpan> RetentionOption(string name, string description, TimeSpan fallback) => new(name)
    {
        Description = $"{description} (default {Durations.Format(fallback)}).",
        DefaultValueFactory = _ => fallback,
        CustomParser = r =>
        {
            var text = r.Tokens.Count > 0 ? r.Tokens[0].Value : "";
            if (Durations.TryParse(text, out var d, out var hint) && d >= TimeSpan.FromHours(1)) return d;
            r.AddError($"{name}: '{text}' is not a duration of at least 1h ({hint ?? "e.g. 7d"}).");
            return fallback;
        },
    };

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
