using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Vigil.Storage;

namespace Vigil.Web.Checks;

/// <summary>
/// A batching writer's connection, kept open for the writer's life with its statements prepared once on it; a writer
/// opens a new session only after a failure (a restarted PostgreSQL, a locked file).
/// </summary>
internal abstract class WriterSession : IAsyncDisposable
{
    protected WriterSession(VigilDbContext db)
    {
        Db = db;
        Connection = db.Database.GetDbConnection();
        Sqlite = db.Database.IsSqlite();
    }

    /// <summary>The context whose connection this is; EF work joins the session's transaction through it.</summary>
    protected VigilDbContext Db { get; }

    protected DbConnection Connection { get; }

    protected bool Sqlite { get; }

    /// <summary>Opens a context's connection and builds the session on it.</summary>
    public static async Task<T> OpenAsync<T>(IDbContextFactory<VigilDbContext> factory, Func<VigilDbContext, T> create, CancellationToken ct) where T : WriterSession
    {
        var db = await factory.CreateDbContextAsync(ct);
        try
        {
            await db.Database.OpenConnectionAsync(ct);
            return create(db);
        }
        catch
        {
            await db.DisposeAsync();
            throw;
        }
    }

    /// <summary>
    /// Applies alert signals to incidents through EF, joined to the session's transaction <paramref name="tx"/> (saved, not
    /// committed). The outbox rows this adds are saved already claimed for this instance's dispatcher
    /// (<see cref="Notifications.Paging.ClaimOnSave"/>); returns what to hand on once the caller has committed. EF leaves
    /// the transaction and forgets what it tracked, whatever happens, so the next batch starts clean.
    /// </summary>
    protected async Task<Notifications.Handoff> ApplyToIncidentsAsync(DbTransaction tx, Incidents.IncidentStore incidents, Notifications.Paging paging,
        IReadOnlyList<Incidents.AlertSignal> signals, Incidents.SignalPlan? plan, CancellationToken ct)
    {
        await Db.Database.UseTransactionAsync(tx, ct);
        try
        {
            paging.ClaimOnSave(Db);
            if (Sqlite) rows ??= new Incidents.IncidentRows(Connection);
            return await incidents.ApplyAsync(Db, signals, plan, rows, ct) > 0 ? Notifications.Paging.Collect(Db) : Notifications.Handoff.None;
        }
        finally
        {
            Db.ChangeTracker.Clear();
            Db.ClaimAddedOutboxRows = null;
            await Db.Database.UseTransactionAsync(null, CancellationToken.None);
        }
    }

    /// <summary>Closes a session after a failure; a failure to close is logged, not thrown. Returns null, for the caller's field.</summary>
    public static async Task<T?> CloseAsync<T>(T? session, ILogger log) where T : WriterSession
    {
        if (session is null) return null;
        try
        {
            await session.DisposeAsync();
        }
        catch (Exception e)
        {
            log.LogDebug(e, "Closing a writer's failed connection failed too");
        }
        return null;
    }

    // The inserts of the rows incidents add (SQLite), prepared on the first batch that applies signals.
    private Incidents.IncidentRows? rows;

    /// <summary>The session's prepared statements.</summary>
    protected abstract IEnumerable<DbCommand> Statements { get; }

    public async ValueTask DisposeAsync()
    {
        foreach (var statement in Statements) await statement.DisposeAsync();
        if (rows is not null) await rows.DisposeAsync();
        await Db.DisposeAsync();
    }
}
