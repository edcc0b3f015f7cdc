using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Vigil.Runbooks;

namespace Vigil.Core.Import;

/// <summary>What an import wrote, understood and could not understand.</summary>
public sealed record ImportReport(string Yaml, IReadOnlyList<string> Understood, IReadOnlyList<string> NotUnderstood);

/// <summary>
/// Drafts a workspace from runbooks (<c>vigil import</c>): severity levels with their response times, services from
/// service tables (checks from their health-check and port columns), HTTP checks from <c>curl …/health</c> commands,
/// a Redis queue-depth check from <c>LLEN</c> with the threshold the text states, and maintenance tasks with cron
/// schedules from "Every weekday at 9:00 AM" lines and Daily/Weekly/Monthly/Quarterly sections. Every item carries a
/// comment citing the runbook line it came from; values the runbook does not give are safe placeholders marked
/// <c># TODO</c>, never a secret. What it could not use is listed, not guessed.
/// </summary>
public static partial class WorkspaceDraft
{
    public static ImportReport Build(IReadOnlyList<(Runbook Runbook, string CopiedAs)> runbooks)
    {
        var understood = new List<string>();
        var notUnderstood = new List<string>();
        var severities = new List<(string Id, string Name, string? Within, bool Page, string Source)>();
        var services = new Dictionary<string, DraftService>(StringComparer.Ordinal);
        var tasks = new List<(string Id, string Name, string Cron, string Runbook, string Source)>();

        foreach (var (r, copied) in runbooks)
        {
            var file = Path.GetFileName(r.Path ?? copied);
            string Cite(int line) => $"{file}:{line}";
            foreach (var s in r.AllSections())
            {
                foreach (var t in s.Tables) Table(t, s, copied, Cite, severities, services, understood);
                if (severities.Count == 0 && s.Title.Contains("severit", StringComparison.OrdinalIgnoreCase)) BoldSeverities(s, Cite, severities, understood);
                foreach (var step in s.Steps)
                {
                    foreach (var c in step.Commands)
                    {
                        if (HealthUrl().Match(c.Text) is { Success: true } h && !c.Text.Contains("-X POST", StringComparison.Ordinal))
                        {
                            var url = h.Value.TrimEnd('\'', '"', ')');
                            var id = ServiceForUrl(url, services);
                            var svc = services.TryGetValue(id, out var existing) ? existing : services[id] = new DraftService(id, id, copied, Cite(c.Line));
                            if (svc.Checks.All(k => k.Url != url))
                            {
                                svc.Checks.Add(new DraftCheck(CheckId(svc, "health"), $"http: {{ url: {Q(url)} }}", ["[STATUS] == 200"], Cite(c.Line), url));
                                understood.Add($"{Cite(c.Line)}: an HTTP health check of {url} on service '{id}'");
                            }
                        }
                        // A diagnosis query ("Check for stuck jobs"), not a housekeeping one ("Review and archive old rows").
                        if (c.Risk.Class == Vigil.Runbooks.Risk.RiskClass.ReadOnly && Diagnostic().IsMatch(step.Title) && !Housekeeping().IsMatch(step.Title) && StuckQuery(c.Text) is { } stuck)
                        {
                            var db = Services(services, "postgres", "database", "db") ?? (services["database"] = new DraftService("database", "Database", copied, Cite(c.Line)));
                            var id = CheckId(db, Slug(StripNumber(step.Title)) is { Length: > 0 and <= 40 } t ? t : "stuck-rows");
                            if (db.Checks.All(k => !k.Kind.Contains(stuck.Count, StringComparison.Ordinal)))
                            {
                                db.Checks.Add(new DraftCheck(id, $"sql: {{ driver: postgres, connection: {Q($"postgresql://vigil@127.0.0.1:5432/{stuck.Database}")}, query: {Q(stuck.Count)} }}",
                                    [stuck.Condition], Cite(c.Line) + "; TODO: the connection (user, host, password through ${VAR})", null));
                                understood.Add($"{Cite(c.Line)}: a SQL check counting what '{step.Title}' looks for, on service '{db.Id}'");
                            }
                        }
                        if (PgIsReady().Match(c.Text) is { Success: true } ready)
                        {
                            var db = Services(services, "postgres", "database", "db") ?? (services["database"] = new DraftService("database", "Database", copied, Cite(c.Line)));
                            var host = ready.Groups["host"].Success ? ready.Groups["host"].Value : "127.0.0.1";
                            var port = ready.Groups["port"].Success ? ready.Groups["port"].Value : "5432";
                            if (db.Checks.All(k => !k.Kind.StartsWith("tcp", StringComparison.Ordinal)))
                            {
                                db.Checks.Add(new DraftCheck(CheckId(db, "port"), $"tcp: {{ host: {Q(host)}, port: {port} }}", [], Cite(c.Line) + "; from pg_isready", null));
                                understood.Add($"{Cite(c.Line)}: a connection check of {host}:{port} (pg_isready) on service '{db.Id}'");
                            }
                        }
                        if (RedisPing().Match(c.Text) is { Success: true } ping)
                        {
                            var id = Services(services, "redis", "cache") is { } known ? known.Id : "redis";
                            var svc = services.TryGetValue(id, out var existing) ? existing : services[id] = new DraftService(id, "Redis", copied, Cite(c.Line));
                            var url = $"redis://{(ping.Groups["host"].Success ? ping.Groups["host"].Value : "127.0.0.1")}:{(ping.Groups["port"].Success ? ping.Groups["port"].Value : "6379")}";
                            if (svc.Checks.All(k => !k.Kind.Contains("PING", StringComparison.Ordinal)))
                            {
                                svc.Checks.Add(new DraftCheck(CheckId(svc, "ping"), $"redis: {{ url: {Q(url)}, command: \"PING\" }}", ["[BODY] == PONG"], Cite(c.Line), null));
                                understood.Add($"{Cite(c.Line)}: a Redis PING check of {url} on service '{id}'");
                            }
                        }
                        if (QueueDepth().Match(c.Text) is { Success: true } q)
                        {
                            var queue = q.Groups["queue"].Value;
                            var limit = Threshold(r, "queue depth") ?? Threshold(r, "queue");
                            var id = services.ContainsKey("redis") ? "redis" : services.Keys.FirstOrDefault(k => k.Contains("redis", StringComparison.Ordinal)) ?? "redis";
                            var svc = services.TryGetValue(id, out var existing) ? existing : services[id] = new DraftService(id, "Redis", copied, Cite(c.Line));
                            var host = q.Groups["host"].Success ? q.Groups["host"].Value : "127.0.0.1";
                            if (svc.Checks.All(k => !k.Id.StartsWith("queue", StringComparison.Ordinal)))
                            {
                                svc.Checks.Add(new DraftCheck(CheckId(svc, "queue-depth"), $"redis: {{ url: {Q($"redis://{host}:6379")}, command: {Q($"LLEN {queue}")} }}",
                                    [$"[VALUE] < {limit?.Value ?? 1000}"], Cite(c.Line) + (limit is null ? "; TODO: the runbook states no limit, 1000 is a placeholder" : $"; limit from {Cite(limit.Value.Line)}"), null));
                                understood.Add($"{Cite(c.Line)}: a queue-depth check (LLEN {queue}) on service '{id}'");
                            }
                        }
                    }
                }
                if (Schedule(s) is { } cron)
                {
                    var id = Slug(StripNumber(s.Title));
                    if (tasks.All(t => t.Id != id))
                    {
                        tasks.Add((id, StripNumber(s.Title), cron.Cron, $"{copied}#{s.Anchor}", Cite(cron.Line)));
                        understood.Add($"{Cite(cron.Line)}: maintenance task '{StripNumber(s.Title)}' at `{cron.Cron}`");
                    }
                }
            }
        }

        var paging = new Paging(severities, services, understood, notUnderstood);
        foreach (var (r, copied) in runbooks) paging.Read(r, Path.GetFileName(r.Path ?? copied), copied);

        var yaml = new StringBuilder();
        yaml.AppendLine("# Drafted by `vigil import` from " + string.Join(", ", runbooks.Select(r => Path.GetFileName(r.Runbook.Path ?? r.CopiedAs))) + ".");
        yaml.AppendLine("# Each item cites the runbook line it came from; `# TODO` marks values the runbook does not give. See IMPORT.md.");
        yaml.Append("name: ").AppendLine(Q(runbooks.Count > 0 ? runbooks[0].Runbook.Title : "Imported runbooks"));
        if (severities.Count > 0)
        {
            yaml.AppendLine("severities:");
            foreach (var s in severities)
                yaml.Append("  - { id: ").Append(Q(s.Id)).Append(", name: ").Append(Q(s.Name)).Append(s.Within is null ? "" : $", respond_within: {s.Within}").Append(", page: ").Append(s.Page ? "true" : "false").Append(" }  # ").AppendLine(s.Source);
        }
        if (paging.Users.Count > 0)
        {
            yaml.AppendLine("users:");
            foreach (var u in paging.Users.Values)
                yaml.Append("  - { id: ").Append(Q(u.Id)).Append(", name: ").Append(Q(u.Name)).Append(u.Email is null ? "" : $", email: {Q(u.Email)}").Append(", role: responder }  # ").Append(u.Source)
                    .AppendLine(u.Email is null ? "; TODO: add how to reach them (email, webhook or slack)" : "");
        }
        if (paging.Policies.Count > 0)
        {
            yaml.AppendLine("escalation_policies:");
            foreach (var (id, steps, source) in paging.Policies)
            {
                yaml.Append("  - id: ").Append(Q(id)).Append("  # ").AppendLine(source);
                yaml.AppendLine("    steps:");
                foreach (var (target, wait, from) in steps)
                    yaml.Append("      - { notify: [").Append(Q(target)).Append(']').Append(wait is null ? "" : $", wait: {wait}").Append(" }  # ").AppendLine(from);
            }
        }
        if (services.Count > 0)
        {
            yaml.AppendLine("services:");
            foreach (var svc in services.Values)
            {
                yaml.Append("  - id: ").Append(Q(svc.Id)).Append("  # ").AppendLine(svc.Source);
                yaml.Append("    name: ").AppendLine(Q(svc.Name));
                yaml.Append("    runbook: ").AppendLine(Q(svc.Runbook));
                if (svc.Escalation is not null) yaml.Append("    escalation: ").AppendLine(Q(svc.Escalation));
                if (svc.Checks.Count > 0)
                {
                    yaml.AppendLine("    checks:");
                    foreach (var c in svc.Checks)
                    {
                        yaml.Append("      - id: ").Append(Q(c.Id)).Append("  # ").AppendLine(c.Source);
                        yaml.Append("        ").AppendLine(c.Kind);
                        if (c.Conditions.Count > 0) yaml.Append("        conditions: [").Append(string.Join(", ", c.Conditions.Select(Q))).AppendLine("]");
                        if (c.Warn.Count > 0) yaml.Append("        warn: [").Append(string.Join(", ", c.Warn.Select(Q))).AppendLine("]");
                        if (c.Alert is { } a) yaml.Append("        alert: ").Append(a.Yaml).Append("  # ").AppendLine(a.Source);
                    }
                }
                if (svc.Slos.Count > 0)
                {
                    yaml.AppendLine("    slos:");
                    foreach (var (slo, source) in svc.Slos) yaml.Append("      - ").Append(slo).Append("  # ").AppendLine(source);
                }
            }
        }
        if (tasks.Count > 0)
        {
            yaml.AppendLine("maintenance:");
            yaml.AppendLine("  tasks:");
            foreach (var t in tasks)
                yaml.Append("    - { id: ").Append(Q(t.Id)).Append(", name: ").Append(Q(t.Name)).Append(", cron: ").Append(Q(t.Cron)).Append(", runbook: ").Append(Q(t.Runbook)).Append(" }  # ").AppendLine(t.Source);
        }
        if (severities.Count == 0) notUnderstood.Add("no severity levels found (a table with Level/Severity and Response columns, or **P1 - Critical** lists)");
        if (services.Count == 0) notUnderstood.Add("no services found (a table with a Service column, or `curl …/health` commands)");
        return new ImportReport(yaml.ToString(), understood, notUnderstood);
    }

