using System.CommandLine;
using System.Text.Json;
using Vigil.Runbooks;

namespace Vigil.Cli;

/// <summary><c>vigil lint FILE.md… [--format text|json]</c>: findings as <c>FILE:LINE: severity rule: message</c> (or a
/// JSON array of <c>{file, line, severity, rule, message}</c>); exit 1 when any finding is an error.</summary>
internal static class LintVerb
{
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true };

    public static Command Build()
    {
        var files = new Argument<string[]>("FILE") { Description = "Markdown runbooks.", Arity = ArgumentArity.OneOrMore };
        var format = new Option<string>("--format") { Description = "text or json.", DefaultValueFactory = _ => "text" };
        format.AcceptOnlyFromAmong("text", "json");
        var command = new Command("lint", "Check runbooks: destructive steps without a warning or backup, no rollback, secrets, placeholders, broken links, stale reviews.") { files, format };
        command.SetAction(async (result, ct) =>
        {
            var output = result.InvocationConfiguration.Output;
            var findings = new List<LintFinding>();
            var today = DateOnly.FromDateTime(DateTime.UtcNow);
            foreach (var path in result.GetValue(files)!)
            {
                if (!File.Exists(path))
                {
                    await result.InvocationConfiguration.Error.WriteLineAsync($"vigil: no file '{path}'.");
                    return ExitCodes.Failure;
                }
                findings.AddRange(RunbookLinter.Lint(RunbookParser.Parse(await File.ReadAllTextAsync(path, ct), path), today));
            }
            if (result.GetValue(format) == "json")
            {
                await output.WriteLineAsync(JsonSerializer.Serialize(findings.Select(f => new { file = f.File, line = f.Line, severity = f.Severity, rule = f.Rule, message = f.Message }),
                    Indented));
            }
            else
            {
                foreach (var f in findings) await output.WriteLineAsync(f.ToString());
                await output.WriteLineAsync($"{findings.Count(f => f.Severity == RunbookLinter.Error)} error(s), {findings.Count(f => f.Severity == RunbookLinter.Warning)} warning(s).");
            }
            return findings.Any(f => f.Severity == RunbookLinter.Error) ? ExitCodes.Failure : ExitCodes.Ok;
        });
        return command;
    }
}
