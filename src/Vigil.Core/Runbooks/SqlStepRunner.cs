using System.Data.Common;
using System.Globalization;
using Microsoft.Data.Sqlite;
using Npgsql;
using Vigil.Core.Postgres;
using Vigil.Core.Workspace;

namespace Vigil.Core.Runbooks;

/// <summary>A SQL step to run: its filled statements, where, and within which bounds.</summary>
// ReadOnly: run in a read-only transaction (PostgreSQL) or connection (SQLite), so that a step judged read-only
// cannot change anything even if the judgement were wrong.
public sealed record SqlStepRequest(RunbookDatabase Database, string WorkspaceDirectory, IReadOnlyList<string> Statements, bool ReadOnly, TimeSpan Timeout, long OutputLimit);

/// <summary>
/// Runs a runbook's SQL step against the workspace's database, statement by statement in one transaction (committed
/// when all succeed, rolled back at the first error, the timeout or a cancel), printing each result as a psql-like
/// table. Exit code 0 when every statement succeeded, 1 otherwise.
/// </summary>
public static class SqlStepRunner
{
    /// <summary>Rows printed per statement at most; the count is always given.</summary>
    public const int MaxRows = 500;

    public static async Task<StepRunResult> RunAsync(SqlStepRequest request, Action<string> output, TimeProvider time, CancellationToken cancel)
    {
        var started = time.GetTimestamp();
        var sink = new OutputLimit(output, request.OutputLimit);
        using var timeout = new CancellationTokenSource(request.Timeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancel);
        var ct = either.Token;
        DbConnection connection;
        try
        {
            connection = Open(request);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            return new StepRunResult(RunOutcome.FailedToStart, null, false, TimeSpan.Zero, "runbooks.database: the connection cannot be read");
        }
        await using (connection)
        {
            try
            {
                await connection.OpenAsync(ct);
                // SQLite runs statements synchronously: interrupting it is how a cancel reaches it.
                await using var interrupt = connection is SqliteConnection sqlite ? ct.Register(() => SQLitePCL.raw.sqlite3_interrupt(sqlite.Handle)) : default;
                await using var tx = await connection.BeginTransactionAsync(ct);
                if (request.ReadOnly && connection is NpgsqlConnection)
                {
                    await using var ro = connection.CreateCommand();
                    ro.Transaction = tx;
                    ro.CommandText = "SET TRANSACTION READ ONLY";
                    await ro.ExecuteNonQueryAsync(ct);
                }
                foreach (var statement in request.Statements)
                {
                    sink.Write($"=> {statement.Trim()}\n");
                    await using var command = connection.CreateCommand();
                    command.Transaction = tx;
                    command.CommandText = statement;
                    command.CommandTimeout = (int)Math.Clamp(Math.Ceiling(request.Timeout.TotalSeconds), 1, 86_400);
                    await using var reader = await command.ExecuteReaderAsync(ct);
                    await PrintAsync(reader, sink, ct);
                }
                await tx.CommitAsync(ct);
                sink.Flush();
                return new StepRunResult(RunOutcome.Exited, 0, sink.Truncated, time.GetElapsedTime(started), null);
            }
            catch (Exception e) when (ct.IsCancellationRequested && e is OperationCanceledException or DbException)
            {
                sink.Flush();
                return new StepRunResult(cancel.IsCancellationRequested ? RunOutcome.Canceled : RunOutcome.TimedOut, null, sink.Truncated, time.GetElapsedTime(started), null);
            }
            catch (Exception e) when (e is DbException or InvalidOperationException or IOException or NotSupportedException)
            {
                // The database's own message says what was wrong with the statement; it holds no connection secret.
                sink.Write($"ERROR: {e.Message}\n(rolled back: nothing of this step was kept)\n");
                sink.Flush();
                return new StepRunResult(RunOutcome.Exited, 1, sink.Truncated, time.GetElapsedTime(started), null);
            }
        }
    }

    private static DbConnection Open(SqlStepRequest request)
    {
        var db = request.Database;
        if (db.Driver == SqlDriver.Postgres)
        {
            var b = PostgresUrl.IsUrl(db.Connection) ? PostgresUrl.Parse(db.Connection) : new NpgsqlConnectionStringBuilder(db.Connection);
            b.Pooling = false;
            b.Timeout = (int)Math.Clamp(Math.Ceiling(request.Timeout.TotalSeconds), 1, 1024);
            if (string.IsNullOrEmpty(b.ApplicationName)) b.ApplicationName = "vigil-runbook";
            return new NpgsqlConnection(b.ConnectionString);
        }
        var s = db.Connection.Contains('=', StringComparison.Ordinal) ? new SqliteConnectionStringBuilder(db.Connection) : new SqliteConnectionStringBuilder { DataSource = db.Connection };
        if (s.DataSource != ":memory:" && !s.DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase) && !Path.IsPathRooted(s.DataSource))
        {
            s.DataSource = Path.GetFullPath(Path.Combine(request.WorkspaceDirectory, s.DataSource));
        }
        // Never create a database by running a runbook step: open what exists, read-only when the step is.
        s.Mode = request.ReadOnly ? SqliteOpenMode.ReadOnly : SqliteOpenMode.ReadWrite;
        s.Pooling = false;
        return new SqliteConnection(s.ConnectionString);
    }

    private static async Task PrintAsync(DbDataReader reader, OutputLimit sink, CancellationToken ct)
    {
        do
        {
            if (reader.FieldCount == 0)
            {
                if (reader.RecordsAffected >= 0) sink.Write($"({reader.RecordsAffected} row{(reader.RecordsAffected == 1 ? "" : "s")} affected)\n");
                continue;
            }
            var names = Enumerable.Range(0, reader.FieldCount).Select(reader.GetName).ToList();
            sink.Write(string.Join(" | ", names) + "\n");
            sink.Write(string.Join("-+-", names.Select(n => new string('-', Math.Max(n.Length, 1)))) + "\n");
            var rows = 0;
            while (await reader.ReadAsync(ct))
            {
                rows++;
                if (rows > MaxRows) continue;
                var cells = new string[reader.FieldCount];
                for (var i = 0; i < cells.Length; i++) cells[i] = reader.IsDBNull(i) ? "NULL" : Convert.ToString(reader.GetValue(i), CultureInfo.InvariantCulture) ?? "";
                sink.Write(string.Join(" | ", cells).Replace('\n', ' ') + "\n");
            }
            sink.Write(rows > MaxRows ? $"({rows} rows, the first {MaxRows} shown)\n" : $"({rows} row{(rows == 1 ? "" : "s")})\n");
        }
        while (await reader.NextResultAsync(ct));
    }
}