    private sealed class DraftCheck(string id, string kind, IEnumerable<string> conditions, string source, string? url)
    {
        public string Id { get; } = id;
        public string Kind { get; } = kind;
        public List<string> Conditions { get; } = [.. conditions];
        public List<string> Warn { get; } = [];
        public string Source { get; } = source;
        public string? Url { get; } = url;
        /// <summary>The check's <c>alert:</c> block (flow YAML) and the line it came from.</summary>
        public (string Yaml, string Source)? Alert { get; set; }
    }

    private sealed record DraftService(string Id, string Name, string Runbook, string Source)
    {
        public List<DraftCheck> Checks { get; } = [];
        public List<(string Yaml, string Source)> Slos { get; } = [];
        public string? Escalation { get; set; }
    }

    /// <summary>The first service whose id contains one of the words.</summary>
    private static DraftService? Services(Dictionary<string, DraftService> services, params string[] words) =>
        services.Values.FirstOrDefault(s => words.Any(w => s.Id.Contains(w, StringComparison.Ordinal)));

    /// <summary>A diagnosis query for rows stuck past an age (<c>… WHERE … &lt; now() - interval '30 minutes'</c>) as a
    /// count, and the database it ran against (psql -d), or null.</summary>
    private static (string Count, string Database, string Condition)? StuckQuery(string command)
    {
        var sql = Regex.Match(command, @"(?is)\bSELECT\b.+?\bFROM\b\s+(?<rest>[\w.""]+\s+WHERE\b[^;""]*?(?<op>[<>]=?)\s*(?:now\(\)|current_timestamp)\s*-\s*interval\s*'[^']+'[^;""]*)");
        if (!sql.Success) return null;
        var db = Regex.Match(command, @"\s(?:-d|--dbname)[\s=]+([\w-]+)") is { Success: true } d ? d.Groups[1].Value : "postgres";
        var rest = Regex.Replace(sql.Groups["rest"].Value, @"\s+", " ").Trim().TrimEnd(';', '"', ' ');
        rest = Regex.Replace(rest, @"(?i)\s+(ORDER BY|LIMIT)\b.*$", "");
        // Older than the interval: rows stuck, none expected. Newer: recent rows, some expected.
        return ($"SELECT count(*) FROM {rest}", db, sql.Groups["op"].Value.StartsWith('<') ? "[VALUE] == 0" : "[VALUE] > 0");
    }

