using Vigil.Core.Conditions;
using YamlDotNet.RepresentationModel;

namespace Vigil.Core.Workspace;

public sealed partial class WorkspaceLoader
{
    private static readonly string[] CheckKindKeys = [.. Enum.GetNames<CheckKind>().Select(n => n.ToLowerInvariant())];

    private static readonly string[] ConditionKeys = ["conditions", "warn"];

    private static readonly string[] CheckKeys = [.. new[] { "id", "interval", "timeout", "conditions", "warn", "alert", "description" }.Concat(CheckKindKeys)];

    private Service? ReadService(YamlNode node)
    {
        var m = r.Map(node, "a service", "id", "name", "description", "runbook", "escalation", "notify", "tags", "checks", "slos", "auto_resolve");
        if (m is null) return null;
        var id = m.Id("backend");
        if (id is null) return null;
        var runbook = m.Str("runbook");
        if (runbook is not null) CheckRunbookReference(runbook, null, m.PositionOf("runbook"));
        var escalation = m.Str("escalation");
        if (escalation is not null) Refer("escalation policy", escalation, m.PositionOf("escalation"));
        var notify = m.StrList("notify");
        foreach (var (channel, at) in notify) Refer("channel", channel, at);
        var checks = m.Items("checks", n => ReadCheck(n, id));
        DuplicateIds(checks, c => c.Id, c => c.Position, $"check of service '{id}'");
        var slos = m.Items("slos", n => ReadSlo(n, id));
        DuplicateIds(slos, s => s.Id, s => s.Position, $"SLO of service '{id}'");
        return new Service
        {
            Id = id,
            Name = m.Str("name") ?? id,
            Description = m.Str("description"),
            Runbook = runbook,
            Escalation = escalation,
            Notify = [.. notify.Select(x => x.Value)],
            Tags = [.. m.StrList("tags").Select(x => x.Value)],
            Checks = checks,
            Slos = slos,
            AutoResolve = m.Bool("auto_resolve") ?? true,
            Position = m.Position,
        };
    }

    private Check? ReadCheck(YamlNode node, string serviceId)
    {
        var m = r.Map(node, $"a check of service '{serviceId}'", CheckKeys);
        if (m is null) return null;
        var id = m.Id("health");
        if (id is null) return null;
        var what = $"check '{serviceId}/{id}'";
        var kinds = CheckKindKeys.Where(m.Has).ToList();
        if (kinds.Count == 0)
        {
            r.Error(m.Position, $"{what} has no kind", $"add one of: {string.Join(", ", CheckKindKeys)}, e.g. `http: {{ url: \"http://127.0.0.1:8000/health\" }}`");
            return null;
        }
        if (kinds.Count > 1)
        {
            r.Error(m.PositionOf(kinds[1]), $"{what} has more than one kind ({string.Join(", ", kinds)})", "split it into one check per kind");
            return null;
        }
        var kind = Enum.Parse<CheckKind>(kinds[0], ignoreCase: true);
        var spec = ReadSpec(kind, m[kinds[0]]!, what);
        var interval = m.Duration("interval", TimeSpan.FromSeconds(1)) ?? TimeSpan.FromSeconds(60);
        var timeout = m.Duration("timeout", TimeSpan.FromMilliseconds(10)) ?? TimeSpan.FromSeconds(10);
        var conditions = Conditions(m, "conditions");
        var warn = Conditions(m, "warn");
        CheckConditions(kind, spec, what, m, conditions.Concat(warn));
        if (conditions.Count == 0 && !CanFailWithoutConditions(spec))
        {
            // A probe without conditions cannot fail: say so rather than watch nothing.
            r.Error(m.Position, $"{what} has no `conditions`", kind == CheckKind.Http ? "add `conditions: [\"[STATUS] == 200\"]`" : "add `conditions: [\"[VALUE] < 100\"]` or similar");
        }
        if (kind == CheckKind.Heartbeat && m.Has("interval"))
        {
            r.Error(m.PositionOf("interval"), $"{what}: a heartbeat has no `interval`, the job pings Vigil", "use `heartbeat: { period: 1h }` or `heartbeat: { schedule: \"0 17 * * SUN\" }`");
        }
        var alert = m["alert"] is { } a ? ReadAlert(a, what) : null;
        if (spec is null) return null;
        return new Check
        {
            Id = id,
            Kind = kind,
            Spec = spec,
            Interval = interval,
            Timeout = timeout,
            Conditions = conditions,
            Warn = warn,
            Alert = alert,
            Position = m.Position,
        };
    }

