using Microsoft.Extensions.Time.Testing;
using Vigil.Core.Checks;
using Vigil.Core.Checks.Engine;
using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Checks.Engine;

public sealed class CheckSchedulerTests
{
    private static readonly TimeSpan Ten = TimeSpan.FromSeconds(10);

    [Fact]
    public void Phases_of_10000_checks_at_one_interval_spread_evenly_across_it()
    {
        var buckets = new int[100];
        for (var i = 0; i < 10_000; i++)
        {
            var phase = CheckScheduler.Phase($"service-{i / 10}", $"check-{i % 10}", Ten);
            Assert.InRange(phase, TimeSpan.Zero, Ten - TimeSpan.FromTicks(1));
            buckets[(int)(phase.Ticks * 100 / Ten.Ticks)]++;
        }
        // 100 per 100 ms bucket on average; a binomial standard deviation is ~10, so ±40 is four of them.
        Assert.InRange(buckets.Min(), 60, 100);
        Assert.InRange(buckets.Max(), 100, 140);
    }

    [Fact]
    public void Phase_is_deterministic_and_differs_between_similar_names()
    {
        Assert.Equal(CheckScheduler.Phase("api", "health", Ten), CheckScheduler.Phase("api", "health", Ten));
        Assert.NotEqual(CheckScheduler.Phase("api", "health1", Ten), CheckScheduler.Phase("api", "health2", Ten));
    }

