using Vigil.Core.Checks;
using Vigil.Core.Conditions;

namespace Vigil.Cli;

/// <summary>The probes and the condition evaluator <c>vigil check</c> runs a check with, built without DI.</summary>
internal sealed record CheckToolkit(CheckProbes Probes, ICheckEvaluator Evaluator) : IAsyncDisposable
{
    /// <summary>The one place the CLI names the concrete probes and evaluator: the same ones the server runs.</summary>
    public static CheckToolkit Create() => new(new CheckProbes(), new ConditionEvaluator());

    public ValueTask DisposeAsync() => Probes.DisposeAsync();
}