    // These kinds fail on their own: a heartbeat when late, TCP/TLS/Postgres when they cannot
    // connect, a command when it exits non-zero, a file check when the newest file is older
    // than `max_age` or smaller than `min_size`, a DNS check when the answer is not `expect`.
    // A spec that failed to read (null) is already reported; do not pile on.
    private static bool CanFailWithoutConditions(CheckSpec? spec) => spec switch
    {
        null => true,
        HeartbeatCheckSpec or TcpCheckSpec or TlsCheckSpec or PostgresCheckSpec or CommandCheckSpec => true,
        FileCheckSpec f => f.MaxAge is not null || f.MinSize is not null,
        DnsCheckSpec d => d.Expect.Count > 0,
        _ => false,
    };

    private static List<ConditionText> Conditions(Map m, string key) =>
        [.. m.QuotedStrList(key).Select(c => new ConditionText(c.Value, c.Position) { Quoted = c.Quoted })];

    // Conditions are parsed here, at validation time, so a malformed one is reported at its
    // exact line and column, and one reading a value the kind never fills is caught before it
    // fails on every run.
    private void CheckConditions(CheckKind kind, CheckSpec? spec, string what, Map m, IEnumerable<ConditionText> conditions)
    {
        var name = kind.ToString().ToLowerInvariant();
        if (kind == CheckKind.Heartbeat)
        {
            foreach (var key in ConditionKeys.Where(m.Has))
            {
                r.Error(m.PositionOf(key), $"{what}: a heartbeat takes no `{key}`", "it fails by itself when a ping is late; remove them");
            }
            return;
        }
        var filled = PlaceholderSupport.FilledBy(kind, spec);
        foreach (var text in conditions)
        {
            if (!Condition.TryParse(text.Text, out var condition, out var error))
            {
                r.Error(text.PositionAt(error.Offset), error.Message, error.Hint);
                continue;
            }
            foreach (var use in condition.Placeholders.Where(u => !filled.Contains(u.Placeholder)))
            {
                var written = Placeholders.Written(use.Placeholder);
                var hint = use.Placeholder == Placeholder.CertificateExpiration && kind == CheckKind.Http
                    ? "only an https:// URL has a certificate"
                    : $"a {name} check fills {string.Join(", ", filled.Select(Placeholders.Written))}";
                r.Error(text.PositionAt(use.Offset), $"{written} is never filled by a {name} check, so this condition could never hold", hint);
            }
        }
    }