    [Fact]
    public async Task Scheduler_fires_1000_checks_spread_over_the_interval_not_together()
    {
        const int N = 1000;
        var time = new FakeTimeProvider(Engine.Start);
        var probe = new CannedProbe(time);
        var sink = new CollectingSink();
        var checks = Enumerable.Range(0, N).Select(i => Engine.Check($"c{i}", Ten)).ToArray();
        await using var scheduler = Engine.Scheduler(time, sink, probe);
        scheduler.Start(Engine.State(time, Engine.Workspace(("svc", checks))));

        var perStep = new List<long>();
        for (var step = 0; step < 100; step++)
        {
            var before = scheduler.Dispatched;
            await Engine.AdvanceTo(time, scheduler, time.GetUtcNow() + TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));
            perStep.Add(scheduler.Dispatched - before);
        }
        await Engine.Until(() => sink.Results.Count >= 1000, "1000 results");
        Assert.Equal(1000, perStep.Sum());
        Assert.Equal(1000, sink.Results.Select(r => r.CheckId).Distinct().Count());
        Assert.True(perStep.Max() <= 35, $"at most {perStep.Max()} of 1000 checks in one 100 ms step (mean 10)");
    }

    [Fact]
    public async Task With_a_dispatch_granularity_runs_due_together_start_together_never_later_than_it()
    {
        const int N = 1000;
        var granularity = TimeSpan.FromMilliseconds(500);
        var time = new FakeTimeProvider(Engine.Start);
        var probe = new CannedProbe(time);
        var sink = new CollectingSink();
        var checks = Enumerable.Range(0, N).Select(i => Engine.Check($"c{i}", Ten)).ToArray();
        await using var scheduler = Engine.Scheduler(time, sink, granularity, probe);
        scheduler.Start(Engine.State(time, Engine.Workspace(("svc", checks))));
        // The dispatcher thread's first wake-ups (its start, the workspace's reconcile) come before the clock moves.
        await Engine.CaughtUp(time, scheduler);

        var before = scheduler.Wakeups;
        await Engine.AdvanceTo(time, scheduler, Engine.Start + Ten, TimeSpan.FromMilliseconds(10));
        await Engine.Until(() => sink.Results.Count >= N, "a result per check");

        // Without a granularity the dispatcher wakes for nearly every one of the 1000 distinct slots.
        Assert.InRange(scheduler.Wakeups - before, 1, Ten / granularity + 1);
        Assert.Equal(N, sink.Results.Select(r => r.CheckId).Distinct().Count());
        foreach (var r in sink.Results)
        {
            Assert.InRange(r.At - r.ScheduledFor!.Value, TimeSpan.Zero, granularity);
            Assert.Equal(CheckScheduler.NextSlot(CheckScheduler.Phase("svc", r.CheckId, Ten), Ten, Engine.Start), r.ScheduledFor);
        }
    }

    [Fact]
    public async Task On_the_real_clock_the_dispatcher_thread_wakes_for_a_reload_keeps_every_slot_and_stops_when_disposed()
    {
        var interval = TimeSpan.FromMilliseconds(300);
        var probe = new CannedProbe(TimeProvider.System) { StartsWithoutBlocking = true };
        var sink = new CollectingSink();
        var state = new WorkspaceState(TimeProvider.System);
        state.Apply(new WorkspaceLoadResult(Engine.Workspace(("svc", [])), []));
        var scheduler = new CheckScheduler(new CheckRunner(new Dictionary<CheckKind, ICheckProbe> { [CheckKind.Tcp] = probe }, new ConnectedEvaluator(), TimeProvider.System, Path.GetTempPath()),
            sink, TimeProvider.System);
        scheduler.Start(state);
        // Nothing scheduled: the dispatcher sleeps with no deadline, so only the reload's poke can start these.
        await Task.Delay(100, TestContext.Current.CancellationToken);
        state.Apply(new WorkspaceLoadResult(Engine.Workspace(("svc", [.. Enumerable.Range(0, 5).Select(i => Engine.Check($"c{i}", interval))])), []));
        await Engine.Until(() => Enumerable.Range(0, 5).All(i => sink.For($"c{i}").Count >= 4), "four runs of each check");

        await scheduler.DisposeAsync();
        var after = sink.Results.Count;
        foreach (var i in Enumerable.Range(0, 5))
        {
            var runs = sink.For($"c{i}");
            // Consecutive slots, none skipped, each started after its slot and within the granularity (a tenth of the
            // interval) plus what a busy test machine adds.
            Assert.All(runs.Zip(runs.Skip(1)), p => Assert.Equal(interval, p.Second.ScheduledFor - p.First.ScheduledFor));
            Assert.All(runs, r => Assert.InRange(r.At - r.ScheduledFor!.Value, TimeSpan.Zero, TimeSpan.FromMilliseconds(30 + 250)));
        }
        await Task.Delay(2 * interval, TestContext.Current.CancellationToken);
        Assert.Equal(after, sink.Results.Count);
    }

    [Fact]
    public async Task The_dispatch_granularity_is_capped_at_a_tenth_of_the_shortest_interval()
    {
        var time = new FakeTimeProvider(Engine.Start);
        var probe = new CannedProbe(time);
        var sink = new CollectingSink();
        var second = TimeSpan.FromSeconds(1);
        var checks = Enumerable.Range(0, 50).Select(i => Engine.Check($"c{i}", second)).ToArray();
        await using var scheduler = Engine.Scheduler(time, sink, TimeSpan.FromSeconds(5), probe);
        scheduler.Start(Engine.State(time, Engine.Workspace(("svc", checks))));

        await Engine.AdvanceTo(time, scheduler, Engine.Start + 10 * second, TimeSpan.FromMilliseconds(10));
        await Engine.Until(() => sink.Results.Count >= 450, "nine results per check");
        Assert.All(sink.Results, r => Assert.InRange(r.At - r.ScheduledFor!.Value, TimeSpan.Zero, TimeSpan.FromMilliseconds(100)));
    }

    [Fact]
    public async Task Slot_k_starts_at_phase_plus_k_intervals_exactly_over_an_hour_of_slow_probes()
    {
        var time = new FakeTimeProvider(Engine.Start);
        var probe = new CannedProbe(time) { Delay = TimeSpan.FromSeconds(7) };
        var sink = new CollectingSink();
        await using var scheduler = Engine.Scheduler(time, sink, probe);
        scheduler.Start(Engine.State(time, Engine.Workspace(("svc", [Engine.Check("slow", Ten, timeout: TimeSpan.FromSeconds(9))]))));

        var phase = CheckScheduler.Phase("svc", "slow", Ten);
        var first = CheckScheduler.NextSlot(phase, Ten, Engine.Start);
        for (var k = 0; k < 360; k++)
        {
            var slot = first + k * Ten;
            await Engine.CaughtUp(time, scheduler);
            time.Advance(slot - time.GetUtcNow());
            await Engine.Until(() => probe.Calls.Count == k + 1, $"probe call {k}");
            await Engine.CaughtUp(time, scheduler);
            time.Advance(TimeSpan.FromSeconds(7));
            await Engine.Until(() => sink.Results.Count == k + 1, $"result {k}");
        }

        var results = sink.For("slow");
        Assert.Equal(360, results.Count);
        for (var k = 0; k < results.Count; k++)
        {
            var expected = DateTimeOffset.UnixEpoch + phase + ((first - DateTimeOffset.UnixEpoch - phase).Ticks / Ten.Ticks + k) * Ten;
            Assert.Equal(expected, results[k].ScheduledFor);
            Assert.Equal(expected, results[k].At);
            Assert.Equal(CheckStatus.Up, results[k].Status);
            Assert.Equal(7000, results[k].LatencyMs);
        }
        Assert.Equal(0, scheduler.SkippedSlots);
    }

    [Fact]
    public async Task A_hanging_probe_is_abandoned_at_its_timeout_never_delays_another_check_and_is_never_started_twice()
    {
        var time = new FakeTimeProvider(Engine.Start);
        var hanging = new HangingProbe();
        var canned = new CannedProbe(time);
        var sink = new CollectingSink();
        await using var scheduler = Engine.Scheduler(time, sink, hanging, canned);
        scheduler.Start(Engine.State(time, Engine.Workspace(("svc", [
            Engine.Check("stuck", Ten, CheckKind.Command, timeout: TimeSpan.FromSeconds(5)),
            Engine.Check("fine", Ten),
        ]))));

        const string StillHung = "the previous probe is still running after its timeout; no new probe starts until it returns";
        long Calls() => hanging.Calls + canned.Calls.Count + sink.Results.Count(r => r.Message == StillHung);
        var end = Engine.Start + TimeSpan.FromMinutes(2);
        while (time.GetUtcNow() < end)
        {
            await Engine.AdvanceTo(time, scheduler, time.GetUtcNow() + TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500), runsFinish: false);
            await Engine.Until(() => Calls() >= scheduler.Dispatched, "dispatched runs to reach their probes");
        }
        await Engine.Until(() => sink.For("stuck").Count >= 11 && sink.For("fine").Count == canned.Calls.Count, "every started run's result");

        // The first run times out and abandons the probe, which never returns; later runs are down without
        // starting another, so one hung probe is all there ever is.
        var stuck = sink.For("stuck");
        Assert.Equal(1, hanging.Calls);
        Assert.Equal((CheckStatus.Down, "timed out after 5s", 5000.0), (stuck[0].Status, stuck[0].Message, stuck[0].LatencyMs));
        Assert.All(stuck.Skip(1), r => Assert.Equal((CheckStatus.Down, StillHung), (r.Status, r.Message)));
        var fine = sink.For("fine");
        Assert.InRange(fine.Count, 11, 12);
        Assert.All(fine, r =>
        {
            Assert.Equal(CheckStatus.Up, r.Status);
            Assert.InRange(r.At - r.ScheduledFor!.Value, TimeSpan.Zero, TimeSpan.FromMilliseconds(500));
        });
        for (var i = 1; i < fine.Count; i++) Assert.Equal(Ten, fine[i].ScheduledFor - fine[i - 1].ScheduledFor);
        Assert.Equal(0, scheduler.SkippedSlots);
    }

    [Fact]
    public async Task A_probe_that_blocks_its_thread_never_delays_the_runs_the_dispatcher_starts_itself()
    {
        var time = new FakeTimeProvider(Engine.Start);
        using var blocking = new BlockingProbe();
        var inline = new CannedProbe(time) { StartsWithoutBlocking = true };
        var sink = new CollectingSink();
        // Runs due together start together: the blocking check's run and the socket check's share every dispatch.
        await using var scheduler = Engine.Scheduler(time, sink, TimeSpan.FromSeconds(1), blocking, inline);
        scheduler.Start(Engine.State(time, Engine.Workspace(("svc", [
            Engine.Check("blocks", Ten, CheckKind.Command),
            Engine.Check("socket", Ten),
        ]))));

        var end = Engine.Start + TimeSpan.FromSeconds(60);
        while (time.GetUtcNow() < end)
        {
            await Engine.AdvanceTo(time, scheduler, time.GetUtcNow() + TimeSpan.FromMilliseconds(500), TimeSpan.FromMilliseconds(500), runsFinish: false);
            await Engine.Until(() => inline.Calls.Count + blocking.Calls >= scheduler.Dispatched, "dispatched runs to reach their probes");
        }
        await Engine.Until(() => sink.For("socket").Count == inline.Calls.Count, "the socket check's results");

        // The blocked run holds a pool thread from the first slot on; the socket check still ran at every slot, on time.
        Assert.Equal(1, blocking.Calls);
        Assert.Empty(sink.For("blocks"));
        var socket = sink.For("socket");
        Assert.InRange(socket.Count, 6, 7);
        Assert.All(socket, r => Assert.InRange(r.At - r.ScheduledFor!.Value, TimeSpan.Zero, TimeSpan.FromSeconds(1)));
        Assert.True(scheduler.SkippedSlots >= 5, $"{scheduler.SkippedSlots} slots of the blocked check skipped");

        blocking.Release();
        await Engine.Until(() => sink.For("blocks").Count == 1, "the blocked run's result once released");
        // It returned long after its timeout, so its result says so.
        Assert.Equal((CheckStatus.Down, "timed out after 5s"), (sink.For("blocks")[0].Status, sink.For("blocks")[0].Message));
    }

    [Fact]
    public async Task A_slot_whose_previous_run_is_still_in_flight_is_skipped_and_counted()
    {
        var time = new FakeTimeProvider(Engine.Start);
        var probe = new CannedProbe(time) { Delay = TimeSpan.FromSeconds(25) };
        var sink = new CollectingSink();
        await using var scheduler = Engine.Scheduler(time, sink, probe);
        scheduler.Start(Engine.State(time, Engine.Workspace(("svc", [Engine.Check("slow", Ten, timeout: TimeSpan.FromMinutes(1))]))));

        var end = Engine.Start + TimeSpan.FromSeconds(125);
        while (time.GetUtcNow() < end)
        {
            await Engine.AdvanceTo(time, scheduler, time.GetUtcNow() + TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1), runsFinish: false);
            await Engine.Until(() => probe.Calls.Count >= scheduler.Dispatched, "dispatched runs to reach the probe");
        }
        await Engine.Until(() => sink.Results.Count >= 4, "four results");

        var results = sink.For("slow");
        // A 25 s probe at a 10 s interval: each run overlaps two slots, which are skipped, not queued behind it.
        for (var i = 1; i < results.Count; i++) Assert.Equal(3 * Ten, results[i].ScheduledFor - results[i - 1].ScheduledFor);
        Assert.True(scheduler.SkippedSlots >= 2 * (results.Count - 1), $"{scheduler.SkippedSlots} skipped for {results.Count} runs");
    }

    [Fact]
    public async Task Hot_reload_adds_removes_and_reschedules_checks_without_moving_unchanged_ones()
    {
        var time = new FakeTimeProvider(Engine.Start);
        var probe = new CannedProbe(time);
        var sink = new CollectingSink();
        await using var scheduler = Engine.Scheduler(time, sink, probe);
        var state = Engine.State(time, Engine.Workspace(("svc", [Engine.Check("keep", Ten), Engine.Check("drop", Ten), Engine.Check("slower", Ten)])));
        scheduler.Start(state);
        Assert.Equal(3, scheduler.Scheduled);

        await Engine.AdvanceTo(time, scheduler, Engine.Start + TimeSpan.FromSeconds(30), TimeSpan.FromSeconds(1));
        await Engine.Until(() => sink.Results.Count >= 9, () => $"three rounds at {time.GetUtcNow():ss.fff}, dispatched {scheduler.Dispatched} skipped {scheduler.SkippedSlots} caught up {scheduler.IsCaughtUp(time.GetUtcNow())}, have {string.Join(", ", sink.Results.Select(r => $"{r.CheckId}@{r.ScheduledFor:ss.fff}"))}");
        var reloadAt = time.GetUtcNow();
        state.Apply(new WorkspaceLoadResult(Engine.Workspace(("svc", [
            Engine.Check("keep", Ten, timeout: TimeSpan.FromSeconds(3)),
            Engine.Check("slower", 2 * Ten),
            Engine.Check("new", Ten),
        ])), []));
        Assert.Equal(3, scheduler.Scheduled);

        await Engine.AdvanceTo(time, scheduler, reloadAt + TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(1));
        await Engine.Until(() => sink.For("new").Count >= 6 && sink.For("keep").Count >= 9, "rounds after the reload");

        Assert.DoesNotContain(sink.For("drop"), r => r.ScheduledFor > reloadAt);
        var keep = sink.For("keep");
        for (var i = 1; i < keep.Count; i++) Assert.Equal(Ten, keep[i].ScheduledFor - keep[i - 1].ScheduledFor);
        var slower = sink.For("slower").Where(r => r.ScheduledFor > reloadAt).ToList();
        Assert.InRange(slower.Count, 2, 3);
        for (var i = 1; i < slower.Count; i++) Assert.Equal(2 * Ten, slower[i].ScheduledFor - slower[i - 1].ScheduledFor);
        Assert.InRange(sink.For("new").Count, 6, 6);
    }

    [Fact]
    public async Task Only_kinds_with_a_probe_are_scheduled_and_heartbeats_never()
    {
        var time = new FakeTimeProvider(Engine.Start);
        await using var scheduler = Engine.Scheduler(time, new CollectingSink(), new CannedProbe(time), new CannedProbe(time, CheckKind.Heartbeat));
        scheduler.Start(Engine.State(time, Engine.Workspace(("svc", [
            Engine.Check("tcp", Ten),
            Engine.Check("http", Ten, CheckKind.Http),
            Engine.Check("ping", Ten, CheckKind.Heartbeat),
        ]))));
        Assert.Equal(1, scheduler.Scheduled);
    }

    [Fact]
    public async Task A_probe_that_throws_becomes_a_down_result_saying_why()
    {
        var time = new FakeTimeProvider(Engine.Start);
        var runner = new CheckRunner(new Dictionary<CheckKind, ICheckProbe> { [CheckKind.Tcp] = new ThrowingProbe() }, new ConnectedEvaluator(), time, ".");
        var run = await runner.RunAsync("svc", Engine.Check("boom", Ten), null, CancellationToken.None);
        Assert.Equal(CheckStatus.Down, run.Result.Status);
        Assert.Equal("probe failed: kaput", run.Result.Message);
        Assert.Null(run.Result.ScheduledFor);
    }

    private sealed class ThrowingProbe : ICheckProbe
    {
        public CheckKind Kind => CheckKind.Tcp;

        public Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct) => throw new InvalidOperationException("kaput");
    }
}
