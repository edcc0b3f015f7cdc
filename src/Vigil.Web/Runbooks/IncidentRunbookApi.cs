using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Runbooks;
using Vigil.Core.Workspace;
using Vigil.Runbooks;
using Vigil.Storage;
using Vigil.Web.Hosting;
using Vigil.Web.Http;
using Vigil.Web.Incidents;
using Vigil.Web.Security;

namespace Vigil.Web.Runbooks;

public sealed record StepCommandDto(string Text, string Language, int Line, string Risk, IReadOnlyList<string> Reasons, IReadOnlyList<string> Parameters);

/// <summary>A step of the incident's runbook section, with where the responders are on it.</summary>
// State: <c>pending</c>, <c>done</c>, <c>skipped</c>, <c>failed</c> or <c>running</c>.
// NotRunnable: Why Vigil cannot run it (no command, a SQL command), or null.
public sealed record IncidentStepDto(
    string Id, int? Number, string Title, string Text, string Section, int Line, string Risk, IReadOnlyList<string> Reasons, string State,
    IReadOnlyList<string> Parameters, string? NotRunnable, long? LastExecution, string? Note, IReadOnlyList<StepCommandDto> Commands);

/// <summary>The runbook section an incident links, step by step.</summary>
// Execution: <c>enabled</c> or <c>disabled</c>: whether steps can be run by Vigil here.
// Confirm: What <c>confirm</c> must say to run a mutating or destructive step.
public sealed record IncidentRunbookDto(string Path, string? Section, string Title, string RunbookId, string Execution, string Confirm, IReadOnlyList<IncidentStepDto> Steps);

/// <summary>Body of <c>…/steps/{step}/complete|skip|fail</c>.</summary>
public sealed record StepMarkRequest(string? Note);

/// <summary>Body of <c>…/steps/{step}/run</c>.</summary>
public sealed record StepRunRequestBody(Dictionary<string, string>? Parameters, string? Confirm, string? Reason);

/// <summary>
/// <c>/api/v1/incidents/{id}/runbook</c>: the linked section's steps, marking them (complete, skip, fail) and running
/// them where the workspace allows it, guarded by the step's risk (<see cref="StepGuard"/>). Every mark, run and refusal is
/// audited; marks and runs are on the incident's timeline.
/// </summary>
public static partial class IncidentRunbookApi
{
    private const int MaxNote = 10_000;
    private const int MaxReason = 2_000;
    private static readonly Dictionary<string, string> Marks = new() { ["complete"] = "done", ["skip"] = "skipped", ["fail"] = "failed" };

    public static IEndpointRouteBuilder MapIncidentRunbookApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/incidents/{id:long}/runbook").WithTags("Incidents");

