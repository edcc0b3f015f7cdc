using System.Globalization;
using Npgsql;

namespace Vigil.Core.Postgres;

/// <summary>
/// <c>postgres://user:password@host:port/database?sslmode=…</c> URLs, as libpq and most tools write them, turned into
/// Npgsql settings. Used for Vigil's own database and for the postgres/sql checks, so both accept the same forms.
/// Errors never repeat a value: any part of the URL may be a password.
/// </summary>
public static class PostgresUrl
{
    public static bool IsUrl(string text) =>
        text.StartsWith("postgres://", StringComparison.OrdinalIgnoreCase) || text.StartsWith("postgresql://", StringComparison.OrdinalIgnoreCase);

    /// <summary>Parses a URL; throws <see cref="FormatException"/> with a message safe to show.</summary>
    public static NpgsqlConnectionStringBuilder Parse(string url)
    {
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri)) throw new FormatException("The PostgreSQL URL is malformed.");
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
            ApplyUrlParameter(builder, name, value);
        }
        return builder;
    }

    /// <summary>
    /// Maps a URL query parameter to its Npgsql setting: the libpq names people copy from other tools,
    /// and any Npgsql keyword (e.g. <c>Maximum Pool Size</c>) for everything else.
    /// </summary>
    private static void ApplyUrlParameter(NpgsqlConnectionStringBuilder builder, string name, string value)
    {
        try
        {
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
                        _ => throw new SslModeException(
                            $"The PostgreSQL URL parameter sslmode must be disable, allow, prefer, require, verify-ca or verify-full, not '{value}'."),
                    };
                    break;
                case "application_name":
                    builder.ApplicationName = value;
                    break;
                case "connect_timeout":
                    builder.Timeout = int.Parse(value, NumberStyles.None, CultureInfo.InvariantCulture);
                    break;
                case "options":
                    builder.Options = value;
                    break;
                case "sslrootcert":
                    builder.RootCertificate = value;
                    break;
                case "sslcert":
                    builder.SslCertificate = value;
                    break;
                case "sslkey":
                    builder.SslKey = value;
                    break;
                case "target_session_attrs":
                    builder.TargetSessionAttributes = value;
                    break;
                case "password":
                    builder.Password = value;
                    break;
                default:
                    builder[name] = value;
                    break;
            }
        }
        catch (Exception e) when (e is (FormatException and not SslModeException) or OverflowException or ArgumentException)
        {
            // The value is not echoed: the parameter could be a password.
            throw new FormatException($"The PostgreSQL URL parameter '{name}' is not supported or has an invalid value.");
        }
    }

    // The one error whose message names the valid values; kept apart so the catch-all below does not replace it.
    private sealed class SslModeException(string message) : FormatException(message);
}
