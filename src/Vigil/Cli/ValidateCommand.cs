using System.CommandLine;
using Vigil.Core.Workspace;

namespace Vigil.Cli;

/// <summary><c>vigil validate DIR</c>: exit 0, or 1 with one <c>vigil.yaml:LINE:COL: message</c> line per error.</summary>
internal static class ValidateCommand
{
    public static Command Build()
    {
        var dir = new Argument<string>("DIR") { Description = "The workspace folder (holds vigil.yaml).", DefaultValueFactory = _ => "." };
        var command = new Command("validate", "Validate a workspace and print every error with its line and column.") { dir };
        command.SetAction(async (result, ct) =>
        {
            var output = result.InvocationConfiguration.Output;
            var loaded = new WorkspaceLoader().Load(result.GetValue(dir)!);
            if (!loaded.Ok)
            {
                foreach (var e in loaded.Errors) await output.WriteLineAsync(loaded.Secrets.Redact(e.ToString()));
                await result.InvocationConfiguration.Error.WriteLineAsync($"{loaded.Errors.Count} error(s).");
                return ExitCodes.Failure;
            }
            var w = loaded.Workspace!;
            await output.WriteLineAsync($"ok: workspace '{w.Name}': {w.Services.Count} services, {w.Services.Sum(s => s.Checks.Count)} checks, {w.Users.Count} users, {w.Schedules.Count} schedules, {w.EscalationPolicies.Count} escalation policies, {w.Channels.Count} channels, {w.Integrations.Count} integrations");
            return ExitCodes.Ok;
        });
        return command;
    }
}