        api.MapGet("/", async Task<IResult> (long id, IncidentStore store, WorkspaceState ws, CancellationToken ct) =>
        {
            await using var db = await store.ContextAsync(ct);
            var incident = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, ct);
            if (incident is null) return IncidentsApi.NotFound(id);
            var w = ws.Current;
            var (linked, problem) = Resolve(incident, w);
            if (linked is null) return problem!;
            var rows = await db.StepExecutions.AsNoTracking().Where(e => e.IncidentId == id).OrderBy(e => e.Id).ToListAsync(ct);
            return TypedResults.Ok(Describe(linked, incident, w, rows));
        })
        .RequireRole(Role.Viewer)
        .WithSummary("The runbook section the incident links, its steps with their risk and state")
        .Produces<IncidentRunbookDto>();

        foreach (var (action, state) in Marks)
        {
            api.MapPost($"/steps/{{step}}/{action}", (long id, string step, [FromBody] StepMarkRequest? body, IncidentStore store, WorkspaceState ws, AuditLog audit, HttpContext http) =>
                MarkAsync(id, step, action, state, body?.Note, store, ws, audit, http))
            .RequireRole(Role.Responder)
            .WithSummary(action switch
            {
                "complete" => "Mark a step done, with an optional note",
                "skip" => "Mark a step skipped, with an optional note",
                _ => "Mark a step failed, with an optional note",
            })
            .WithMetadata(new RequestSizeLimitAttribute(64 * 1024))
            .Produces<IncidentStepDto>();
        }

        api.MapPost("/steps/{step}/run", RunAsync)
            .RequireRole(Role.Responder)
            .WithSummary("Run a step on this host (when `runbooks.execution` is enabled), guarded by its risk: mutating needs `confirm`, destructive an admin, `confirm` and a `reason`")
            .WithMetadata(new RequestSizeLimitAttribute(64 * 1024))
            .Produces<ExecutionDto>(StatusCodes.Status202Accepted)
            .ProducesProblem(StatusCodes.Status403Forbidden)
            .ProducesProblem(StatusCodes.Status409Conflict)
            .ProducesProblem(StatusCodes.Status422UnprocessableEntity);

        return app;
    }

    /// <summary>The linked runbook and the section (null: the whole runbook) whose steps the incident follows.</summary>
    private sealed record Linked(WorkspaceRunbook Doc, Section? Section, IReadOnlyList<IdentifiedStep> Steps);

    private static (Linked? Linked, IResult? Problem) Resolve(Incident incident, WorkspaceModel w)
    {
        var link = Core.Incidents.RunbookLink.FromStored(incident.RunbookPath, incident.RunbookSection);
        if (link is null) return (null, Errors.NotFound($"Incident {incident.Id} links no runbook. Give its alert a `runbook:` (or its service one) in vigil.yaml."));
        if (link.Url is not null)
        {
            // Opened before the workspace had this runbook, or pointing at a wiki: try the workspace once more.
            link = Core.Incidents.RunbookLink.Resolve(link.Url, null, w);
            if (link?.Path is null)
            {
                return (null, Errors.Problem("Runbook outside the workspace", 404,
                    $"Incident {incident.Id} links {incident.RunbookPath}, which is not a runbook of this workspace; Vigil can only show and run the workspace's own runbooks.",
                    new Dictionary<string, object?> { ["url"] = incident.RunbookPath }));
            }
        }
        var doc = w.FindRunbookByPath(link.Path!);
        if (doc is null) return (null, Errors.NotFound($"The runbook {link.Path} that incident {incident.Id} links is not in the workspace any more."));
        if (link.Section is null) return (new Linked(doc, null, [.. doc.Model.Sections.SelectMany(RunbookSteps.Of)]), null);
        var section = doc.Model.Find(link.Section);
        if (section is null)
        {
            var guess = Vigil.Runbooks.Suggestions.Closest(link.Section, doc.Model.Anchors);
            return (null, Errors.NotFound($"The runbook {doc.Path} has no section #{link.Section} any more{(guess is null ? "" : $"; the nearest is #{guess}")}."));
        }
        return (new Linked(doc, section, RunbookSteps.Of(section)), null);
    }

    private static string ConfirmTarget(Incident incident) => incident.ServiceId ?? incident.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);

    private static IncidentRunbookDto Describe(Linked linked, Incident incident, WorkspaceModel w, List<StepExecution> rows) =>
        new(linked.Doc.Path, linked.Section?.Anchor, linked.Section?.Title ?? linked.Doc.Model.Title, linked.Doc.Id,
            w.Runbooks.Execution == ExecutionMode.Enabled ? "enabled" : "disabled", ConfirmTarget(incident),
            StepsOf(linked, rows, w));

    private static List<IncidentStepDto> StepsOf(Linked linked, List<StepExecution> rows, WorkspaceModel w)
    {
        var environment = StepEnvironment(w);
        return [.. linked.Steps.Select(s => StepDto(s, rows, environment, w.Runbooks.Database is not null))];
    }

    private static IncidentStepDto StepDto(IdentifiedStep s, List<StepExecution> rows, IReadOnlySet<string> environment, bool database)
    {
        var last = rows.LastOrDefault(r => r.StepId == s.Id);
        var lastRun = rows.LastOrDefault(r => r.StepId == s.Id && r.Kind == "run");
        var state = last is null ? "pending" : StateOf(last);
        return new IncidentStepDto(s.Id, s.Step.Number, s.Step.Title, s.Step.Text, s.Section.Anchor, s.Step.Line, s.Step.Risk.Name, s.Step.Risk.Reasons, state,
            StepScript.Parameters(s.Step, StepScript.IsSql(s.Step) ? null : environment), StepScript.NotRunnable(s.Step, database), lastRun?.Id, last?.Note,
            [.. s.Step.Commands.Select(c => new StepCommandDto(c.Text, c.Language, c.Line, c.Risk.Name, c.Risk.Reasons, c.Parameters))]);
    }

    /// <summary>A step's state from its latest row: a mark says it; a run is done when it exited 0, failed otherwise.</summary>
    private static string StateOf(StepExecution row) => row.Kind == "mark" ? row.State : row.State switch
    {
        StepExecutions.Running => "running",
        "succeeded" => "done",
        _ => "failed",
    };

    private static async Task<IResult> MarkAsync(long id, string step, string action, string state, string? note, IncidentStore store, WorkspaceState ws, AuditLog audit, HttpContext http)
    {
        var what = $"runbook.step.{action}";
        var target = $"incident:{id}";
        if (note is { Length: > MaxNote })
        {
            await audit.RecordAsync(http, what, target, AuditLog.Failed, new { step, reason = "note too long" });
            return Errors.BadRequest($"note: at most {MaxNote} characters.");
        }
        var ct = http.RequestAborted;
        await using var db = await store.ContextAsync(ct);
        var w = ws.Current;
        var (incident, linked, found, problem) = await FindStepAsync(db, id, step, w, ct);
        if (problem is not null) return problem;
        var actor = IncidentsApi.Actor(http);
        var trimmed = string.IsNullOrWhiteSpace(note) ? null : note.Trim();
        var now = store.Now;
        db.StepExecutions.Add(new StepExecution
        {
            IncidentId = id, RunbookPath = linked.Doc.Path, Section = linked.Section?.Anchor ?? "", StepId = found.Id, StepTitle = found.Step.Title,
            Kind = "mark", State = state, Note = trimmed, Actor = actor, CreatedAt = now, Risk = found.Step.Risk.Name,
        });
        store.AddEntry(db, id, "step", actor, $"{Label(found)}: {state}{(trimmed is null ? "" : " — " + trimmed)}",
            new { step_id = found.Id, section = found.Section.Anchor, runbook = linked.Doc.Path, state, note = trimmed });
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(http, what, target, AuditLog.Ok, new { step = found.Id, state });
        var rows = await db.StepExecutions.AsNoTracking().Where(e => e.IncidentId == id).OrderBy(e => e.Id).ToListAsync(ct);
        return TypedResults.Ok(StepDto(found, rows, StepEnvironment(w), w.Runbooks.Database is not null));
    }

    private static async Task<IResult> RunAsync(long id, string step, StepRunRequestBody? body, IncidentStore store, WorkspaceState ws, AuditLog audit,
        StepExecutions executions, VigilHostOptions options, HttpContext http)
    {
        const string What = "runbook.step.run";
        var target = $"incident:{id}";
        var ct = http.RequestAborted;
        var w = ws.Current;
        body ??= new StepRunRequestBody(null, null, null);
        await using var db = await store.ContextAsync(ct);
        var (incident, linked, found, problem) = await FindStepAsync(db, id, step, w, ct);
        if (problem is not null) return problem;

        var role = Policies.RoleOf(http.User) ?? Role.Viewer;
        var risk = found.Step.Risk;
        var refusal = StepGuard.Check(w.Runbooks, risk.Class, role, body.Confirm, body.Reason, ConfirmTarget(incident));
        if (refusal is null && StepScript.NotRunnable(found.Step, w.Runbooks.Database is not null) is { } notRunnable) refusal = new GuardRefusal(422, "Step cannot be run", notRunnable);
        if (refusal is null && body.Reason is { Length: > MaxReason }) refusal = new GuardRefusal(400, "Invalid request", $"reason: at most {MaxReason} characters.");
        if (refusal is not null)
        {
            Health.Metrics.StepRefusals.WithLabels(refusal.Status.ToString(System.Globalization.CultureInfo.InvariantCulture)).Inc();
            await audit.RecordAsync(http, What, target, refusal.Status == 403 ? AuditLog.Denied : AuditLog.Failed,
                new { step = found.Id, risk = risk.Name, status = refusal.Status, refused = refusal.Title });
            return Errors.Problem(refusal.Title, refusal.Status, refusal.Detail);
        }

        var values = body.Parameters ?? [];
        var problems = new List<ParameterProblem>();
        var sqlStep = StepScript.IsSql(found.Step);
        var statements = sqlStep ? StepScript.Statements(found.Step, values, problems) : null;
        var script = sqlStep ? (statements is null ? null : string.Join("\n", statements) + "\n") : StepScript.Build(found.Step, values, problems, StepEnvironment(w));
        if (script is null)
        {
            Health.Metrics.StepRefusals.WithLabels("400").Inc();
            await audit.RecordAsync(http, What, target, AuditLog.Failed, new { step = found.Id, risk = risk.Name, refused = "parameters", parameters = problems.Select(p => p.Name) });
            return Errors.BadRequest("The parameters do not fit the step; nothing was run.",
                new Dictionary<string, object?> { ["errors"] = problems.GroupBy(p => p.Name).ToDictionary(g => g.Key, g => (object?)string.Join("; ", g.Select(p => p.Message))) });
        }
        if (await db.StepExecutions.AnyAsync(e => e.IncidentId == id && e.StepId == found.Id && e.State == StepExecutions.Running, ct))
        {
            return await AlreadyRunningAsync(audit, http, target, found.Id);
        }

        var redact = Redactor(w, values);
        var shown = values.ToDictionary(kv => kv.Key, kv => Sensitive(kv.Key) ? SecretSet.Mask : redact(kv.Value));
        var actor = IncidentsApi.Actor(http);
        var now = store.Now;
        var settings = w.Runbooks;
        var row = new StepExecution
        {
            IncidentId = id, RunbookPath = linked.Doc.Path, Section = linked.Section?.Anchor ?? "", StepId = found.Id, StepTitle = found.Step.Title,
            Kind = "run", State = StepExecutions.Running, Command = redact(script), Risk = risk.Name,
            Parameters = JsonSerializer.Serialize(shown, Json.Options), Reason = string.IsNullOrWhiteSpace(body.Reason) ? null : redact(body.Reason.Trim()),
            Actor = actor, Instance = executions.Instance, CreatedAt = now, StartedAt = now, Deadline = now + settings.StepTimeout, Output = "",
        };
        db.StepExecutions.Add(row);
        try
        {
            await db.SaveChangesAsync(ct);
        }
        catch (DbUpdateException)
        {
            // The unique index on running rows: another request started this step in the meantime.
            return await AlreadyRunningAsync(audit, http, target, found.Id);
        }
        var paramText = shown.Count == 0 ? "" : " with " + string.Join(", ", shown.Select(kv => $"{kv.Key}={kv.Value}"));
        store.AddEntry(db, id, "step_run", actor, $"Ran {Label(found)} ({risk.Name}){paramText}{(row.Reason is null ? "" : "; reason: " + row.Reason)}",
            new { execution = row.Id, step_id = found.Id, section = found.Section.Anchor, runbook = linked.Doc.Path, risk = risk.Name, parameters = shown, reason = row.Reason, command = row.Command });
        await db.SaveChangesAsync(ct);
        await audit.RecordAsync(http, What, target, AuditLog.Ok, new { step = found.Id, risk = risk.Name, execution = row.Id, parameters = shown, reason = row.Reason });

        var workdir = settings.WorkingDirectory is null ? w.Directory : Path.GetFullPath(Path.Combine(w.Directory, settings.WorkingDirectory));
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var name in settings.Environment)
        {
            if (options.Environment(name) is { } v) env[name] = v;
        }
        env[VigilVariables[0]] = id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        env[VigilVariables[1]] = row.Id.ToString(System.Globalization.CultureInfo.InvariantCulture);
        if (incident.ServiceId is not null) env[VigilVariables[2]] = incident.ServiceId;
        var sql = statements is null ? null
            : new SqlStepRequest(settings.Database!, w.Directory, statements, risk.Class == Vigil.Runbooks.Risk.RiskClass.ReadOnly, settings.StepTimeout, settings.OutputLimit);
        executions.Start(new PendingRun(row.Id, id, Label(found), new StepRunRequest(script, workdir, env, settings.StepTimeout, settings.OutputLimit), redact, sql));
        return TypedResults.Json(ExecutionsApi.ToDto(row), Json.Options, statusCode: StatusCodes.Status202Accepted);
    }

    /// <summary>Variables Vigil gives every step: the incident's id, the execution's id and the service's id.</summary>
    private static readonly string[] VigilVariables = ["VIGIL_INCIDENT_ID", "VIGIL_EXECUTION_ID", "VIGIL_SERVICE"];

    /// <summary>The names a step's environment holds: the workspace's allowlist and Vigil's own.</summary>
    private static HashSet<string> StepEnvironment(WorkspaceModel w) => [.. w.Runbooks.Environment, .. VigilVariables];

    /// <summary>The incident, its linked section and the step, or the problem that says which is missing.</summary>
    private static async Task<(Incident Incident, Linked Linked, IdentifiedStep Step, IResult? Problem)> FindStepAsync(
        VigilDbContext db, long id, string step, WorkspaceModel w, CancellationToken ct)
    {
        var incident = await db.Incidents.AsNoTracking().FirstOrDefaultAsync(i => i.Id == id, ct);
        if (incident is null) return (null!, null!, null!, IncidentsApi.NotFound(id));
        var (linked, problem) = Resolve(incident, w);
        if (linked is null) return (incident, null!, null!, problem);
        var found = linked.Steps.FirstOrDefault(s => s.Id == step);
        return found is null ? (incident, linked, null!, StepNotFound(step, linked)) : (incident, linked, found, null);
    }

    private static async Task<IResult> AlreadyRunningAsync(AuditLog audit, HttpContext http, string target, string step)
    {
        Health.Metrics.StepRefusals.WithLabels("409").Inc();
        await audit.RecordAsync(http, "runbook.step.run", target, AuditLog.Failed, new { step, refused = "already running" });
        return Errors.Problem("Conflict", 409, "This step is already running for this incident; wait for it or cancel it.");
    }

    private static IResult StepNotFound(string step, Linked linked) =>
        Errors.NotFound($"Section #{linked.Section?.Anchor ?? linked.Doc.Path} has no step '{step}' (the runbook may have changed); its steps are: {string.Join(", ", linked.Steps.Select(s => s.Id))}.");

    private static string Label(IdentifiedStep s) => $"step {s.Step.Number?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? s.Id} '{s.Step.Title}'";

    /// <summary>Parameters whose names say they hold a secret; their values are masked everywhere the run is recorded.</summary>
    private static bool Sensitive(string name) => SensitiveName().IsMatch(name);

    [GeneratedRegex("token|password|passwd|secret|credential|api[_-]?key|private", RegexOptions.IgnoreCase | RegexOptions.CultureInvariant)]
    private static partial Regex SensitiveName();

    private static Func<string, string> Redactor(WorkspaceModel w, Dictionary<string, string> values)
    {
        var secrets = values.Where(kv => Sensitive(kv.Key) && kv.Value.Length >= 4).Select(kv => kv.Value).OrderByDescending(v => v.Length).ToList();
        return text =>
        {
            var s = w.Secrets.Redact(text);
            foreach (var secret in secrets) s = s.Replace(secret, SecretSet.Mask, StringComparison.Ordinal);
            return s;
        };
    }
}