    private static string CheckId(DraftService svc, string wanted)
    {
        var id = wanted;
        for (var n = 2; svc.Checks.Any(c => c.Id == id); n++) id = $"{wanted}-{n}";
        return id;
    }

    private static void Table(RunbookTable t, Section s, string copied, Func<int, string> cite, List<(string, string, string?, bool, string)> severities,
        Dictionary<string, DraftService> services, List<string> understood)
    {
        var headers = t.Headers.Select(h => h.ToLowerInvariant()).ToList();
        int Col(params string[] words) => headers.FindIndex(h => words.Any(w => h.Contains(w, StringComparison.Ordinal)));
        var level = Col("level", "severity", "priority");
        var response = Col("response", "respond");
        if (level >= 0 && response >= 0)
        {
            foreach (var (row, at) in t.Rows.Select((r, i) => (r, RowLine(t, i))).Where(x => x.r.Count > Math.Max(level, response)))
            {
                if (SeverityId().Match(row[level]) is not { Success: true } m) continue;
                var id = m.Value.ToUpperInvariant().Replace(" ", "", StringComparison.Ordinal);
                if (severities.Any(x => x.Item1 == id)) continue; // the first table that states a level wins
                var within = Duration(row[response]);
                var name = row[level][(m.Index + m.Length)..].Trim(' ', '-', '–', '—', ':', '(', ')');
                severities.Add((id, name.Length == 0 ? m.Value : name, within, Pages(within), cite(at)));
                understood.Add($"{cite(at)}: severity {m.Value} ({(within ?? "no response time")})");
            }
            return;
        }
        var service = Col("service", "component");
        if (service < 0) return;
        var health = Col("health", "check", "endpoint");
        var port = Col("port");
        foreach (var (row, at) in t.Rows.Select((r, i) => (r, RowLine(t, i))).Where(x => x.r.Count > service))
        {
            var name = row[service].Trim();
            var id = Slug(Regex.Replace(name, @"\(.*?\)", "").Trim());
            if (id.Length == 0 || services.ContainsKey(id)) continue;
            var svc = services[id] = new DraftService(id, name, copied, cite(at));
            understood.Add($"{cite(at)}: service '{id}' ({name})");
            var p = port >= 0 && port < row.Count && int.TryParse(Regex.Match(row[port], @"\d+").Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var n) ? n : (int?)null;
            var h = health >= 0 && health < row.Count ? row[health].Trim() : "";
            if (Regex.Match(h, @"^(?:GET|HEAD)\s+(/\S*)") is { Success: true } get && p is not null)
            {
                var url = $"http://127.0.0.1:{p}{get.Groups[1].Value}";
                svc.Checks.Add(new DraftCheck("health", $"http: {{ url: {Q(url)} }}", ["[STATUS] == 200"], cite(at) + "; TODO: 127.0.0.1 assumed: the runbook gives the port, not the host", url));
            }
            else if (h.Contains("pg_isready", StringComparison.Ordinal) || (p == 5432 && h.Length > 0))
            {
                svc.Checks.Add(new DraftCheck("port", $"tcp: {{ host: 127.0.0.1, port: {p ?? 5432} }}", [], cite(at) + "; pg_isready checks that the server accepts connections", null));
            }
            else if (h.Contains("curl", StringComparison.Ordinal) && p is not null)
            {
                var first = Regex.Match(row[port], @"\d+").Value;
                var url = $"http://127.0.0.1:{first}/";
                svc.Checks.Add(new DraftCheck("http", $"http: {{ url: {Q(url)} }}", ["[STATUS] < 500"], cite(at), url));
            }
            else if (h.Length > 0)
            {
                understood.Add($"{cite(at)}: service '{id}': its health check '{h}' is not one Vigil can run as written (left out)");
            }
        }
    }

