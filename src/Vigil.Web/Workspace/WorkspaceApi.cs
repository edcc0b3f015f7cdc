using Vigil.Core.Workspace;
using Vigil.Web.Security;

namespace Vigil.Web.Workspace;

public sealed record WorkspaceErrorDto(string File, int Line, int Column, string Message, string? Hint, string Text);

/// <summary>The running workspace, and the errors of the latest edit if it was rejected.</summary>
public sealed record WorkspaceStatus(
    string Name,
    string Directory,
    bool Valid,
    long Generation,
    string Fingerprint,
    DateTimeOffset? LoadedAt,
    DateTimeOffset? FailedAt,
    IReadOnlyList<WorkspaceErrorDto> Errors,
    int Services,
    int Checks,
    int Users,
    int Schedules,
    int EscalationPolicies,
    int Channels,
    int Integrations);

public static class WorkspaceApi
{
    public static IEndpointRouteBuilder MapWorkspaceApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/workspace").WithTags("Workspace");
        api.MapGet("/", (WorkspaceState state) => TypedResults.Ok(Describe(state)))
            .WithSummary("The running workspace and the errors of a rejected edit")
            .RequireRole(Role.Viewer);
        api.MapPost("/reload", async (WorkspaceReloader reloader, WorkspaceState state, AuditLog audit, HttpContext http) =>
        {
            var errors = reloader.Reload();
            await audit.RecordAsync(http, "workspace.reload", state.Current.Name, errors.Count == 0 ? AuditLog.Ok : AuditLog.Failed, new { errors = errors.Count });
            return TypedResults.Ok(Describe(state));
        })
            .WithSummary("Reload vigil.yaml now (it also reloads by itself when the file changes)")
            .RequireRole(Role.Admin);
        return app;
    }

    private static WorkspaceStatus Describe(WorkspaceState state)
    {
        var s = state.Now;
        var w = s.Current!;
        return new WorkspaceStatus(
            w.Name,
            w.Directory,
            s.Errors.Count == 0,
            s.Generation,
            w.Fingerprint,
            s.LoadedAt,
            s.FailedAt,
            [.. s.Errors.Select(e => new WorkspaceErrorDto(e.Position.File, e.Position.Line, e.Position.Column, e.Message, e.Hint, e.ToString()))],
            w.Services.Count,
            w.Services.Sum(x => x.Checks.Count),
            w.Users.Count,
            w.Schedules.Count,
            w.EscalationPolicies.Count,
            w.Channels.Count,
            w.Integrations.Count);
    }
}
