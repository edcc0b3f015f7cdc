using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Vigil.Storage;

namespace Vigil.Web.Hosting;

/// <summary>
/// On SQLite, copies the write-ahead log back into the database file from a connection and a thread of its own, so that
/// no writer's commit does it. SQLite's default is the other way round: the commit that takes the WAL past 1,000 pages
/// checkpoints before it returns. Traced in a burst of new incidents, that put a checkpoint (8 ms for the first commit
/// after a quiet spell; 71 fsyncs in a burst of 1,000) inside the batch whose senders were waiting.
/// </summary>
/// <remarks>
/// <para>A passive checkpoint: it copies what no reader still needs and never waits for, or blocks, the writers. It runs
/// every <see cref="BusyInterval"/> while there is something to copy, every <see cref="IdleInterval"/> otherwise. A
/// commit still checkpoints by itself past <see cref="VigilStorage.SqliteAutoCheckpointPages"/> pages (40 MB), should
/// this loop ever fall behind or stop.</para>
/// <para>Wall-clock time, not the host's <see cref="TimeProvider"/>: this is upkeep of a file, not a schedule of the
/// workspace, and it must run under a test's fake clock too.</para>
/// </remarks>
public sealed class WalCheckpointer(IDbContextFactory<VigilDbContext> dbFactory, StorageProvider storage, ILogger<WalCheckpointer> log) : BackgroundService
{
    public static readonly TimeSpan BusyInterval = TimeSpan.FromMilliseconds(100);
    public static readonly TimeSpan IdleInterval = TimeSpan.FromSeconds(1);

    private long pages;
    private long passes;

    /// <summary>WAL pages copied into the database file since start, as this loop counts them.</summary>
    public long CheckpointedPages => Interlocked.Read(ref pages);

    /// <summary>Checkpoints run since start.</summary>
    public long Passes => Interlocked.Read(ref passes);

    protected override Task ExecuteAsync(CancellationToken stoppingToken) =>
        storage.Kind != StorageKind.Sqlite ? Task.CompletedTask : WorkerThread.Run("Vigil WAL checkpoints", () => LoopAsync(stoppingToken));

    private async Task LoopAsync(CancellationToken ct)
    {
        VigilDbContext? db = null;
        DbCommand? checkpoint = null;
        long lastInWal = 0, lastDone = 0;
        try
        {
            while (!ct.IsCancellationRequested)
            {
                var wait = IdleInterval;
                try
                {
                    if (checkpoint is null)
                    {
                        db = await dbFactory.CreateDbContextAsync(ct);
                        await db.Database.OpenConnectionAsync(ct);
                        checkpoint = db.Database.GetDbConnection().CreateCommand();
                        checkpoint.CommandText = "PRAGMA wal_checkpoint(PASSIVE)";
                    }
                    // One row: whether it was kept from finishing, the pages in the WAL, and how many of those are in the file
                    // now. Once every page is in the file, the next commit starts the WAL over: what a pass then finds is new.
                    await using (var reader = await checkpoint.ExecuteReaderAsync(ct))
                    {
                        if (await reader.ReadAsync(ct))
                        {
                            var (busy, inWal, done) = (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
                            var restarted = (lastDone == lastInWal && (inWal, done) != (lastInWal, lastDone)) || inWal < lastInWal || done < lastDone;
                            var copied = restarted ? done : done - lastDone;
                            (lastInWal, lastDone) = (inWal, done);
                            Interlocked.Add(ref pages, copied);
                            // Pages are coming in: look again soon.
                            if (busy != 0 || copied > 0) wait = BusyInterval;
                        }
                    }
                    Interlocked.Increment(ref passes);
                }
                catch (Exception e) when (!ct.IsCancellationRequested)
                {
                    log.LogWarning(e, "WAL checkpoint failed; commits checkpoint by themselves meanwhile, and this is tried again");
                    if (checkpoint is not null) await checkpoint.DisposeAsync();
                    if (db is not null) await db.DisposeAsync();
                    (checkpoint, db) = (null, null);
                    wait = TimeSpan.FromSeconds(5);
                }
                try
                {
                    await Task.Delay(wait, TimeProvider.System, ct);
                }
                catch (OperationCanceledException)
                {
                    break;
                }
            }
        }
        finally
        {
            if (checkpoint is not null) await checkpoint.DisposeAsync();
            if (db is not null) await db.DisposeAsync();
        }
    }
}
