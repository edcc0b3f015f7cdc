using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Checks;
using Vigil.Storage;
using Vigil.Web.Hosting;

namespace Vigil.Web.Checks;

/// <summary>
/// Background upkeep of check history: per-minute and per-hour rollups of the raw results, and retention.
/// </summary>
/// <remarks>
/// <para>A bucket is rolled up once it has closed plus <see cref="Settle"/> (a run is stamped with its start, and may
/// be stored up to its timeout later). Each pass re-aggregates the last few buckets, overwriting them, so a late
/// result is still counted and re-running a bucket is harmless. Hours are computed from the raw latencies, not from
/// minute rollups: percentiles do not compose.</para>
/// <para>Percentiles are nearest-rank: p-th = the ⌈p/100·n⌉-th smallest latency.</para>
/// <para>Retention deletes in batches of <see cref="CheckEngineSettings.RetentionBatchSize"/> rows per statement,
/// each its own transaction, so the writer is never locked out for long.</para>
/// </remarks>
public sealed class CheckRollups(IDbContextFactory<VigilDbContext> dbFactory, VigilHostOptions options, ILogger<CheckRollups> log) : BackgroundService
{
    public static readonly TimeSpan Settle = TimeSpan.FromMinutes(2);

    private static readonly TimeSpan MinuteLookback = TimeSpan.FromMinutes(10);
    private static readonly TimeSpan HourLookback = TimeSpan.FromHours(2);

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

    /// <summary>Rolls up every closed minute and hour not yet done (from the last few buckets, or since start).</summary>
    public async Task RollupPassAsync(DateTimeOffset now, CancellationToken ct)
    {
        var minuteEnd = Floor(now - Settle, TimeSpan.FromMinutes(1));
        // The first pass after a start catches up on a downtime (an hour of minutes, a day of hours).
        var minuteStart = Min(minutesDone ?? minuteEnd - TimeSpan.FromHours(1), minuteEnd - MinuteLookback);
        await RollupAsync(Granularity.Minute, minuteStart, minuteEnd, ct);
        minutesDone = minuteEnd;

        var hourEnd = Floor(now - Settle, TimeSpan.FromHours(1));
        var hourStart = Min(hoursDone ?? hourEnd - TimeSpan.FromDays(1), hourEnd - HourLookback);
        await RollupAsync(Granularity.Hour, hourStart, hourEnd, ct);
        hoursDone = hourEnd;
    }

    /// <summary>(Re)computes the rollups of every bucket of <paramref name="granularity"/> in [from, to), for every check with results.</summary>
    /// <returns>How many rollup rows were written.</returns>
    public async Task<int> RollupAsync(Granularity granularity, DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        if (to <= from) return 0;
        var size = granularity == Granularity.Minute ? TimeSpan.FromMinutes(1) : TimeSpan.FromHours(1);
        from = Floor(from, size);
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        var checks = await db.CheckStates.AsNoTracking().Select(s => new { s.ServiceId, s.CheckId }).ToListAsync(ct);
        await db.Database.OpenConnectionAsync(ct);
        var connection = db.Database.GetDbConnection();
        var rows = 0;
        // One transaction per check keeps each write short; a check's buckets are written together.
        await using var read = Sql.Command(connection, null,
            "SELECT at, status, latency_ms FROM check_results WHERE service_id = @s AND check_id = @c AND at >= @f AND at < @t",
            "@s", "@c", "@f", "@t");
        foreach (var check in checks)
        {
            var buckets = new SortedDictionary<DateTimeOffset, Bucket>();
            read.Transaction = null;
            Sql.Set(read, "@s", check.ServiceId);
            Sql.Set(read, "@c", check.CheckId);
            Sql.Set(read, "@f", Sql.Time(db, from));
            Sql.Set(read, "@t", Sql.Time(db, to));
            await using (var reader = await read.ExecuteReaderAsync(ct))
            {
                while (await reader.ReadAsync(ct))
                {
                    var start = Floor(Sql.ReadTime(reader, 0), size);
                    if (!buckets.TryGetValue(start, out var b)) buckets[start] = b = new Bucket();
                    b.Add(Sql.ParseStatus(reader.GetString(1)), reader.GetDouble(2));
                }
            }
            if (buckets.Count == 0) continue;
            await using var tx = await connection.BeginTransactionAsync(ct);
            await using var upsert = Sql.Command(connection, tx,
                """
                INSERT INTO check_rollups (service_id, check_id, granularity, bucket_start, count, failures, degraded, latency_p50, latency_p95, latency_p99)
                VALUES (@s, @c, @g, @b, @n, @f, @d, @p50, @p95, @p99)
                ON CONFLICT (service_id, check_id, granularity, bucket_start) DO UPDATE SET count = excluded.count, failures = excluded.failures,
                  degraded = excluded.degraded, latency_p50 = excluded.latency_p50, latency_p95 = excluded.latency_p95, latency_p99 = excluded.latency_p99
                """,
                "@s", "@c", "@g", "@b", "@n", "@f", "@d", "@p50", "@p95", "@p99");
            foreach (var (start, b) in buckets)
            {
                b.Latencies.Sort();
                Sql.Set(upsert, "@s", check.ServiceId);
                Sql.Set(upsert, "@c", check.CheckId);
                Sql.Set(upsert, "@g", Name(granularity));
                Sql.Set(upsert, "@b", Sql.Time(db, start));
                Sql.Set(upsert, "@n", b.Latencies.Count);
                Sql.Set(upsert, "@f", b.Failures);
                Sql.Set(upsert, "@d", b.Degraded);
                Sql.Set(upsert, "@p50", Percentile(b.Latencies, 50));
                Sql.Set(upsert, "@p95", Percentile(b.Latencies, 95));
                Sql.Set(upsert, "@p99", Percentile(b.Latencies, 99));
                await upsert.ExecuteNonQueryAsync(ct);
                rows++;
            }
            await tx.CommitAsync(ct);
        }
        return rows;
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
