using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Checks;
using Vigil.Storage;

namespace Vigil.Web.Checks;

/// <summary>
/// Hand-written SQL for the hot paths (check results, states and rollups; inbound events and the alert lookups of their
/// batches): one command reused per row inside one transaction is several times faster than EF's change tracker at
/// thousands of rows a second, and the statements (<c>INSERT … ON CONFLICT DO UPDATE</c>, row-value <c>IN</c>) are the
/// same on SQLite and PostgreSQL. Timestamps differ: Unix milliseconds on SQLite, <c>timestamptz</c> on PostgreSQL (see
/// <see cref="VigilDbContext"/>); and the writers on PostgreSQL send each batch as one statement over arrays, to save a
/// round trip per row.
/// </summary>
internal static class Sql
{
    public static object Time(VigilDbContext db, DateTimeOffset value) => Time(db.Database.IsSqlite(), value);

    public static object? Time(VigilDbContext db, DateTimeOffset? value) => value is { } v ? Time(db, v) : null;

    /// <summary>A timestamp as the provider stores it, for callers that looked up the provider once.</summary>
    public static object Time(bool sqlite, DateTimeOffset value) => sqlite ? value.ToUnixTimeMilliseconds() : value.ToUniversalTime();

    public static object? Time(bool sqlite, DateTimeOffset? value) => value is { } v ? Time(sqlite, v) : null;

    public static DateTimeOffset ReadTime(DbDataReader reader, int ordinal) =>
        reader.GetFieldType(ordinal) == typeof(long) ? DateTimeOffset.FromUnixTimeMilliseconds(reader.GetInt64(ordinal)) : reader.GetFieldValue<DateTimeOffset>(ordinal);

    public static DbCommand Command(DbConnection connection, DbTransaction? tx, string sql, params string[] parameters)
    {
        var cmd = connection.CreateCommand();
        cmd.CommandText = sql;
        cmd.Transaction = tx;
        foreach (var name in parameters)
        {
            var p = cmd.CreateParameter();
            p.ParameterName = name;
            cmd.Parameters.Add(p);
        }
        return cmd;
    }

    /// <summary>
    /// A list of keys as one parameter: a JSON array for SQLite (<c>IN (SELECT value FROM json_each(@p))</c>), a text
    /// array for PostgreSQL (<c>= ANY(@p)</c>). The statement stays the same whatever the number of keys.
    /// </summary>
    public static object Keys(bool sqlite, IEnumerable<string> keys)
    {
        var distinct = keys.Distinct().ToArray();
        return sqlite ? System.Text.Json.JsonSerializer.Serialize(distinct) : distinct;
    }

    public static void Set(DbCommand cmd, string name, object? value) => cmd.Parameters[name].Value = value ?? DBNull.Value;

    public static string Status(CheckStatus s) => s switch
    {
        CheckStatus.Up => "up",
        CheckStatus.Degraded => "degraded",
        CheckStatus.Down => "down",
        _ => "unknown",
    };

    public static CheckStatus ParseStatus(string? s) => s switch
    {
        "up" => CheckStatus.Up,
        "degraded" => CheckStatus.Degraded,
        "down" => CheckStatus.Down,
        _ => CheckStatus.Unknown,
    };
}
