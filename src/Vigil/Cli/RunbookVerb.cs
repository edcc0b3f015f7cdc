using System.CommandLine;
using Vigil.Runbooks;

namespace Vigil.Cli;

/// <summary><c>vigil runbook show FILE.md [--format text|json]</c>: the runbook as Vigil reads it: sections, roles,
/// steps, and every command with its language and risk class.</summary>
internal static class RunbookVerb
{
    public static Command Build()
    {
        var command = new Command("runbook", "Read Markdown runbooks: their sections, steps and commands, each command's risk.");
        command.Subcommands.Add(Show());
        return command;
    }

    private static Command Show()
    {
        var file = new Argument<string>("FILE") { Description = "A Markdown runbook." };
        var format = new Option<string>("--format") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("show", "Show a runbook as Vigil reads it: sections, steps, and every command with its language and risk.") { file, format };
        command.SetAction(async (result, ct) =>
        {
            var path = result.GetValue(file)!;
            if (!File.Exists(path))
            {
                await result.InvocationConfiguration.Error.WriteLineAsync($"vigil: no file '{path}'.");
                return ExitCodes.Failure;
            }
            var runbook = RunbookParser.Parse(await File.ReadAllTextAsync(path, ct), path);
            var output = result.InvocationConfiguration.Output;
            await output.WriteAsync(result.GetValue(format) == "json" ? RunbookReport.Json(runbook) + Environment.NewLine : RunbookReport.Text(runbook));
            return ExitCodes.Ok;
        });
        return command;
    }
}
