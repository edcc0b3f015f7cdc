using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

namespace Vigil.Storage.Tests;

/// <summary>The storage tests on a real SQLite file in a temporary directory, plus what only SQLite has.</summary>
public sealed class SqliteStorageTests : StorageTests
{
    protected override string ListTablesSql => "SELECT name AS \"Value\" FROM sqlite_master WHERE type = 'table'";

    protected override Task<TestDatabase> CreateDatabaseAsync()
    {
        var directory = Path.Combine(Path.GetTempPath(), "vigil-storage-tests", Guid.NewGuid().ToString("N"));
        var provider = VigilStorage.Parse(null, directory);
        return Task.FromResult(new TestDatabase(provider, () =>
        {
            // Pooled connections keep the file open; release them so the directory can go.
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
            return ValueTask.CompletedTask;
        }));
    }

    [Fact]
    public async Task Database_runs_in_WAL_mode_with_normal_sync_and_temporary_files_in_memory_after_migration()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();

        await using var db = database.NewContext();
        await db.Database.OpenConnectionAsync(Ct);
        Assert.Equal("wal", await ScalarAsync(db, "PRAGMA journal_mode"));
        Assert.Equal("1", await ScalarAsync(db, "PRAGMA synchronous")); // 1 = NORMAL
        Assert.Equal("1", await ScalarAsync(db, "PRAGMA foreign_keys"));
        Assert.Equal("2", await ScalarAsync(db, "PRAGMA temp_store")); // 2 = MEMORY
    }

    [Fact]
    public async Task A_writer_waiting_for_the_lock_takes_it_within_milliseconds_of_its_release()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        await using var holder = database.NewContext();
        await holder.Database.OpenConnectionAsync(Ct);
        await using var hold = await holder.Database.BeginTransactionAsync(Ct);
        await holder.Database.ExecuteSqlRawAsync("INSERT INTO leases (name, holder, expires_at) VALUES ('a', 'holder', 0)", Ct);

        await using var waiter = database.NewContext();
        await waiter.Database.OpenConnectionAsync(Ct);
        var waiting = Task.Run(async () =>
        {
            await waiter.Database.ExecuteSqlRawAsync("INSERT INTO leases (name, holder, expires_at) VALUES ('b', 'waiter', 0)", Ct);
            return System.Diagnostics.Stopwatch.GetTimestamp();
        }, Ct);
        // Held for 450 ms: SQLite's own busy_timeout would by then sleep 25-100 ms at a time (it looks at 428 and 528 ms).
        await Task.Delay(450, Ct);
        Assert.False(waiting.IsCompleted, "the second writer waited for the lock");
        await hold.CommitAsync(Ct);
        var released = System.Diagnostics.Stopwatch.GetTimestamp();
        var took = System.Diagnostics.Stopwatch.GetElapsedTime(released, await waiting);
        Assert.True(took < TimeSpan.FromMilliseconds(25), $"took the lock {took.TotalMilliseconds:F1} ms after its release");
        Assert.Equal("2", await ScalarAsync(waiter, "SELECT count(*) FROM leases"));
    }

    [Fact]
    public async Task Timestamps_are_stored_as_sortable_unix_milliseconds()
    {
        await using var database = await CreateDatabaseAsync();
        await database.MigrateAsync();
        var at = new DateTimeOffset(2026, 3, 29, 1, 30, 0, 123, TimeSpan.Zero);
        await using (var db = database.NewContext())
        {
            db.Leases.Add(new Lease { Name = "maintenance", Holder = "a", ExpiresAt = at });
            await db.SaveChangesAsync(Ct);
        }

        await using var check = database.NewContext();
        await check.Database.OpenConnectionAsync(Ct);
        Assert.Equal(at.ToUnixTimeMilliseconds().ToString(), await ScalarAsync(check, "SELECT expires_at FROM leases"));
        Assert.Equal("integer", await ScalarAsync(check, "SELECT typeof(expires_at) FROM leases"));
    }

    private static async Task<string?> ScalarAsync(VigilDbContext db, string sql)
    {
        await using var command = db.Database.GetDbConnection().CreateCommand();
        command.CommandText = sql;
        return (await command.ExecuteScalarAsync(Ct))?.ToString();
    }
}