    /// <summary>"**P0 - Critical**:" paragraphs, each followed by a list with "Response time: …".</summary>
    private static void BoldSeverities(Section s, Func<int, string> cite, List<(string Id, string Name, string? Within, bool Page, string Source)> severities, List<string> understood)
    {
        var found = new List<(string Id, string Name, string? Within, int Line)>();
        foreach (var p in s.Paragraphs.OrderBy(p => p.Line))
        {
            if (SeverityId().Match(p.Text) is { Success: true, Index: < 3 } m && !p.Text.StartsWith('-'))
            {
                var name = p.Text[(m.Index + m.Length)..].Trim(' ', '-', '–', '—', ':', '*');
                found.Add((m.Value.ToUpperInvariant(), name.Length == 0 ? m.Value : name, null, p.Line));
            }
            else if (found.Count > 0 && found[^1].Within is null && Regex.Match(p.Text, @"respon\w*\s*(?:time)?\s*:\s*(.+)", RegexOptions.IgnoreCase) is { Success: true } r)
            {
                found[^1] = found[^1] with { Within = Duration(r.Groups[1].Value) };
            }
        }
        foreach (var (id, name, within, line) in found.Where(f => severities.All(x => x.Id != f.Id)).DistinctBy(f => f.Id))
        {
            severities.Add((id, name, within, Pages(within), cite(line)));
            understood.Add($"{cite(line)}: severity {id} ({within ?? "no response time"})");
        }
    }

