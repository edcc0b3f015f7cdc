using Npgsql;
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
            builder = connection.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase)
                || connection.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase)
                ? FromUrl(connection)
                : new NpgsqlConnectionStringBuilder(connection);
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

    private static NpgsqlConnectionStringBuilder FromUrl(string url)
    {
        var uri = new Uri(url);
        var builder = new NpgsqlConnectionStringBuilder();
        if (!string.IsNullOrEmpty(uri.IdnHost)) builder.Host = uri.IdnHost;
        if (uri.Port > 0) builder.Port = uri.Port;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            builder.Username = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[..colon]);
            if (colon >= 0) builder.Password = Uri.UnescapeDataString(uri.UserInfo[(colon + 1)..]);
        }
        var database = Uri.UnescapeDataString(uri.AbsolutePath.TrimStart('/'));
        if (database.Length > 0) builder.Database = database;
        foreach (var pair in uri.Query.TrimStart('?').Split('&', StringSplitOptions.RemoveEmptyEntries))
        {
            var equals = pair.IndexOf('=', StringComparison.Ordinal);
            var name = Uri.UnescapeDataString(equals < 0 ? pair : pair[..equals]);
            var value = equals < 0 ? "" : Uri.UnescapeDataString(pair[(equals + 1)..].Replace('+', ' '));
            switch (name.ToLowerInvariant())
            {
                case "sslmode":
                    builder.SslMode = value.ToLowerInvariant() switch
                    {
                        "disable" => SslMode.Disable,
                        "allow" => SslMode.Allow,
                        "prefer" => SslMode.Prefer,
                        "require" => SslMode.Require,
                        "verify-ca" => SslMode.VerifyCA,
                        "verify-full" => SslMode.VerifyFull,
                        _ => throw new FormatException("sslmode"),
                    };
                    break;
                case "application_name": builder.ApplicationName = value; break;
                case "options": builder.Options = value; break;
                case "sslrootcert": builder.RootCertificate = value; break;
                case "sslcert": builder.SslCertificate = value; break;
                case "sslkey": builder.SslKey = value; break;
                case "target_session_attrs": builder.TargetSessionAttributes = value; break;
                case "connect_timeout": break; // the check's timeout rules
                default: builder[name] = value; break;
            }
        }
        return builder;
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
