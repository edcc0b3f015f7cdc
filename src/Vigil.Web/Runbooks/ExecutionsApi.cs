using System.Text.Json;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Hosting;
using Vigil.Web.Http;
using Vigil.Web.Security;

namespace Vigil.Web.Runbooks;

/// <summary>A run of a runbook step.</summary>
// Status: <c>running</c>, <c>succeeded</c>, <c>failed</c>, <c>timed_out</c>, <c>canceled</c> or <c>interrupted</c>.
public sealed record ExecutionDto(
    long Id, long? Incident, string Runbook, string Section, string StepId, string StepTitle, string Status, string? Risk, string Actor,
    JsonElement? Parameters, string? Reason, string? Command, int? ExitCode, DateTimeOffset? StartedAt, DateTimeOffset? FinishedAt,
    string Output, bool OutputTruncated);

/// <summary><c>/api/v1/executions/{id}</c>: a step run, its output (also live, as server-sent events), and cancelling it.</summary>
public static class ExecutionsApi
{
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(500);

    public static IEndpointRouteBuilder MapExecutionsApi(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v1/executions").WithTags("Runbooks");

        api.MapGet("/{id:long}", async Task<IResult> (long id, IDbContextFactory<VigilDbContext> dbf, StepExecutions executions, CancellationToken ct) =>
        {
            var row = await LoadAsync(dbf, id, ct);
            if (row is null) return NotFound(id);
            // Running here: the freshest output is in memory, not yet on the row.
            if (row.State == StepExecutions.Running && executions.Find(id) is { } live) row.Output = live.Snapshot().Text;
            return TypedResults.Ok(ToDto(row));
        })
        .RequireRole(Role.Viewer)
        .WithSummary("A step run: status, exit code, times and output (so far, while it runs)")
        .Produces<ExecutionDto>();

        api.MapPost("/{id:long}/cancel", async Task<IResult> (long id, IDbContextFactory<VigilDbContext> dbf, StepExecutions executions, AuditLog audit, HttpContext http) =>
        {
            var ct = http.RequestAborted;
            var row = await LoadAsync(dbf, id, ct);
            if (row is null) return NotFound(id);
            var actor = Incidents.IncidentsApi.Actor(http);
            if (row.State != StepExecutions.Running || !await executions.CancelAsync(id, actor, ct))
            {
                await audit.RecordAsync(http, "runbook.execution.cancel", $"execution:{id}", AuditLog.Failed, new { reason = "not running", status = row.State });
                return Errors.Problem("Conflict", 409, $"Execution {id} is not running (it is {row.State}).");
            }
            await audit.RecordAsync(http, "runbook.execution.cancel", $"execution:{id}", AuditLog.Ok, new { incident = row.IncidentId, step = row.StepId });
            return TypedResults.Accepted($"/api/v1/executions/{id}", ToDto(row));
        })
        .RequireRole(Role.Responder)
        .WithSummary("Cancel a running step: its whole process tree is killed")
        .Produces<ExecutionDto>(StatusCodes.Status202Accepted)
        .ProducesProblem(StatusCodes.Status409Conflict);

        api.MapGet("/{id:long}/stream", StreamAsync)
            .RequireRole(Role.Viewer)
            .WithSummary("The run's output as server-sent events: `output` events ({text}) as it prints, then one `end` event ({status, exit_code})");

        return app;
    }

    /// <summary>
    /// Server-sent events. On the instance running the step, pieces are pushed as they are printed; elsewhere (another
    /// instance runs it, or it ended) the row is read every half second. Either way the stream ends with <c>end</c>.
    /// </summary>
    private static async Task StreamAsync(long id, IDbContextFactory<VigilDbContext> dbf, StepExecutions executions, TimeProvider time, HttpContext http)
    {
        var ct = http.RequestAborted;
        var row = await LoadAsync(dbf, id, ct);
        if (row is null)
        {
            await NotFound(id).ExecuteAsync(http);
            return;
        }
        http.Response.ContentType = "text/event-stream";
        http.Response.Headers.CacheControl = "no-cache";
        http.Response.Headers["X-Accel-Buffering"] = "no";
        await http.Response.Body.FlushAsync(ct);
        try
        {
            if (row.State == StepExecutions.Running && executions.Find(id)?.Follow() is { } follow)
            {
                if (follow.SoFar.Length > 0) await SendAsync(http, "output", new { text = follow.SoFar }, ct);
                await foreach (var piece in follow.Next.ReadAllAsync(ct)) await SendAsync(http, "output", new { text = piece }, ct);
                row = await LoadAsync(dbf, id, ct) ?? row;
            }
            else
            {
                var sent = 0;
                while (true)
                {
                    var output = row.Output ?? "";
                    if (output.Length > sent)
                    {
                        await SendAsync(http, "output", new { text = output[sent..] }, ct);
                        sent = output.Length;
                    }
                    if (row.State != StepExecutions.Running) break;
                    await Task.Delay(PollEvery, time, ct);
                    row = await LoadAsync(dbf, id, ct) ?? row;
                }
            }
            await SendAsync(http, "end", new { status = row.State, exit_code = row.ExitCode }, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            // The reader left.
        }
    }

    private static async Task SendAsync(HttpContext http, string kind, object data, CancellationToken ct)
    {
        await http.Response.WriteAsync($"event: {kind}\ndata: {JsonSerializer.Serialize(data, Json.Options)}\n\n", ct);
        await http.Response.Body.FlushAsync(ct);
    }

    private static async Task<StepExecution?> LoadAsync(IDbContextFactory<VigilDbContext> dbf, long id, CancellationToken ct)
    {
        await using var db = await dbf.CreateDbContextAsync(ct);
        return await db.StepExecutions.AsNoTracking().FirstOrDefaultAsync(e => e.Id == id && e.Kind == "run", ct);
    }

    private static IResult NotFound(long id) => Errors.NotFound($"There is no execution {id}.");

    public static ExecutionDto ToDto(StepExecution e) => new(
        e.Id, e.IncidentId, e.RunbookPath, e.Section, e.StepId, e.StepTitle, e.State, e.Risk, e.Actor,
        e.Parameters is null ? null : JsonDocument.Parse(e.Parameters).RootElement.Clone(), e.Reason, e.Command, e.ExitCode, e.StartedAt, e.FinishedAt,
        e.Output ?? "", e.OutputTruncated);
}
