using System.Collections.Concurrent;
using System.Text;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Runbooks;
using Vigil.Storage;
using Vigil.Web.Incidents;

namespace Vigil.Web.Runbooks;

/// <summary>A run Vigil is about to start: its row is committed, this is what the process needs.</summary>
// Redact: Masks the workspace's secrets and the run's sensitive parameter values in what it prints.
// Sql: set for a SQL step, which runs against the workspace's database instead of as a script.
public sealed record PendingRun(long ExecutionId, long IncidentId, string StepLabel, StepRunRequest Request, Func<string, string> Redact, SqlStepRequest? Sql = null);

/// <summary>
/// Runs runbook steps in the background and keeps what they print: every run is a row (<see cref="StepExecution"/>)
/// committed before its process starts; its output is appended in memory for live readers and written to the row every
/// second, so a crash loses at most a second of output; the end (exit code, status) goes on the row and the timeline.
/// A cancel made on another instance is a flag on the row, seen at the next write. At start, and every half minute,
/// runs left <c>running</c> by a process that is gone (this machine's earlier processes, or any run past its deadline)
/// are marked <c>interrupted</c>.
/// </summary>
public sealed class StepExecutions(
    IDbContextFactory<VigilDbContext> dbFactory, IncidentStore store, TimeProvider time, ILogger<StepExecutions> log) : BackgroundService
{
    public const string Running = "running";

    private static readonly TimeSpan FlushEvery = TimeSpan.FromSeconds(1);
    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(30);
    // A run's process is killed at its deadline; past it by this much, nobody is running it any more.
    private static readonly TimeSpan LostAfter = TimeSpan.FromSeconds(30);
    private static readonly string Machine = Environment.MachineName + ":";

    private readonly ConcurrentDictionary<long, LiveRun> live = new();
    private readonly CancellationTokenSource stopping = new();

    /// <summary>This process's name on the rows it runs.</summary>
    public string Instance { get; } = $"{Environment.MachineName}:{Environment.ProcessId}:{Guid.NewGuid():N}";

    /// <summary>The run, if this instance is running it.</summary>
    public LiveRun? Find(long id) => live.GetValueOrDefault(id);

    /// <summary>Starts a committed run; returns at once.</summary>
    public void Start(PendingRun run)
    {
        var liveRun = new LiveRun(run.ExecutionId, CancellationTokenSource.CreateLinkedTokenSource(stopping.Token));
        live[run.ExecutionId] = liveRun;
        _ = Task.Run(() => RunAsync(run, liveRun));
    }

    private async Task RunAsync(PendingRun run, LiveRun liveRun)
    {
        StepRunResult result;
        using var flusher = new CancellationTokenSource();
        var flushing = FlushLoopAsync(liveRun, flusher.Token);
        try
        {
            void Output(string piece) => liveRun.Append(run.Redact(piece));
            result = run.Sql is { } sql
                ? await SqlStepRunner.RunAsync(sql, Output, time, liveRun.Cancel.Token)
                : await StepRunner.RunAsync(run.Request, Output, time, liveRun.Cancel.Token);
        }
        catch (Exception e)
        {
            log.LogError(e, "Execution {Id} failed to run", run.ExecutionId);
            result = new StepRunResult(RunOutcome.FailedToStart, null, false, TimeSpan.Zero, "Vigil could not run the step: " + e.GetType().Name);
        }
        await flusher.CancelAsync();
        await flushing;
        try
        {
            await FinishAsync(run, liveRun, result);
        }
        catch (Exception e)
        {
            // The sweep marks the row interrupted after its deadline; the output written so far stays.
            log.LogError(e, "Execution {Id}: recording its end failed", run.ExecutionId);
        }
        finally
        {
            liveRun.Complete();
            live.TryRemove(run.ExecutionId, out _);
            liveRun.Cancel.Dispose();
        }
    }

    private async Task FlushLoopAsync(LiveRun run, CancellationToken ct)
    {
        var written = 0;
        while (!ct.IsCancellationRequested)
        {
            try
            {
                await Task.Delay(FlushEvery, time, ct);
            }
            catch (OperationCanceledException)
            {
                return;
            }
            try
            {
                await using var db = await dbFactory.CreateDbContextAsync(ct);
                var (text, length) = run.Snapshot();
                if (length != written)
                {
                    await db.StepExecutions.Where(e => e.Id == run.Id && e.State == Running).ExecuteUpdateAsync(u => u.SetProperty(e => e.Output, text), ct);
                    written = length;
                }
                if (await db.StepExecutions.AnyAsync(e => e.Id == run.Id && e.CancelRequested, ct))
                {
                    // Who asked is in the audit log of the instance that took the request.
                    run.CanceledBy ??= "a request to another instance";
                    await run.Cancel.CancelAsync();
                }
            }
            catch (Exception e) when (!ct.IsCancellationRequested)
            {
                log.LogWarning("Execution {Id}: writing its output failed ({Error}); retrying", run.Id, e.GetType().Name);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    private async Task FinishAsync(PendingRun run, LiveRun liveRun, StepRunResult result)
    {
        var (output, _) = liveRun.Snapshot();
        if (result.Error is not null) output += (output.Length > 0 && !output.EndsWith('\n') ? "\n" : "") + result.Error + "\n";
        var state = result.Outcome switch
        {
            RunOutcome.Exited when result.ExitCode == 0 => "succeeded",
            RunOutcome.TimedOut => "timed_out",
            RunOutcome.Canceled => stopping.IsCancellationRequested && liveRun.CanceledBy is null ? "interrupted" : "canceled",
            _ => "failed",
        };
        var now = time.GetUtcNow();
        await using var db = await dbFactory.CreateDbContextAsync(CancellationToken.None);
        var row = await db.StepExecutions.FirstAsync(e => e.Id == run.ExecutionId, CancellationToken.None);
        row.State = state;
        row.ExitCode = result.ExitCode;
        row.Output = output;
        row.OutputTruncated = result.Truncated;
        row.FinishedAt = now;
        Health.Metrics.StepRuns.WithLabels(row.Risk ?? "unknown", state).Inc();
        var how = result.Outcome switch
        {
            RunOutcome.Exited => $"exited with {result.ExitCode}",
            RunOutcome.TimedOut => $"was killed at its {Core.Workspace.Durations.Format(run.Request.Timeout)} timeout",
            RunOutcome.Canceled when liveRun.CanceledBy is { } by => $"was canceled by {by}",
            RunOutcome.Canceled => "was stopped because Vigil shut down",
            _ => "could not start",
        };
        store.AddEntry(db, run.IncidentId, "step_output", liveRun.CanceledBy ?? row.Actor,
            $"{run.StepLabel} {how} after {result.Duration.TotalSeconds.ToString("0.0", System.Globalization.CultureInfo.InvariantCulture)} s", new
            {
                execution = run.ExecutionId,
                step_id = row.StepId,
                status = state,
                exit_code = result.ExitCode,
                output = output.Length > TimelineOutput ? output[..TimelineOutput] : output,
                output_truncated = result.Truncated || output.Length > TimelineOutput,
            });
        await db.SaveChangesAsync(CancellationToken.None);
    }

    /// <summary>Output kept on the timeline entry; the whole (up to <c>output_limit</c>) is on the execution.</summary>
    public const int TimelineOutput = 64 * 1024;

    /// <summary>Cancels a run this instance is running, or flags it for the instance that is. False when it is not running.</summary>
    public async Task<bool> CancelAsync(long id, string actor, CancellationToken ct)
    {
        if (live.TryGetValue(id, out var run))
        {
            run.CanceledBy ??= actor;
            await run.Cancel.CancelAsync();
            return true;
        }
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        return await db.StepExecutions.Where(e => e.Id == id && e.State == Running).ExecuteUpdateAsync(u => u.SetProperty(e => e.CancelRequested, true), ct) > 0;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var first = true;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await SweepAsync(first, stoppingToken);
                first = false;
                await Task.Delay(SweepEvery, time, stoppingToken);
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e)
            {
                log.LogError(e, "Sweeping interrupted step runs failed; retrying");
                await Task.Delay(SweepEvery, time, stoppingToken);
            }
        }
    }

    /// <summary>Marks runs nobody is running any more as interrupted, each with a timeline entry.</summary>
    internal async Task SweepAsync(bool atStart, CancellationToken ct)
    {
        var now = time.GetUtcNow();
        var lost = now - LostAfter;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var q = db.StepExecutions.Where(e => e.State == Running && e.Instance != Instance);
        var rows = await q.Where(e => e.Deadline < lost || (atStart && e.Instance != null && e.Instance.StartsWith(Machine))).ToListAsync(ct);
        foreach (var row in rows)
        {
            row.State = "interrupted";
            row.FinishedAt = now;
            Health.Metrics.StepRuns.WithLabels(row.Risk ?? "unknown", row.State).Inc();
            if (row.IncidentId is { } incident)
            {
                store.AddEntry(db, incident, "step_output", "vigil", $"Step '{row.StepTitle}': the run was interrupted (Vigil stopped while it ran); its output so far is kept",
                    new { execution = row.Id, step_id = row.StepId, status = row.State });
            }
        }
        if (rows.Count > 0)
        {
            await db.SaveChangesAsync(ct);
            log.LogWarning("{Count} step run(s) were interrupted by a stop of Vigil and are marked so", rows.Count);
        }
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        // Nothing a responder started keeps running unattended after Vigil stops: kill the runs, record how they ended.
        await stopping.CancelAsync();
        var ends = live.Values.Select(r => r.Done).ToList();
        await Task.WhenAny(Task.WhenAll(ends), Task.Delay(TimeSpan.FromSeconds(10), CancellationToken.None));
        await base.StopAsync(cancellationToken);
    }

    public override void Dispose()
    {
        stopping.Dispose();
        base.Dispose();
    }
}

/// <summary>A run in progress on this instance: its output so far and the readers following it.</summary>
public sealed class LiveRun(long id, CancellationTokenSource cancel)
{
    private readonly Lock gate = new();
    private readonly StringBuilder output = new();
    private readonly List<Channel<string>> readers = [];
    private readonly TaskCompletionSource done = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public long Id { get; } = id;

    public CancellationTokenSource Cancel { get; } = cancel;

    /// <summary>Who canceled it, when someone did.</summary>
    public string? CanceledBy { get; set; }

    public Task Done => done.Task;

    public void Append(string piece)
    {
        lock (gate)
        {
            output.Append(piece);
            foreach (var r in readers) r.Writer.TryWrite(piece);
        }
    }

    public (string Text, int Length) Snapshot()
    {
        lock (gate) return (output.ToString(), output.Length);
    }

    /// <summary>The output so far and a channel of what follows, taken together so no piece is missed or repeated;
    /// null when the run already ended.</summary>
    public (string SoFar, ChannelReader<string> Next)? Follow()
    {
        lock (gate)
        {
            if (done.Task.IsCompleted) return null;
            var channel = System.Threading.Channels.Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });
            readers.Add(channel);
            return (output.ToString(), channel.Reader);
        }
    }

    public void Complete()
    {
        lock (gate)
        {
            foreach (var r in readers) r.Writer.TryComplete();
            readers.Clear();
            done.TrySetResult();
        }
    }
}
