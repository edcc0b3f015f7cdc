using Vigil.Core.Workspace;
using Vigil.Runbooks.Risk;

namespace Vigil.Core.Runbooks;

/// <summary>Why a run was refused: the HTTP status, a title and what the caller can do about it.</summary>
public sealed record GuardRefusal(int Status, string Title, string Detail);

/// <summary>
/// Who may run what. Execution must be enabled by the workspace. A read-only step needs a responder; a mutating step
/// also needs <c>confirm</c> equal to the service's id (the incident's number when it has no service), so it is never
/// run by a stray click; a destructive step needs the role <c>confirm_destructive</c> names (admin by default), the
/// confirmation and a written reason.
/// </summary>
public static class StepGuard
{
    public static GuardRefusal? Check(RunbookSettings settings, RiskClass risk, Role role, string? confirm, string? reason, string confirmTarget)
    {
        if (settings.Execution != ExecutionMode.Enabled)
        {
            return new GuardRefusal(409, "Execution disabled",
                "This workspace does not let Vigil run runbook steps. Follow the step by hand and mark it, or have an admin enable execution in vigil.yaml: `runbooks: { execution: enabled }`.");
        }
        if (role < Role.Responder) return new GuardRefusal(403, "Forbidden", "Running a step needs the responder role.");
        if (risk == RiskClass.ReadOnly) return null;
        var name = RiskAssessment.NameOf(risk);
        if (risk == RiskClass.Destructive && role < settings.ConfirmDestructive)
        {
            return new GuardRefusal(403, "Forbidden", $"This step is destructive: only a user with the {settings.ConfirmDestructive.ToString().ToLowerInvariant()} role may run it.");
        }
        if (!string.Equals(confirm?.Trim(), confirmTarget, StringComparison.Ordinal))
        {
            return new GuardRefusal(422, "Confirmation required",
                $"This step is {name}: send `confirm` equal to '{confirmTarget}' to show you mean this service.");
        }
        if (risk == RiskClass.Destructive && string.IsNullOrWhiteSpace(reason))
        {
            return new GuardRefusal(422, "Reason required", "This step is destructive: send a `reason` saying why it must run; it goes on the timeline.");
        }
        return null;
    }
}
