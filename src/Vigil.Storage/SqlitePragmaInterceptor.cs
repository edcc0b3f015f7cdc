using System.Data.Common;
using Microsoft.EntityFrameworkCore.Diagnostics;

namespace Vigil.Storage;

/// <summary>
/// Sets the per-connection SQLite pragmas on every opened connection. busy_timeout makes a writer wait for the
/// lock instead of failing at once while another connection commits; synchronous=NORMAL is durable in WAL mode
/// (a power loss can drop only the last transactions, never corrupt) and avoids an fsync per commit.
/// </summary>
internal sealed class SqlitePragmaInterceptor : DbConnectionInterceptor
{
    public static readonly SqlitePragmaInterceptor Instance = new();

    internal const int BusyTimeoutMilliseconds = 5000;

    private static readonly string Pragmas = $"PRAGMA busy_timeout = {BusyTimeoutMilliseconds}; PRAGMA synchronous = NORMAL;";

    public override void ConnectionOpened(DbConnection connection, ConnectionEndEventData eventData)
    {
        using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        command.ExecuteNonQuery();
    }

    public override async Task ConnectionOpenedAsync(DbConnection connection, ConnectionEndEventData eventData, CancellationToken cancellationToken = default)
    {
        await using var command = connection.CreateCommand();
        command.CommandText = Pragmas;
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
