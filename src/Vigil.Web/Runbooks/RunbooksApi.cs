using Vigil.Core.Workspace;
using Vigil.Runbooks;
using Vigil.Web.Http;
using Vigil.Web.Security;

namespace Vigil.Web.Runbooks;

/// <summary>A runbook in the list: where it is, what it holds, and what lint found.</summary>
public sealed record RunbookSummaryDto(string Id, string Path, string Title, int Sections, int Steps, string Risk, int Errors, int Warnings, IReadOnlyList<string> Services);

/// <summary>A lint finding about a workspace runbook.</summary>
public sealed record FindingDto(int Line, string Severity, string Rule, string Message);

/// <summary><c>/api/v1/runbooks</c>: the workspace's runbooks, parsed and linted as they are now (they reload with the workspace).</summary>
public static class RunbooksApi
{
    public static IServiceCollection AddVigilRunbooks(this IServiceCollection services)
    {
        services.AddSingleton<StepExecutions>();
        services.AddHostedService(sp => sp.GetRequiredService<StepExecutions>());
        return services;
    }

    public static IEndpointRouteBuilder MapRunbooksApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/runbooks").WithTags("Runbooks");

        api.MapGet("/", (WorkspaceState ws, TimeProvider time) =>
        {
            var w = ws.Current;
            var today = Today(time);
            return TypedResults.Ok(new { items = w.RunbookDocuments.Select(d => Summary(d, w, RunbookLinter.Lint(d.Model, today))).ToList(), total = w.RunbookDocuments.Count });
        })
        .RequireRole(Role.Viewer)
        .WithSummary("The workspace's runbooks with their size, highest risk and lint counts");

        api.MapGet("/{id}", IResult (string id, WorkspaceState ws, TimeProvider time) =>
        {
            var w = ws.Current;
            var doc = w.FindRunbook(id);
            if (doc is null) return Errors.NotFound($"There is no runbook '{id}'; GET /api/v1/runbooks lists them.");
            var findings = RunbookLinter.Lint(doc.Model, Today(time));
            return TypedResults.Ok(new
            {
                summary = Summary(doc, w, findings),
                model = RunbookReport.Model(doc.Model),
                html = RunbookHtml.Render(doc.Text, doc.Model),
                findings = findings.Select(f => new FindingDto(f.Line, f.Severity, f.Rule, f.Message)).ToList(),
            });
        })
        .RequireRole(Role.Viewer)
        .WithSummary("One runbook: its model (sections, steps, commands with their risk), rendered HTML and lint findings");

        return app;
    }

    private static DateOnly Today(TimeProvider time) => DateOnly.FromDateTime(time.GetUtcNow().UtcDateTime);

    private static RunbookSummaryDto Summary(WorkspaceRunbook doc, WorkspaceModel w, List<LintFinding> findings)
    {
        var sections = doc.Model.AllSections().ToList();
        return new RunbookSummaryDto(doc.Id, doc.Path, doc.Model.Title, sections.Count, sections.Sum(s => s.Steps.Count),
            Vigil.Runbooks.Risk.RiskAssessment.Max(sections.Select(s => s.Risk)).Name,
            findings.Count(f => f.Severity == RunbookLinter.Error), findings.Count(f => f.Severity == RunbookLinter.Warning),
            [.. w.Services.Where(s => s.Runbook is { } r && r.Split('#')[0] == doc.Path).Select(s => s.Id)]);
    }
}
