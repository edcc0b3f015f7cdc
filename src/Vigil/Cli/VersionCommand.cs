using System.CommandLine;
using Vigil.Web.Health;

namespace Vigil.Cli;

internal static class VersionCommand
{
    public static Command Build()
    {
        var command = new Command("version", "Print the version.");
        command.SetAction(async (result, ct) =>
        {
            await result.InvocationConfiguration.Output.WriteLineAsync($"vigil {HealthApi.Version}");
            return ExitCodes.Ok;
        });
        return command;
    }
}