    /// <summary>A table row's line: the header, the delimiter row, then one line a row.</summary>
    private static int RowLine(RunbookTable t, int index) => t.Line + 2 + index;

    private static bool Pages(string? within) => within is not null && (within.EndsWith('m') || within is "1h");

    /// <summary>"15 min", "1 hour", "&lt; 15 minutes", "24 hours", "Immediate" (5m) as a workspace duration.</summary>
    private static string? Duration(string text)
    {
        var t = text.ToLowerInvariant();
        if (t.Contains("immediate", StringComparison.Ordinal)) return "5m";
        if (t.Contains("business day", StringComparison.Ordinal) || t.Contains("next day", StringComparison.Ordinal)) return "1d";
        var m = Regex.Match(t, @"(\d+)\s*(min|m\b|minute|hour|hr|h\b|day|d\b)");
        if (!m.Success) return null;
        var unit = m.Groups[2].Value;
        return m.Groups[1].Value + (unit.StartsWith('m') ? "m" : unit.StartsWith('h') ? "h" : "d");
    }

    private static (int Value, int Line)? Threshold(Runbook r, string what)
    {
        foreach (var s in r.AllSections())
        {
            foreach (var p in s.Paragraphs)
            {
                var m = Regex.Match(p.Text, Regex.Escape(what) + @"[^<>\n]{0,20}<\s*(\d+)", RegexOptions.IgnoreCase);
                if (m.Success) return (int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture), p.Line);
            }
        }
        return null;
    }

    /// <summary>A section's schedule: "Frequency: Every weekday at 9:00 AM", or a Daily/Weekly/Monthly/Quarterly heading.</summary>
    private static (string Cron, int Line)? Schedule(Section s)
    {
        foreach (var p in s.Paragraphs)
        {
            var m = Regex.Match(p.Text, @"^\s*(?:frequency|schedule|when|runs?)\s*:\s*(.+)$", RegexOptions.IgnoreCase | RegexOptions.Multiline);
            if (m.Success && Cron(m.Groups[1].Value) is { } cron) return (cron, p.Line);
        }
        return Cron(s.Title, heading: true) is { } c ? (c, s.Line) : null;
    }

    private static readonly string[] Days = ["sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday"];

    /// <summary>"Every weekday at 9:00 AM" → <c>0 9 * * 1-5</c>; "Every Sunday at 2:00 AM" → <c>0 2 * * 0</c>; "Daily" → 09:00.</summary>
    public static string? Cron(string text, bool heading = false)
    {
        var t = text.ToLowerInvariant();
        var time = Regex.Match(t, @"(\d{1,2})(?::(\d{2}))?\s*(am|pm|a\.m\.|p\.m\.)?");
        var hour = 9;
        var minute = 0;
        if (time.Success && (time.Groups[2].Success || time.Groups[3].Success))
        {
            hour = int.Parse(time.Groups[1].Value, CultureInfo.InvariantCulture) % 24;
            minute = time.Groups[2].Success ? int.Parse(time.Groups[2].Value, CultureInfo.InvariantCulture) % 60 : 0;
            if (time.Groups[3].Value.StartsWith('p') && hour < 12) hour += 12;
            if (time.Groups[3].Value.StartsWith('a') && hour == 12) hour = 0;
        }
        var at = $"{minute} {hour}";
        var day = Array.FindIndex(Days, d => t.Contains(d, StringComparison.Ordinal));
        if (t.Contains("weekday", StringComparison.Ordinal)) return $"{at} * * 1-5";
        if (day >= 0 && (t.Contains("every", StringComparison.Ordinal) || t.Contains("weekly", StringComparison.Ordinal) || heading)) return $"{at} * * {day}";
        if (t.Contains("daily", StringComparison.Ordinal) || t.Contains("every day", StringComparison.Ordinal) || t.Contains("nightly", StringComparison.Ordinal)) return $"{at} * * *";
        if (t.Contains("weekly", StringComparison.Ordinal) || t.Contains("every week", StringComparison.Ordinal)) return $"{at} * * 1";
        if (t.Contains("monthly", StringComparison.Ordinal) || t.Contains("every month", StringComparison.Ordinal)) return $"{at} 1 * *";
        if (t.Contains("quarterly", StringComparison.Ordinal) || t.Contains("every quarter", StringComparison.Ordinal)) return $"{at} 1 1,4,7,10 *";
        return null;
    }

    private static string ServiceForUrl(string url, Dictionary<string, DraftService> services)
    {
        var host = Uri.TryCreate(url, UriKind.Absolute, out var u) ? u.Host : "service";
        var first = Slug(host.Split('.')[0]);
        if (first is "localhost" or "127") first = services.Keys.FirstOrDefault() ?? "app";
        return services.Keys.FirstOrDefault(k => k == first || host.Contains(k, StringComparison.Ordinal)) ?? (first.Length == 0 ? "app" : first);
    }

    private static string StripNumber(string title) => Regex.Replace(title, @"^\d+[.)]\s+", "");

    private static string Slug(string text)
    {
        var s = Regex.Replace(text.ToLowerInvariant(), "[^a-z0-9]+", "-").Trim('-');
        return s.Length > 60 ? s[..60].TrimEnd('-') : s;
    }

    /// <summary>A YAML double-quoted scalar (JSON escapes are YAML escapes).</summary>
    private static string Q(string s) => System.Text.Json.JsonSerializer.Serialize(s, Readable);

    private static readonly System.Text.Json.JsonSerializerOptions Readable = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [GeneratedRegex(@"https?://[^\s'""|)]+/(?:health|healthz|healthcheck|status|ready|readyz|live|livez|ping)\b[^\s'""|)]*", RegexOptions.CultureInvariant)]
    private static partial Regex HealthUrl();

    [GeneratedRegex(@"redis-cli\b(?:\s+-h\s+(?<host>[\w.-]+))?(?:\s+-\w+\s+\S+)*\s+LLEN\s+(?<queue>[\w:.-]+)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex QueueDepth();

    [GeneratedRegex(@"\b(?:check|stuck|verify|detect|find|look for|count|diagnos|monitor|slow)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Diagnostic();

    [GeneratedRegex(@"\b(?:archive|clean|purge|delete|review|rotate|prune)", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex Housekeeping();

    [GeneratedRegex(@"\bredis-cli\b(?:\s+-h\s+(?<host>[\w.-]+))?(?:\s+-p\s+(?<port>\d+))?(?:\s+-n\s+\d+)?\s+PING\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex RedisPing();

    [GeneratedRegex(@"\bpg_isready\b(?:\s+-h\s+(?<host>[\w.-]+))?(?:\s+-p\s+(?<port>\d+))?", RegexOptions.CultureInvariant)]
    private static partial Regex PgIsReady();

    [GeneratedRegex(@"\b(?:P\d|SEV\s?-?\d|S\d)\b", RegexOptions.CultureInvariant | RegexOptions.IgnoreCase)]
    private static partial Regex SeverityId();
}
