using System.Text;

namespace Vigil.Runbooks.Risk;

/// <summary>
/// SQL, statement by statement: <c>SELECT</c>, <c>EXPLAIN</c>, <c>SHOW</c> and psql's <c>\d</c> commands read;
/// <c>INSERT</c>, <c>UPDATE … WHERE</c>, <c>DELETE … WHERE</c>, <c>VACUUM</c>, <c>REINDEX</c>, <c>ALTER SYSTEM</c>,
/// <c>pg_terminate_backend</c> and the like change things; <c>DROP</c>, <c>TRUNCATE</c>, and <c>DELETE</c> or
/// <c>UPDATE</c> without <c>WHERE</c> lose data. A statement it does not know is mutating.
/// </summary>
internal static class SqlRisk
{
    private static readonly HashSet<string> Reading = new(StringComparer.OrdinalIgnoreCase) { "SELECT", "SHOW", "TABLE", "VALUES", "DESCRIBE", "DESC" };

    private static readonly HashSet<string> Changing = new(StringComparer.OrdinalIgnoreCase)
    {
        "INSERT", "VACUUM", "ANALYZE", "ANALYSE", "REINDEX", "CLUSTER", "CREATE", "GRANT", "REVOKE", "SET", "RESET", "BEGIN",
        "START", "COMMIT", "END", "ROLLBACK", "SAVEPOINT", "RELEASE", "COPY", "CALL", "DO", "REFRESH", "LOCK", "NOTIFY",
        "LISTEN", "UNLISTEN", "CHECKPOINT", "COMMENT", "SECURITY", "DISCARD", "PREPARE", "EXECUTE", "DEALLOCATE",
        "MERGE", "UPSERT", "REPLACE", "RENAME", "OPTIMIZE", "FLUSH", "KILL", "LOAD", "IMPORT", "ATTACH", "DETACH", "PRAGMA",
    };

    /// <summary>Functions that act when selected: a <c>SELECT</c> calling them changes the server.</summary>
    private static readonly string[] ActingFunctions =
    [
        "pg_terminate_backend", "pg_cancel_backend", "pg_reload_conf", "pg_switch_wal", "pg_rotate_logfile", "setval", "nextval",
        "pg_advisory_lock", "pg_create_restore_point", "pg_drop_replication_slot", "pg_create_physical_replication_slot",
        "pg_create_logical_replication_slot", "pg_wal_replay_pause", "pg_wal_replay_resume", "pg_promote", "lo_unlink", "set_config",
    ];

    public static RiskAssessment Classify(string sql)
    {
        var parts = Statements(sql).Select(Statement).ToList();
        return parts.Count == 0 ? RiskAssessment.ReadOnly("no SQL statement") : RiskAssessment.Max(parts);
    }

    /// <summary>The statements of a script, split at <c>;</c> outside quotes and comments, comments removed. A psql
    /// meta-command (<c>\dt</c>) is a statement of its own line.</summary>
    public static List<string> Statements(string sql)
    {
        var list = new List<string>();
        var current = new StringBuilder();
        for (var i = 0; i < sql.Length; i++)
        {
            var c = sql[i];
            if (c == '-' && i + 1 < sql.Length && sql[i + 1] == '-')
            {
                var end = sql.IndexOf('\n', i);
                i = end < 0 ? sql.Length : end - 1;
                continue;
            }
            if (c == '/' && i + 1 < sql.Length && sql[i + 1] == '*')
            {
                var end = sql.IndexOf("*/", i + 2, StringComparison.Ordinal);
                i = end < 0 ? sql.Length : end + 1;
                current.Append(' ');
                continue;
            }
            if (c is '\'' or '"')
            {
                var end = sql.IndexOf(c, i + 1);
                if (end < 0) end = sql.Length - 1;
                current.Append(c == '\'' ? "''" : sql.AsSpan(i, end - i + 1));
                i = end;
                continue;
            }
            if (c == '\\' && current.ToString().Trim().Length == 0)
            {
                var end = sql.IndexOf('\n', i);
                list.Add(sql[i..(end < 0 ? sql.Length : end)].Trim());
                i = end < 0 ? sql.Length : end;
                continue;
            }
            if (c == ';')
            {
                Flush();
                continue;
            }
            current.Append(c);
        }
        Flush();
        return list;

        void Flush()
        {
            var s = current.ToString().Trim();
            if (s.Length > 0) list.Add(s);
            current.Clear();
        }
    }

    /// <summary>Whether text reads as SQL: it starts with a statement keyword, written in capitals, or in any case when
    /// the text has a <c>;</c> or a <c>FROM</c> (so <c>kill -9 42</c> or <c>set -e</c> stay shell).</summary>
    public static bool Looks(string text)
    {
        var first = Statements(text).FirstOrDefault() ?? "";
        var w = FirstWord(first);
        if (w.Length == 0) return false;
        var upper = w.ToUpperInvariant();
        var known = Reading.Contains(w) || Changing.Contains(w) || upper is "WITH" or "EXPLAIN" or "UPDATE" or "DELETE" or "DROP" or "TRUNCATE" or "ALTER";
        if (!known) return false;
        if (w.All(char.IsUpper)) return true;
        return upper != "SET" && (text.Contains(';', StringComparison.Ordinal) || first.Contains(" from ", StringComparison.OrdinalIgnoreCase));
    }

    private static string FirstWord(string s)
    {
        var i = 0;
        while (i < s.Length && (char.IsLetter(s[i]) || s[i] == '_')) i++;
        return s[..i];
    }

