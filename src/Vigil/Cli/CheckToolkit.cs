using Vigil.Core.Checks;
using Vigil.Core.Workspace;

namespace Vigil.Cli;

/// <summary>The probes and the condition evaluator <c>vigil check</c> runs a check with, built without DI.</summary>
internal sealed record CheckToolkit(IReadOnlyDictionary<CheckKind, ICheckProbe> Probes, ICheckEvaluator Evaluator)
{
    /// <summary>
    /// The one place that knows the concrete probes and evaluator. Until the probe and condition engines
    /// land, there are no probes, and running any probing kind says so plainly.
    /// </summary>
    public static CheckToolkit Create() => new(new Dictionary<CheckKind, ICheckProbe>(), new UnavailableEvaluator());

    private sealed class UnavailableEvaluator : ICheckEvaluator
    {
        public CheckOutcome Evaluate(Check check, Observation observation) =>
            throw new NotSupportedException("this build of vigil cannot evaluate conditions yet");
    }
}
