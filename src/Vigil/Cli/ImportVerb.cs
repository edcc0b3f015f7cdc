using System.CommandLine;
using System.Text;
using Vigil.Core.Import;
using Vigil.Core.Workspace;
using Vigil.Runbooks;

namespace Vigil.Cli;

/// <summary>
/// <c>vigil import FILE.md… --out DIR</c>: drafts a workspace from runbooks: DIR/vigil.yaml (which validates as
/// written), the runbooks copied to DIR/runbooks/ and linked, and DIR/IMPORT.md with what was drafted, from which
/// lines, and what was not understood. Refuses a DIR that already holds a vigil.yaml.
/// </summary>
internal static class ImportVerb
{
    public static Command Build()
    {
        var files = new Argument<string[]>("FILE") { Description = "Markdown runbooks.", Arity = ArgumentArity.OneOrMore };
        var outDir = new Option<string>("--out") { Description = "The folder to write the draft workspace to.", Required = true };
        var command = new Command("import", "Draft a workspace (vigil.yaml, the runbooks, IMPORT.md) from runbooks.") { files, outDir };
        command.SetAction(async (result, ct) =>
        {
            var output = result.InvocationConfiguration.Output;
            var error = result.InvocationConfiguration.Error;
            var dir = Path.GetFullPath(result.GetValue(outDir)!);
            if (File.Exists(Path.Combine(dir, "vigil.yaml")))
            {
                await error.WriteLineAsync($"vigil: {dir} already has a vigil.yaml; import into an empty folder.");
                return ExitCodes.Failure;
            }
            var sources = result.GetValue(files)!;
            foreach (var missing in sources.Where(f => !File.Exists(f)))
            {
                await error.WriteLineAsync($"vigil: no file '{missing}'.");
                return ExitCodes.Failure;
            }
            Directory.CreateDirectory(Path.Combine(dir, "runbooks"));
            var runbooks = new List<(Runbook, string)>();
            foreach (var source in sources)
            {
                var name = Path.GetFileName(source);
                var copied = $"runbooks/{name}";
                for (var n = 2; runbooks.Any(r => r.Item2 == copied); n++) copied = $"runbooks/{Path.GetFileNameWithoutExtension(name)}-{n}.md";
                var text = await File.ReadAllTextAsync(source, ct);
                await File.WriteAllTextAsync(Path.Combine(dir, copied), text, ct);
                runbooks.Add((RunbookParser.Parse(text, source), copied));
            }
            var draft = WorkspaceDraft.Build(runbooks);
            await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), draft.Yaml, ct);
            var loaded = new WorkspaceLoader(_ => null).Load(dir);
            var report = new StringBuilder();
            report.AppendLine("# Import report").AppendLine();
            report.AppendLine($"`vigil import` drafted `vigil.yaml` from {string.Join(", ", sources.Select(s => $"`{s}`"))}, copied into `runbooks/`.").AppendLine();
            report.AppendLine("## Drafted").AppendLine();
            foreach (var u in draft.Understood) report.AppendLine($"- {u}");
            report.AppendLine().AppendLine("## Not understood").AppendLine();
            foreach (var u in draft.NotUnderstood) report.AppendLine($"- {u}");
            if (draft.NotUnderstood.Count == 0) report.AppendLine("- nothing");
            report.AppendLine().AppendLine("## Next").AppendLine();
            report.AppendLine("- Replace each `# TODO` value in `vigil.yaml` (hosts the runbook does not name, limits it does not state).");
            report.AppendLine("- Add users, schedules, escalation policies and channels (docs/configuration.md), then `vigil validate`.");
            if (!loaded.Ok)
            {
                report.AppendLine().AppendLine("## The draft does not validate").AppendLine();
                foreach (var e in loaded.Errors) report.AppendLine($"- {e}");
            }
            await File.WriteAllTextAsync(Path.Combine(dir, "IMPORT.md"), report.ToString(), ct);
            if (!loaded.Ok)
            {
                foreach (var e in loaded.Errors) await error.WriteLineAsync(e.ToString());
                await error.WriteLineAsync("vigil: the draft does not validate (a bug in `vigil import`); see IMPORT.md.");
                return ExitCodes.Failure;
            }
            var w = loaded.Workspace!;
            await output.WriteLineAsync($"drafted {Path.Combine(dir, "vigil.yaml")}: {w.Services.Count} services, {w.Services.Sum(s => s.Checks.Count)} checks, {w.Severities.Count} severities, {w.Maintenance.Tasks.Count} maintenance tasks");
            await output.WriteLineAsync($"{draft.NotUnderstood.Count} item(s) not understood: see {Path.Combine(dir, "IMPORT.md")}");
            foreach (var u in draft.NotUnderstood) await output.WriteLineAsync($"  - {u}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
