using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Storage;
using Vigil.Web.Hosting;

namespace Vigil.Web.Tests.Hosting;

public sealed class WalCheckpointerTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task On_SQLite_the_WAL_is_copied_back_in_the_background_and_commits_leave_it_alone_up_to_the_bound()
    {
        await using var host = await TestHost.StartAsync();
        var checkpointer = host.App.Services.GetRequiredService<WalCheckpointer>();
        var factory = host.App.Services.GetRequiredService<IDbContextFactory<VigilDbContext>>();
        await using var db = await factory.CreateDbContextAsync(Ct);
        await db.Database.OpenConnectionAsync(Ct);
        // Every connection leaves checkpoints to the server until the WAL reaches the bound.
        await using (var pragma = db.Database.GetDbConnection().CreateCommand())
        {
            pragma.CommandText = "PRAGMA wal_autocheckpoint";
            Assert.Equal(VigilStorage.SqliteAutoCheckpointPages, Convert.ToInt32(await pragma.ExecuteScalarAsync(Ct), System.Globalization.CultureInfo.InvariantCulture));
        }

        var before = checkpointer.CheckpointedPages;
        // About 600 pages of WAL, far below the bound: only the background loop copies them back.
        await db.Database.ExecuteSqlRawAsync("CREATE TABLE wal_test (x BLOB)", Ct);
        await db.Database.ExecuteSqlRawAsync(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) INSERT INTO wal_test SELECT randomblob(7000) FROM n", Ct);
        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(checkpointer.CheckpointedPages - before >= 600), TimeSpan.FromSeconds(15)),
            $"{checkpointer.CheckpointedPages - before} pages checkpointed");
    }

    [Fact]
    public async Task On_PostgreSQL_there_is_nothing_to_checkpoint()
    {
        await using var host = await TestHost.StartAsync(db: Db.Postgres);
        await Task.Delay(WalCheckpointer.IdleInterval * 2, Ct);
        Assert.Equal(0, host.App.Services.GetRequiredService<WalCheckpointer>().Passes);
    }
}
