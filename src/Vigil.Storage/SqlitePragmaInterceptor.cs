using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Vigil.Storage;

/// <summary>
/// Sets the per-connection SQLite settings on every opened connection. A writer waits for the lock instead of failing
/// at once while another connection commits (<see cref="SqliteBusyWait"/>); synchronous=NORMAL is durable in WAL mode
/// (a power loss can drop only the last transactions, never corrupt) and avoids an fsync per commit. Temporary files
/// (statement journals, sorts) stay in memory: traced with strace, a burst of 1,000 new incidents made ~37 writes to a
/// temporary file per incident (each a system call, ~37,000 in all) from the writer's connection. WAL checkpoints are
/// the server's background work (<c>WalCheckpointer</c>); a commit checkpoints by itself only once the WAL is past
/// <see cref="VigilStorage.SqliteAutoCheckpointPages"/>, a bound for when nothing else does (a CLI command, a stalled server).
/// </summary>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    public static readonly SqlitePragmaInterceptor Instance = new();

    private static readonly string Pragmas = "PRAGMA synchronous = NORMAL; PRAGMA temp_store = MEMORY; PRAGMA wal_autocheckpoint = " + VigilStorage.SqliteAutoCheckpointPages + ";";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        SqliteBusyWait.Install((Microsoft.Data.Sqlite.SqliteConnection)connection);
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        SqliteBusyWait.Install((Microsoft.Data.Sqlite.SqliteConnection)connection);
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
