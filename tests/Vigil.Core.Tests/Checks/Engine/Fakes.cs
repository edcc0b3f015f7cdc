using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Vigil.Core.Checks;
using Vigil.Core.Checks.Engine;
using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Checks.Engine;

/// <summary>Answers every probe with a connected observation, after <see cref="Delay"/> of (fake) time.</summary>
internal sealed class CannedProbe(TimeProvider time, CheckKind kind = CheckKind.Tcp) : ICheckProbe
{
    public CheckKind Kind => kind;

    public bool StartsWithoutBlocking { get; init; }

    public TimeSpan Delay { get; set; }

    public ConcurrentQueue<(string Check, DateTimeOffset At)> Calls { get; } = new();

    public async Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        // The fake-time delay exists before the call is visible: a test that sees the call and then advances the clock
        // must find the timer already registered, or the probe would wait for an advance that never comes.
        var at = time.GetUtcNow();
        var delay = Delay > TimeSpan.Zero ? Task.Delay(Delay, time, ct) : Task.CompletedTask;
        Calls.Enqueue((check.Id, at));
        await delay;
        return new Observation { Connected = true, ResponseTime = Delay, Value = 42 };
    }
}

/// <summary>A probe for a target that never answers and ignores cancellation: the worst case the engine must survive.</summary>
internal sealed class HangingProbe(CheckKind kind = CheckKind.Command) : ICheckProbe
{
    public CheckKind Kind => kind;

    public int Calls;

    public Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        Interlocked.Increment(ref Calls);
        return new TaskCompletionSource<Observation>().Task;
    }
}

/// <summary>A probe that blocks its caller's thread (a process start, a stat on a dead mount) until released.</summary>
internal sealed class BlockingProbe(CheckKind kind = CheckKind.Command) : ICheckProbe, IDisposable
{
    private readonly ManualResetEventSlim release = new();

    public CheckKind Kind => kind;

    public int Calls;

    public Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        Interlocked.Increment(ref Calls);
        release.Wait(TimeSpan.FromSeconds(30), CancellationToken.None);
        return Task.FromResult(new Observation { Connected = true });
    }

    public void Release() => release.Set();

    public void Dispose() => release.Dispose();
}

/// <summary>Up when connected, down otherwise.</summary>
internal sealed class ConnectedEvaluator : ICheckEvaluator
{
    public CheckOutcome Evaluate(Check check, Observation observation) =>
        observation.Connected ? new CheckOutcome(CheckStatus.Up, "ok", []) : new CheckOutcome(CheckStatus.Down, "[CONNECTED] (false) == true", []);
}

internal sealed class CollectingSink : ICheckResultSink
{
    public ConcurrentQueue<CheckResult> Results { get; } = new();

    public ValueTask PublishAsync(CheckResult result, CancellationToken ct)
    {
        Results.Enqueue(result);
        return ValueTask.CompletedTask;
    }

    public ValueTask<Task> PublishCommittedAsync(CheckResult result, CancellationToken ct)
    {
        Results.Enqueue(result);
        return ValueTask.FromResult(Task.CompletedTask);
    }

    public List<CheckResult> For(string check) => [.. Results.Where(r => r.CheckId == check).OrderBy(r => r.ScheduledFor)];
}

internal static class Engine
{
    public static readonly DateTimeOffset Start = new(2026, 3, 1, 0, 0, 0, TimeSpan.Zero);

    public static Check Check(string id, TimeSpan interval, CheckKind kind = CheckKind.Tcp, TimeSpan? timeout = null) => new()
    {
        Id = id,
        Kind = kind,
        Spec = new TcpCheckSpec("127.0.0.1", 9, null, null),
        Interval = interval,
        Timeout = timeout ?? TimeSpan.FromSeconds(5),
        Position = new SourcePosition("vigil.yaml", 1, 1),
    };

    public static WorkspaceModel Workspace(params (string Service, Check[] Checks)[] services) => new()
    {
        Name = "test",
        Directory = Path.GetTempPath(),
        Fingerprint = Guid.NewGuid().ToString("N"),
        Services = [.. services.Select(s => new Service { Id = s.Service, Name = s.Service, Checks = s.Checks, Position = new SourcePosition("vigil.yaml", 1, 1) })],
    };

    public static WorkspaceState State(FakeTimeProvider time, WorkspaceModel workspace)
    {
        var state = new WorkspaceState(time);
        state.Apply(new WorkspaceLoadResult(workspace, []));
        return state;
    }

    /// <summary>A scheduler that wakes for every slot exactly (no dispatch granularity), so tests can assert exact start times.</summary>
    public static CheckScheduler Scheduler(FakeTimeProvider time, ICheckResultSink sink, params ICheckProbe[] probes) =>
        Scheduler(time, sink, TimeSpan.Zero, probes);

    public static CheckScheduler Scheduler(FakeTimeProvider time, ICheckResultSink sink, TimeSpan granularity, params ICheckProbe[] probes) =>
        new(new CheckRunner(probes.ToDictionary(p => p.Kind), new ConnectedEvaluator(), time, Path.GetTempPath()), sink, time,
            new CheckEngineOptions { DispatchGranularity = granularity }, new FailingObserver());

    /// <summary>Nothing in these tests should reach the engine's error path; make it loud if it does.</summary>
    private sealed class FailingObserver : ICheckEngineObserver
    {
        public void RunCompleted(CheckResult result, TimeSpan duration, TimeSpan lag)
        {
        }

        public void SlotsSkipped(string serviceId, Check check, int count)
        {
        }

        public void Error(string serviceId, string checkId, Exception error) => Console.Error.WriteLine($"engine error on {serviceId}/{checkId}: {error}");
    }

    /// <summary>Waits (real time, bounded) until <paramref name="condition"/> holds.</summary>
    public static Task Until(Func<bool> condition, string what) => Until(condition, () => what);

    public static async Task Until(Func<bool> condition, Func<string> what)
    {
        var until = DateTime.UtcNow + TimeSpan.FromSeconds(20);
        while (!condition())
        {
            if (DateTime.UtcNow > until) Assert.Fail($"timed out waiting for {what()}");
            await Task.Delay(1);
        }
    }

    /// <summary>
    /// Waits until the dispatcher has handled every slot due now and armed its timer. Advancing the fake clock before
    /// that would arm the timer late, at a time the test has already passed.
    /// </summary>
    public static Task CaughtUp(FakeTimeProvider time, CheckScheduler scheduler)
    {
        var now = time.GetUtcNow();
        return Until(() => scheduler.IsCaughtUp(now), $"dispatch through {now:O}");
    }

    /// <summary>Moves the fake clock to <paramref name="to"/> in steps, letting the dispatcher catch up after each.</summary>
    /// <remarks>
    /// Unless <paramref name="runsFinish"/> is false, also waits for the runs each step started to finish, as they
    /// would in the real time a step stands for; probes that take fake time or hang need the test's own waits.
    /// </remarks>
    public static async Task AdvanceTo(FakeTimeProvider time, CheckScheduler scheduler, DateTimeOffset to, TimeSpan step, bool runsFinish = true)
    {
        await CaughtUp(time, scheduler);
        while (time.GetUtcNow() < to)
        {
            var next = time.GetUtcNow() + step;
            time.Advance((next < to ? next : to) - time.GetUtcNow());
            var now = time.GetUtcNow();
            await Until(() => scheduler.IsCaughtUp(now), $"dispatch through {now:O}");
            if (runsFinish) await Until(() => scheduler.InFlight == 0, $"runs started by {now:O} to finish");
        }
    }
}
