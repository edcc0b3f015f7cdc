using System.CommandLine;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Checks.Heartbeat;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Hosting;

namespace Vigil.Cli;

/// <summary>
/// <c>vigil check DIR SERVICE/CHECK</c>: runs one check once and prints what it saw, each condition with its
/// values, and the verdict: the tool for writing conditions. Exit 0 up, 1 degraded/down or an invalid
/// workspace, 2 for an unknown check. A heartbeat is not probed: its ping URL and expectation are printed.
/// </summary>
internal static class CheckCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("DIR") { Description = "The workspace folder (holds vigil.yaml)." };
        var id = new Argument<string>("SERVICE/CHECK") { Description = "The check to run, e.g. storefront/health." };
        var url = new Option<string>("--url")
        {
            Description = $"The server's base URL, for a heartbeat's ping URL (default {VigilHostOptions.DefaultUrl}).",
            DefaultValueFactory = _ => VigilHostOptions.DefaultUrl,
        };
        var data = CommonOptions.Data();
        var database = CommonOptions.Database();
        var command = new Command("check", "Run one check once and show what it saw, each condition and the verdict.") { dir, id, url, data, database };
        command.SetAction(async (result, ct) =>
        {
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            var directory = result.GetValue(dir)!;
            var loaded = new WorkspaceLoader().Load(directory);
            if (!loaded.Ok)
            {
                foreach (var e in loaded.Errors) await output.WriteLineAsync(loaded.Secrets.Redact(e.ToString()));
                await error.WriteLineAsync($"{loaded.Errors.Count} error(s).");
                return ExitCodes.Failure;
            }
            var w = loaded.Workspace!;
            var wanted = result.GetValue(id)!;
            var parts = wanted.Split('/', 2);
            var service = w.FindService(parts[0]);
            var check = parts.Length == 2 ? service?.Checks.FirstOrDefault(c => c.Id == parts[1]) : null;
            if (service is null || check is null)
            {
                var available = w.Services.SelectMany(s => s.Checks.Select(c => $"{s.Id}/{c.Id}")).ToList();
                await error.WriteLineAsync($"vigil: no check '{wanted}' in workspace '{w.Name}'.");
                await error.WriteLineAsync(available.Count == 0 ? "The workspace has no checks." : $"Available: {string.Join(", ", available)}");
                return ExitCodes.Usage;
            }
            if (check.Spec is HeartbeatCheckSpec heartbeat)
            {
                var dataDir = result.GetValue(data) ?? Path.Combine(w.Directory, ".vigil");
                var key = heartbeat.Key ?? await StoredKeyAsync(CommonOptions.ResolveDatabase(result.GetValue(database)), dataDir, service.Id, check.Id, ct);
                await output.WriteLineAsync($"{service.Id}/{check.Id}: heartbeat: the job pings Vigil; nothing to probe.");
                await output.WriteLineAsync($"  expects:  {HeartbeatSchedule.Describe(heartbeat, w.Timezone)}");
                await output.WriteLineAsync(key is null
                    ? "  ping URL: not generated yet: start the server once (`vigil serve`) and run this again, or set `key:` in vigil.yaml"
                    : $"  ping URL: {result.GetValue(url)!.TrimEnd('/')}/ping/{key}");
                await output.WriteLineAsync("  signals:  …/start when the run begins, …/fail on failure, …/{exit_code} to report an exit code");
                return ExitCodes.Ok;
            }
            await using var toolkit = CheckToolkit.Create();
            try
            {
                return await new CheckReport(toolkit.Probes, toolkit.Evaluator, TimeProvider.System).RunAsync(w, service, check, output, ct);
            }
            catch (NotSupportedException e)
            {
                await error.WriteLineAsync($"vigil: {e.Message}.");
                return ExitCodes.Failure;
            }
        });
        return command;
    }

    /// <summary>The key the server generated for a heartbeat, from its database; null when there is none (yet).</summary>
    private static async Task<string?> StoredKeyAsync(string? database, string dataDirectory, string serviceId, string checkId, CancellationToken ct)
    {
        // Never create a database just to look: no data folder means the server never ran here.
        if (database is null && !Directory.Exists(dataDirectory)) return null;
        try
        {
            var provider = VigilStorage.Parse(database, Path.GetFullPath(dataDirectory));
            await using var sp = new ServiceCollection().AddVigilStorage(provider).BuildServiceProvider();
            await using var db = await sp.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContextAsync(ct);
            return await db.Heartbeats.AsNoTracking().Where(h => h.ServiceId == serviceId && h.CheckId == checkId).Select(h => h.Key).FirstOrDefaultAsync(ct);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            return null;
        }
    }
}