    private static RiskAssessment Statement(string s)
    {
        if (s.StartsWith('\\'))
        {
            var meta = s.Split(' ', 2)[0];
            return meta is "\\i" or "\\ir" or "\\copy" or "\\gexec" or "\\!"
                ? RiskAssessment.Mutating($"psql `{meta}` runs what it is given")
                : RiskAssessment.ReadOnly($"psql `{meta}` shows the database");
        }
        var words = Words(s);
        if (words.Count == 0) return RiskAssessment.ReadOnly("empty statement");
        var verb = words[0].ToUpperInvariant();
        var upper = " " + string.Join(' ', words).ToUpperInvariant() + " ";
        // Keywords are matched as words; a parenthesis around them ("(DELETE FROM …)") does not hide them.
        var flat = " " + string.Join(' ', Words(s.Replace('(', ' ').Replace(')', ' '))).ToUpperInvariant() + " ";
        var snippet = Snippet(s);
        switch (verb)
        {
            case "EXPLAIN":
                // EXPLAIN ANALYZE runs the statement.
                var rest = words.Skip(1).SkipWhile(w => w.StartsWith('(') || w.EndsWith(')') || w.ToUpperInvariant() is "ANALYZE" or "ANALYSE" or "VERBOSE").ToList();
                var analyzes = words.Skip(1).Take(3).Any(w => w.ToUpperInvariant().Contains("ANALY", StringComparison.Ordinal));
                if (analyzes && rest.Count > 0) return Statement(string.Join(' ', rest));
                return RiskAssessment.ReadOnly($"SQL `EXPLAIN` shows a plan: {snippet}");
            case "WITH":
                // A CTE's verb is the first data-changing keyword in it, if any.
                foreach (var k in new[] { "DELETE", "UPDATE", "INSERT", "TRUNCATE", "DROP" })
                {
                    if (flat.Contains($" {k} ", StringComparison.Ordinal))
                        return k is "DELETE" or "UPDATE" ? DeleteOrUpdate(k, flat, snippet) : k is "INSERT" ? RiskAssessment.Mutating($"SQL `INSERT` adds rows: {snippet}") : RiskAssessment.Destructive($"SQL `{k}` loses data: {snippet}");
                }
                return Select(upper, snippet);
            case "SELECT":
                return Select(upper, snippet);
            case "DELETE" or "UPDATE":
                return DeleteOrUpdate(verb, flat, snippet);
            case "DROP" or "TRUNCATE":
                return RiskAssessment.Destructive($"SQL `{verb}` loses data: {snippet}");
            case "ALTER":
                if (upper.Contains(" DROP ", StringComparison.Ordinal) && !upper.Contains(" DROP DEFAULT ", StringComparison.Ordinal) && !upper.Contains(" DROP NOT NULL ", StringComparison.Ordinal))
                    return RiskAssessment.Destructive($"SQL `ALTER … DROP` removes a part of the schema and its data: {snippet}");
                return RiskAssessment.Mutating(upper.Contains(" ALTER SYSTEM ", StringComparison.Ordinal) || verb == "ALTER" && words.Count > 1 && words[1].Equals("SYSTEM", StringComparison.OrdinalIgnoreCase)
                    ? $"SQL `ALTER SYSTEM` changes the server's configuration: {snippet}"
                    : $"SQL `ALTER` changes the schema: {snippet}");
        }
        if (Reading.Contains(verb)) return RiskAssessment.ReadOnly($"SQL `{verb}` reads: {snippet}");
        if (Changing.Contains(verb)) return RiskAssessment.Mutating($"SQL `{verb}` changes the database: {snippet}");
        return RiskAssessment.Mutating($"SQL `{verb}` is not a statement Vigil knows, so it may change things: {snippet}");
    }

    private static RiskAssessment Select(string upper, string snippet)
    {
        var lower = upper.ToLowerInvariant();
        foreach (var f in ActingFunctions)
        {
            if (lower.Contains(f + "(", StringComparison.Ordinal) || lower.Contains(f + " (", StringComparison.Ordinal))
                return RiskAssessment.Mutating($"SQL `{f}()` acts on the server: {snippet}");
        }
        if (upper.Contains(" INTO ", StringComparison.Ordinal) && !upper.Contains(" INSERT ", StringComparison.Ordinal))
            return RiskAssessment.Mutating($"SQL `SELECT … INTO` creates a table: {snippet}");
        if (upper.Contains(" FOR UPDATE", StringComparison.Ordinal) || upper.Contains(" FOR SHARE", StringComparison.Ordinal))
            return RiskAssessment.Mutating($"SQL `SELECT … FOR UPDATE` locks rows: {snippet}");
        return RiskAssessment.ReadOnly($"SQL `SELECT` reads: {snippet}");
    }

    private static RiskAssessment DeleteOrUpdate(string verb, string upper, string snippet) =>
        upper.Contains(" WHERE ", StringComparison.Ordinal)
            ? RiskAssessment.Mutating($"SQL `{verb} … WHERE` changes the rows it matches: {snippet}")
            : RiskAssessment.Destructive($"SQL `{verb}` without `WHERE` {(verb == "DELETE" ? "deletes" : "overwrites")} every row: {snippet}");

    private static List<string> Words(string s) => [.. s.Split([' ', '\t', '\r', '\n'], StringSplitOptions.RemoveEmptyEntries)];

    private static string Snippet(string s)
    {
        var one = string.Join(' ', Words(s));
        return one.Length <= 60 ? one : one[..57] + "…";
    }
}
