using Npgsql;
using Vigil.Core.Postgres;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>Opens a PostgreSQL connection for a probe from a <c>postgres://</c> URL or an Npgsql connection string, and runs one scalar query.</summary>
internal static class PostgresConnection
{
    /// <summary>
    /// The connection string, unpooled (each probe logs in, so <c>[CONNECTED]</c> means the server accepts logins
    /// now), with the connect and command timeouts taken from the check's. Null with a message that never repeats
    /// the text (it holds a password) when it cannot be read.
    /// </summary>
    public static string? Build(string connection, TimeSpan timeout, out string? error)
    {
        error = null;
        NpgsqlConnectionStringBuilder builder;
        try
        {
            builder = PostgresUrl.IsUrl(connection) ? PostgresUrl.Parse(connection) : new NpgsqlConnectionStringBuilder(connection);
        }
        catch (Exception e) when (e is ArgumentException or FormatException or UriFormatException or KeyNotFoundException)
        {
            error = "the connection is neither a valid postgres:// URL nor an Npgsql connection string";
            return null;
        }
        var seconds = (int)Math.Clamp(Math.Ceiling(timeout.TotalSeconds), 1, 1024);
        builder.Pooling = false;
        builder.Timeout = seconds;
        builder.CommandTimeout = seconds;
        if (string.IsNullOrEmpty(builder.ApplicationName)) builder.ApplicationName = "vigil-check";
        return builder.ConnectionString;
    }

    /// <summary>Logs in and runs the query; the first column of the first row, or an error message safe to show.</summary>
    public static async Task<(bool Connected, object? Value, bool HasRow, string? Error)> ScalarAsync(
        string connectionString, string query, Check check, CancellationToken ct)
    {
        var connected = false;
        try
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(ct);
            connected = true;
            await using var command = new NpgsqlCommand(query, connection);
            await using var reader = await command.ExecuteReaderAsync(System.Data.CommandBehavior.SingleRow, ct);
            if (!await reader.ReadAsync(ct) || reader.FieldCount == 0) return (true, null, false, null);
            var value = reader.IsDBNull(0) ? null : reader.GetValue(0);
            return (true, value, true, null);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            return (connected, null, false, ProbeSupport.TimedOut(check));
        }
        catch (NpgsqlException e) when (e.InnerException is TimeoutException || e.InnerException is OperationCanceledException && ct.IsCancellationRequested)
        {
            return (connected, null, false, ProbeSupport.TimedOut(check));
        }
        catch (Exception e) when (e is NpgsqlException or InvalidOperationException or IOException or ArgumentException or FormatException or NotSupportedException)
        {
            var message = SecretSet.RedactUrlCredentials(ProbeSupport.Describe(e));
            var password = new NpgsqlConnectionStringBuilder(connectionString).Password;
            if (!string.IsNullOrEmpty(password)) message = message.Replace(password, SecretSet.Mask, StringComparison.Ordinal);
            return (connected, null, false, message);
        }
    }
}
