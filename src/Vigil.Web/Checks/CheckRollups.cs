using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Hosting;

namespace Vigil.Web.Checks;

/// <summary>
/// Background upkeep of check history: per-minute and per-hour rollups of the raw results, and retention.
/// </summary>
/// <remarks>
/// <para>A bucket is rolled up once, after it has closed plus <see cref="Settle"/> (a run is stamped with its start,
/// and may be stored up to its timeout later). Each pass rolls up only the buckets that settled since the last one,
/// reading their raw results with one range query over all checks (by the <c>at</c> index), so a pass costs in
/// proportion to the results it summarises, not to the number of checks. Hours are computed from the raw latencies,
/// not from minute rollups: percentiles do not compose. Rolling a bucket up again overwrites it, so a re-run is
/// harmless.</para>
/// <para>After a start the passes resume from the last bucket stored, so a downtime is caught up as far back as raw
/// results are kept, in chunks of an hour of results at a time.</para>
/// <para>Percentiles are nearest-rank: p-th = the ⌈p/100·n⌉-th smallest latency.</para>
/// <para>Retention deletes in batches of <see cref="CheckEngineSettings.RetentionBatchSize"/> rows per statement,
/// each its own transaction, so the writer is never locked out for long.</para>
/// </remarks>
public sealed class CheckRollups(IDbContextFactory<VigilDbContext> dbFactory, WorkspaceState workspace, VigilHostOptions options, ILogger<CheckRollups> log)
    : BackgroundService
{
    /// <summary>The least time a bucket waits after closing; longer when a check's timeout is longer.</summary>
    public static readonly TimeSpan MinSettle = TimeSpan.FromMinutes(2);

    /// <summary>How long after a bucket closes it is rolled up: long enough for the slowest check's result to be stored.</summary>
    public TimeSpan Settle
    {
        get
        {
            var longest = workspace.Now.Current?.Services.SelectMany(s => s.Checks).Select(c => c.Timeout).DefaultIfEmpty().Max() ?? TimeSpan.Zero;
            return Max(MinSettle, longest + TimeSpan.FromMinutes(1));
        }
    }

    private static readonly TimeSpan Minute = TimeSpan.FromMinutes(1);
    private static readonly TimeSpan Hour = TimeSpan.FromHours(1);

    private DateTimeOffset? minutesDone;
    private DateTimeOffset? hoursDone;

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var backoff = TimeSpan.Zero;
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                var now = options.Time.GetUtcNow();
                await RollupPassAsync(now, stoppingToken);
                await RetentionAsync(now, stoppingToken);
                Passes++;
                backoff = TimeSpan.Zero;
                await Task.Delay(options.Engine.MaintenanceInterval, options.Time, stoppingToken);
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                backoff = backoff == TimeSpan.Zero ? TimeSpan.FromSeconds(5) : TimeSpan.FromTicks(Math.Min(backoff.Ticks * 2, TimeSpan.FromMinutes(5).Ticks));
                log.LogError(e, "Check rollups or retention failed; retrying in {Backoff}", backoff);
                await Task.Delay(backoff, options.Time, stoppingToken);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>Rolls up every minute and hour that has settled since the last pass (after a start: since the last stored bucket).</summary>
    public async Task RollupPassAsync(DateTimeOffset now, CancellationToken ct)
    {
        var settled = now - Settle;
        minutesDone = await CatchUpAsync(Granularity.Minute, minutesDone, Floor(settled, Minute), now, ct);
        hoursDone = await CatchUpAsync(Granularity.Hour, hoursDone, Floor(settled, Hour), now, ct);
    }

    private async Task<DateTimeOffset> CatchUpAsync(Granularity granularity, DateTimeOffset? done, DateTimeOffset end, DateTimeOffset now, CancellationToken ct)
    {
        var from = done ?? await ResumePointAsync(granularity, end, now, ct);
        while (from < end)
        {
            // An hour of results per query bounds the memory a long catch-up needs.
            var to = Min(end, from + Hour);
            await RollupAsync(granularity, from, to, ct);
            from = to;
        }
        return Max(from, end);
    }

    /// <summary>Where rolling up resumes after a start: after the last stored bucket, else at the oldest raw result kept.</summary>
    private async Task<DateTimeOffset> ResumePointAsync(Granularity granularity, DateTimeOffset end, DateTimeOffset now, CancellationToken ct)
    {
        var size = Size(granularity);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var name = Name(granularity);
        var last = await db.CheckRollups.Where(r => r.Granularity == name).MaxAsync(r => (DateTimeOffset?)r.BucketStart, ct);
        DateTimeOffset from;
        if (last is { } l) from = l + size;
        else if (await db.CheckResults.MinAsync(r => (DateTimeOffset?)r.At, ct) is { } oldest) from = Floor(oldest, size);
        else return end;
        return Floor(Max(from, now - options.Engine.RawRetention), size);
    }

    /// <summary>(Re)computes the rollups of every bucket of <paramref name="granularity"/> in [from, to), for every check with results.</summary>
    /// <returns>How many rollup rows were written.</returns>
    public async Task<int> RollupAsync(Granularity granularity, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        var size = Size(granularity);
        from = Floor(from, size);
        if (to <= from) return 0;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        var buckets = new Dictionary<(string Service, string Check, DateTimeOffset Start), Bucket>();
        await using (var read = Sql.Command(connection, null,
            "SELECT service_id, check_id, at, status, latency_ms FROM check_results WHERE at >= @f AND at < @t",
            "@f", "@t"))
        {
            Sql.Set(read, "@f", Sql.Time(db, from));
            Sql.Set(read, "@t", Sql.Time(db, to));
            await using var reader = await read.ExecuteReaderAsync(ct);
            while (await reader.ReadAsync(ct))
            {
                var key = (reader.GetString(0), reader.GetString(1), Floor(Sql.ReadTime(reader, 2), size));
                if (!buckets.TryGetValue(key, out var b)) buckets[key] = b = new Bucket();
                b.Add(Sql.ParseStatus(reader.GetString(3)), reader.GetDouble(4));
            }
        }
        if (buckets.Count == 0) return 0;
        await using var tx = await connection.BeginTransactionAsync(ct);
        await using var upsert = Sql.Command(connection, tx,
            """
            INSERT INTO check_rollups (service_id, check_id, granularity, bucket_start, count, failures, degraded, latency_p50, latency_p95, latency_p99)
            VALUES (@s, @c, @g, @b, @n, @f, @d, @p50, @p95, @p99)
            ON CONFLICT (service_id, check_id, granularity, bucket_start) DO UPDATE SET count = excluded.count, failures = excluded.failures,
              degraded = excluded.degraded, latency_p50 = excluded.latency_p50, latency_p95 = excluded.latency_p95, latency_p99 = excluded.latency_p99
            """,
            "@s", "@c", "@g", "@b", "@n", "@f", "@d", "@p50", "@p95", "@p99");
        foreach (var ((service, check, start), b) in buckets)
        {
            b.Latencies.Sort();
            Sql.Set(upsert, "@s", service);
            Sql.Set(upsert, "@c", check);
            Sql.Set(upsert, "@g", Name(granularity));
            Sql.Set(upsert, "@b", Sql.Time(db, start));
            Sql.Set(upsert, "@n", b.Latencies.Count);
            Sql.Set(upsert, "@f", b.Failures);
            Sql.Set(upsert, "@d", b.Degraded);
            Sql.Set(upsert, "@p50", Percentile(b.Latencies, 50));
            Sql.Set(upsert, "@p95", Percentile(b.Latencies, 95));
            Sql.Set(upsert, "@p99", Percentile(b.Latencies, 99));
            await upsert.ExecuteNonQueryAsync(ct);
        }
        await tx.CommitAsync(ct);
        return buckets.Count;
    }

    /// <summary>Deletes raw results and rollups past their retention, in small batches.</summary>
    /// <returns>Rows deleted: raw results, rollups.</returns>
    public async Task<(long Results, long Rollups)> RetentionAsync(DateTimeOffset now, CancellationToken ct)
    {
        var e = options.Engine;
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        var results = await DeleteInBatchesAsync(connection,
            "DELETE FROM check_results WHERE id IN (SELECT id FROM check_results WHERE at < @cut LIMIT @n)",
            Sql.Time(db, now - e.RawRetention), null, e.RetentionBatchSize, ct);
        const string rollupSql = """
            DELETE FROM check_rollups WHERE (service_id, check_id, granularity, bucket_start) IN
              (SELECT service_id, check_id, granularity, bucket_start FROM check_rollups WHERE granularity = @g AND bucket_start < @cut LIMIT @n)
            """;
        var rollups = await DeleteInBatchesAsync(connection, rollupSql, Sql.Time(db, now - e.MinuteRollupRetention), "minute", e.RetentionBatchSize, ct)
            + await DeleteInBatchesAsync(connection, rollupSql, Sql.Time(db, now - e.RollupRetention), "hour", e.RetentionBatchSize, ct);
        if (results + rollups > 0) log.LogInformation("Retention deleted {Results} check results and {Rollups} rollups", results, rollups);
        return (results, rollups);
    }

    /// <summary>Background passes completed since start (for tests).</summary>
    internal long Passes { get; private set; }

    /// <summary>Batches run by this process's retention so far (for tests).</summary>
    internal long RetentionStatements { get; private set; }

    private async Task<long> DeleteInBatchesAsync(DbConnection connection, string sql, object cutoff, string? granularity, int batch, CancellationToken ct)
    {
        await using var cmd = Sql.Command(connection, null, sql, granularity is null ? ["@cut", "@n"] : ["@cut", "@n", "@g"]);
        Sql.Set(cmd, "@cut", cutoff);
        Sql.Set(cmd, "@n", batch);
        if (granularity is not null) Sql.Set(cmd, "@g", granularity);
        long total = 0;
        while (true)
        {
            var n = await cmd.ExecuteNonQueryAsync(ct);
            RetentionStatements++;
            total += n;
            if (n < batch) return total;
        }
    }

    /// <summary>Nearest-rank percentile of sorted values; 0 for none.</summary>
    public static double Percentile(IReadOnlyList<double> sorted, double p)
    {
        if (sorted.Count == 0) return 0;
        var rank = (int)Math.Ceiling(p / 100 * sorted.Count);
        return sorted[Math.Clamp(rank, 1, sorted.Count) - 1];
    }

    public static string Name(Granularity g) => g == Granularity.Minute ? "minute" : "hour";

    private static DateTimeOffset Floor(DateTimeOffset t, TimeSpan size) => new(t.UtcTicks - t.UtcTicks % size.Ticks, TimeSpan.Zero);

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static TimeSpan Size(Granularity g) => g == Granularity.Minute ? Minute : Hour;

    private sealed class Bucket
    {
        public List<double> Latencies { get; } = [];
        public int Failures { get; private set; }
        public int Degraded { get; private set; }

        public void Add(CheckStatus status, double latency)
        {
            Latencies.Add(latency);
            if (status == CheckStatus.Down) Failures++;
            if (status == CheckStatus.Degraded) Degraded++;
        }
    }
}

public enum Granularity
{
    Minute,
    Hour,
}