    private CheckSpec? ReadSpec(CheckKind kind, YamlNode node, string what)
    {
        var where = $"`{kind.ToString().ToLowerInvariant()}` of {what}";
        switch (kind)
        {
            case CheckKind.Http:
            {
                var m = r.Map(node, where, "url", "method", "headers", "body", "follow_redirects", "verify_tls", "fresh_connection");
                var url = m?.RequiredStr("url", "http://127.0.0.1:8000/health");
                if (m is null || url is null) return null;
                CheckUrl(url, m.PositionOf("url"), "http", "https");
                var method = (m.Str("method") ?? "GET").ToUpperInvariant();
                if (method is not ("GET" or "HEAD" or "POST" or "PUT" or "PATCH" or "DELETE" or "OPTIONS"))
                {
                    r.Error(m.PositionOf("method"), $"'{method}' is not an HTTP method", "use GET, HEAD, POST, PUT, PATCH, DELETE or OPTIONS");
                }
                return new HttpCheckSpec
                {
                    Url = url,
                    Method = method,
                    Headers = m.StrMap("headers", secretValues: true),
                    Body = m.Str("body"),
                    FollowRedirects = m.Bool("follow_redirects") ?? true,
                    VerifyTls = m.Bool("verify_tls") ?? true,
                    FreshConnection = m.Bool("fresh_connection") ?? false,
                };
            }
            case CheckKind.Tcp:
            {
                var m = r.Map(node, where, "host", "port", "send", "expect");
                var host = m?.RequiredStr("host", "127.0.0.1");
                var port = m?.Int("port", 1, 65535);
                if (m is not null && !m.Has("port")) r.Error(m.Position, $"{where} is missing `port`", "add `port: 5432`");
                return m is null || host is null || port is null ? null : new TcpCheckSpec(host, port.Value, m.Str("send"), m.Str("expect"));
            }
            case CheckKind.Dns:
            {
                var m = r.Map(node, where, "name", "type", "server", "expect");
                var name = m?.RequiredStr("name", "example.com");
                if (m is null || name is null) return null;
                var type = (m.Str("type") ?? "A").ToUpperInvariant();
                string[] types = ["A", "AAAA", "CNAME", "MX", "NS", "TXT", "SRV", "PTR", "SOA", "CAA"];
                if (!types.Contains(type)) r.Error(m.PositionOf("type"), $"'{type}' is not a DNS record type Vigil queries", $"use one of {string.Join(", ", types)}");
                return new DnsCheckSpec { Name = name, RecordType = type, Server = m.Str("server"), Expect = [.. m.StrList("expect").Select(x => x.Value)] };
            }
            case CheckKind.Tls:
            {
                var m = r.Map(node, where, "host", "port", "server_name");
                var host = m?.RequiredStr("host", "example.com");
                return m is null || host is null ? null : new TlsCheckSpec(host, m.Int("port", 1, 65535) ?? 443, m.Str("server_name"));
            }
            case CheckKind.Postgres:
            {
                var m = r.Map(node, where, "connection", "query");
                var conn = m?.RequiredStr("connection", "\"${DATABASE_URL}\"", secret: true);
                return m is null || conn is null ? null : new PostgresCheckSpec(conn, m.Str("query"));
            }
            case CheckKind.Redis:
            {
                var m = r.Map(node, where, "url", "command");
                var url = m?.RequiredStr("url", "redis://127.0.0.1:6379", secret: true);
                if (m is null || url is null) return null;
                CheckUrl(url, m.PositionOf("url"), "redis", "rediss");
                return new RedisCheckSpec(url, m.Str("command"));
            }
            case CheckKind.Sql:
            {
                var m = r.Map(node, where, "driver", "connection", "query");
                var driver = m?.Enum<SqlDriver>("driver", required: true, example: "postgres");
                var conn = m?.RequiredStr("connection", "\"${DATABASE_URL}\"", secret: true);
                var query = m?.RequiredStr("query", "\"SELECT count(*) FROM jobs WHERE state = 'stuck'\"");
                return driver is null || conn is null || query is null ? null : new SqlCheckSpec(driver.Value, conn, query);
            }
            case CheckKind.Command:
            {
                var m = r.Map(node, where, "run", "shell", "working_directory");
                var run = m?.RequiredStr("run", "\"pg_isready -h 127.0.0.1\"");
                return m is null || run is null ? null : new CommandCheckSpec(run, m.Bool("shell") ?? false, m.Str("working_directory"));
            }
            case CheckKind.Disk:
            {
                var m = r.Map(node, where, "path");
                var path = m?.RequiredStr("path", "/");
                return path is null ? null : new DiskCheckSpec(path);
            }
            case CheckKind.File:
            {
                var m = r.Map(node, where, "glob", "max_age", "min_size");
                var glob = m?.RequiredStr("glob", "/backups/backup_*.dump");
                return m is null || glob is null ? null : new FileCheckSpec(glob, m.Duration("max_age"), m.Size("min_size"));
            }
            case CheckKind.Heartbeat:
            {
                var m = r.Map(node, where, "period", "schedule", "timezone", "grace", "key");
                if (m is null) return null;
                var period = m.Duration("period", TimeSpan.FromSeconds(10));
                var schedule = m.Str("schedule");
                if (schedule is not null) CheckCron(schedule, m.PositionOf("schedule"));
                if (m.Has("period") == m.Has("schedule"))
                {
                    r.Error(m.Position, $"{where} needs exactly one of `period` and `schedule`", "write `period: 1h` for a job that runs every hour, or `schedule: \"0 17 * * SUN\"` for a cron job");
                    return null;
                }
                var tz = m.Str("timezone");
                if (tz is not null) CheckTimezone(tz, m.PositionOf("timezone"));
                var key = m.Str("key", secret: true);
                if (key is not null && (key.Length < 8 || !key.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
                {
                    r.Error(m.PositionOf("key"), $"{where}: the ping key must be at least 8 letters, digits, '-' or '_'", "leave `key` out and Vigil generates one");
                }
                return new HeartbeatCheckSpec { Period = period, Schedule = schedule, Timezone = tz, Grace = m.Duration("grace") ?? TimeSpan.FromHours(1), Key = key };
            }
            default:
                throw new InvalidOperationException($"check kind {kind} has no reader");
        }
    }

    private AlertRule? ReadAlert(YamlNode node, string what)
    {
        var m = r.Map(node, $"the alert of {what}", "severity", "after", "for", "recover_after", "runbook", "on", "dedup_key");
        if (m is null) return null;
        var severity = m.RequiredStr("severity", "P1");
        if (severity is not null) Refer("severity", severity, m.PositionOf("severity"));
        if (m.Has("after") && m.Has("for"))
        {
            r.Error(m.PositionOf("for"), $"the alert of {what} has both `after` and `for`", "alert after N failures (`after: 2`) or after failing for a time (`for: 15m`), not both");
        }
        var rule = new AlertRule
        {
            Severity = severity ?? "",
            After = m.Int("after", 1, 1000) ?? 2,
            For = m.Duration("for", TimeSpan.FromSeconds(1)),
            RecoverAfter = m.Int("recover_after", 1, 1000) ?? 1,
            Runbook = m.Str("runbook"),
            On = m.Enum<AlertOn>("on", example: "down") ?? AlertOn.Down,
            DedupKey = DedupTemplate(m.Str("dedup_key"), m.PositionOf("dedup_key"), what),
            Position = m.Position,
        };
        return severity is null ? null : rule;
    }

    private static readonly string[] DedupPlaceholders = ["{service}", "{check}", "{severity}"];

    private string? DedupTemplate(string? template, SourcePosition at, string what)
    {
        if (template is null) return null;
        var rest = DedupPlaceholders.Aggregate(template, (t, p) => t.Replace(p, ""));
        if (rest.Contains('{') || rest.Contains('}') || string.IsNullOrWhiteSpace(template))
        {
            r.Error(at, $"the alert of {what} has `dedup_key: {template}`, which uses an unknown placeholder or is empty",
                "use text with {service}, {check} and {severity}, e.g. `dedup_key: \"{service}/database\"`");
            return null;
        }
        return template;
    }

    private Slo? ReadSlo(YamlNode node, string serviceId)
    {
        var m = r.Map(node, $"an SLO of service '{serviceId}'", "id", "check", "objective", "window", "latency");
        if (m is null) return null;
        var id = m.Id("availability");
        var check = m.RequiredStr("check", "health");
        var objectiveText = m.RequiredStr("objective", "99.5%");
        double? objective = null;
        if (objectiveText is not null)
        {
            if (Percentages.TryParse(objectiveText, out var f, out var hint)) objective = f;
            else r.Error(m.PositionOf("objective"), $"`objective`: '{objectiveText}' is not a percentage", hint);
        }
        var window = m.Duration("window", TimeSpan.FromHours(1)) ?? TimeSpan.FromDays(30);
        if (id is null || check is null || objective is null) return null;
        return new Slo { Id = id, Check = check, Objective = objective.Value, Window = window, Latency = m.Duration("latency"), Position = m.Position };
    }
}
