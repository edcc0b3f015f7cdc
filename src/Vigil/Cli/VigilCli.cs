using System.CommandLine;
using System.CommandLine.Help;

namespace Vigil.Cli;

/// <summary>Exit codes of every verb.</summary>
public static class ExitCodes
{
    public const int Ok = 0;
    public const int Failure = 1;
    public const int Usage = 2;
}

/// <summary>The <c>vigil</c> command line: System.CommandLine verbs, exit codes 0 ok / 1 failure / 2 usage.</summary>
public static class VigilCli
{
    public static RootCommand Build()
    {
        var root = new RootCommand("Vigil turns a team's Markdown runbooks into a running operations system: checks, alerts, incidents, on-call and escalation.");
        root.Subcommands.Add(ServeCommand.Build());
        root.Subcommands.Add(DemoCommand.Build());
        root.Subcommands.Add(ValidateCommand.Build());
        root.Subcommands.Add(CheckCommand.Build());
        root.Subcommands.Add(RunbookVerb.Build());
        root.Subcommands.Add(LintVerb.Build());
        root.Subcommands.Add(ImportVerb.Build());
        root.Subcommands.Add(TokenCommand.Build());
        root.Subcommands.Add(VersionCommand.Build());
        return root;
    }

    public static async Task<int> RunAsync(string[] args, TextWriter? output = null, TextWriter? error = null)
    {
        var root = Build();
        var config = new InvocationConfiguration { Output = output ?? Console.Out, Error = error ?? Console.Error };
        var parsed = root.Parse(args);
        if (parsed.Action is not HelpAction && parsed.Errors.Count > 0)
        {
            foreach (var e in parsed.Errors) await config.Error.WriteLineAsync($"vigil: {e.Message}");
            await config.Error.WriteLineAsync("Run 'vigil --help' (or 'vigil VERB --help') for usage.");
            return ExitCodes.Usage;
        }
        if (args.Length == 0)
        {
            await parsed.InvokeAsync(config);
            return ExitCodes.Usage;
        }
        return await parsed.InvokeAsync(config);
    }
}
