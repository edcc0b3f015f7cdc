using Microsoft.Data.Sqlite;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// <c>sql</c>: a query returning one number → <c>[VALUE]</c> (stuck jobs, connections, dead tuples), on PostgreSQL
/// (a <c>postgres://</c> URL or connection string) or SQLite (a file path relative to the workspace, or a
/// connection string; opened read-only). No row, NULL or a non-numeric value is an error saying so.
/// </summary>
public sealed class SqlProbe : ICheckProbe
{
    public CheckKind Kind => CheckKind.Sql;

    public async Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        if (!ProbeSupport.TryGetSpec<SqlCheckSpec>(check, out var spec, out var invalid)) return invalid!;
        var observation = new Observation();
        var start = ProbeSupport.Start();
        bool connected;
        object? value;
        bool hasRow;
        string? error;
        if (spec.Driver == SqlDriver.Postgres)
        {
            var connectionString = PostgresConnection.Build(spec.Connection, check.Timeout, out error);
            if (connectionString is null)
            {
                observation.Error = error;
                return observation;
            }
            (connected, value, hasRow, error) = await PostgresConnection.ScalarAsync(connectionString, spec.Query, check, ct);
        }
        else
        {
            (connected, value, hasRow, error) = await SqliteScalarAsync(spec, context, check, ct);
        }
        observation.ResponseTime = ProbeSupport.Since(start);
        observation.Connected = connected;
        if (error is not null)
        {
            observation.Error = error;
            return observation;
        }
        var text = ProbeSupport.AsText(value);
        observation.Body = text;
        var number = ProbeSupport.AsNumber(value);
        if (number is null && ProbeSupport.TryParseNumber(text, out var parsed)) number = parsed;
        if (!hasRow)
        {
            observation.Error = "the query returned no rows, not a number";
        }
        else if (number is null)
        {
            observation.Error = text is null ? "the query returned NULL, not a number" : $"the query returned '{Shorten(text)}', not a number";
        }
        else
        {
            observation.Value = number;
            observation.Facts.Add($"query returned {text} in {ProbeSupport.FormatDuration(observation.ResponseTime)}");
        }
        return observation;
    }

    private static string Shorten(string text) => text.Length <= 100 ? text : text[..100] + "…";

    private static async Task<(bool Connected, object? Value, bool HasRow, string? Error)> SqliteScalarAsync(
        SqlCheckSpec spec, ProbeContext context, Check check, CancellationToken ct)
    {
        SqliteConnectionStringBuilder builder;
        try
        {
            builder = spec.Connection.Contains('=', StringComparison.Ordinal)
                ? new SqliteConnectionStringBuilder(spec.Connection)
                : new SqliteConnectionStringBuilder { DataSource = spec.Connection, Mode = SqliteOpenMode.ReadOnly };
        }
        catch (ArgumentException)
        {
            return (false, null, false, "the connection is neither a file path nor a SQLite connection string");
        }
        if (builder.DataSource != ":memory:" && !builder.DataSource.StartsWith("file:", StringComparison.OrdinalIgnoreCase))
        {
            builder.DataSource = ProbeSupport.ResolvePath(context, builder.DataSource);
            if (builder.Mode != SqliteOpenMode.ReadWriteCreate && !System.IO.File.Exists(builder.DataSource))
            {
                return (false, null, false, "no such SQLite database: " + builder.DataSource);
            }
        }
        builder.Pooling = false;
        builder.DefaultTimeout = (int)Math.Clamp(Math.Ceiling(check.Timeout.TotalSeconds), 1, 1024);
        var connected = false;
        try
        {
            await using var connection = new SqliteConnection(builder.ConnectionString);
            await connection.OpenAsync(ct);
            connected = true;
            await using var command = connection.CreateCommand();
            command.CommandText = spec.Query;
            // SQLite runs the query synchronously: interrupting it is how cancellation reaches it.
            var handle = connection.Handle;
            await using var registration = ct.Register(() => SQLitePCL.raw.sqlite3_interrupt(handle));
            await using var reader = await command.ExecuteReaderAsync(ct);
            if (!await reader.ReadAsync(ct) || reader.FieldCount == 0) return (true, null, false, null);
            return (true, reader.IsDBNull(0) ? null : reader.GetValue(0), true, null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return (connected, null, false, ProbeSupport.TimedOut(check));
        }
        catch (SqliteException e) when (ct.IsCancellationRequested && e.SqliteErrorCode == SQLitePCL.raw.SQLITE_INTERRUPT)
        {
            return (connected, null, false, ProbeSupport.TimedOut(check));
        }
        catch (Exception e) when (e is SqliteException or InvalidOperationException or IOException)
        {
            return (connected, null, false, ProbeSupport.Describe(e));
        }
    }
}
