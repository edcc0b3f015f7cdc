using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Cronos;
using NodaTime;
using Vigil.Core.Notifications;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace Vigil.Core.Workspace;

/// <summary>The outcome of loading a workspace: a model, or every error found (never just the first).</summary>
public sealed record WorkspaceLoadResult(WorkspaceModel? Workspace, IReadOnlyList<WorkspaceError> Errors)
{
    public bool Ok => Workspace is not null && Errors.Count == 0;

    /// <summary>Secrets met while loading, also when loading failed, so errors can be shown redacted.</summary>
    public SecretSet Secrets { get; init; } = new();
}

/// <summary>
/// Loads <c>vigil.yaml</c> from a workspace folder into a <see cref="WorkspaceModel"/>, validating
/// shape, values and cross-references in one pass and reporting all errors at once.
/// </summary>
public sealed partial class WorkspaceLoader
{
    public const string FileName = "vigil.yaml";

    // The start of YamlDotNet's message for a key repeated in one mapping ("Duplicate key name").
    private const string DuplicateKey = "Duplicate key ";

    private readonly Func<string, string?> environment;
    private YamlReading r = null!;

    // References are recorded where the value sits and resolved once the whole file is read,
    // so the error points at the dangling id itself, whatever the order of sections.
    private readonly List<(string Kind, string Id, SourcePosition At)> references = [];
    private readonly Dictionary<string, WorkspaceRunbook> runbooks = new(StringComparer.Ordinal);
    private string directory = "";

    /// <param name="environment">Where <c>${VAR}</c> comes from; the process environment by default.</param>
    public WorkspaceLoader(Func<string, string?>? environment = null)
    {
        this.environment = environment ?? Environment.GetEnvironmentVariable;
    }

    /// <summary>Loads the workspace in <paramref name="workspaceDirectory"/>.</summary>
    public WorkspaceLoadResult Load(string workspaceDirectory)
    {
        var dir = Path.GetFullPath(workspaceDirectory);
        var file = Path.Combine(dir, FileName);
        if (!System.IO.Directory.Exists(dir))
        {
            return Fail(new WorkspaceError(new SourcePosition(workspaceDirectory, 0, 0), "workspace folder does not exist", "pass the folder that holds vigil.yaml"));
        }
        if (!File.Exists(file))
        {
            return Fail(new WorkspaceError(new SourcePosition(FileName, 0, 0), $"no {FileName} in {dir}", "create one: start from examples/demo/vigil.yaml, see docs/configuration.md"));
        }
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (IOException e)
        {
            return Fail(new WorkspaceError(new SourcePosition(FileName, 0, 0), $"cannot read {FileName}: {e.Message}", "check the file's permissions"));
        }
        return LoadText(text, dir);
    }

    /// <summary>Loads from text, resolving relative paths (runbooks, jsonl files) against <paramref name="workspaceDirectory"/>.</summary>
    public WorkspaceLoadResult LoadText(string yaml, string workspaceDirectory)
    {
        // Without trimming, "examples/demo/" would make every runbook look outside the workspace.
        directory = Path.TrimEndingDirectorySeparator(Path.GetFullPath(workspaceDirectory));
        r = new YamlReading(FileName, environment);
        references.Clear();
        runbooks.Clear();
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(yaml));
        }
        catch (YamlException e) when (e.Message.StartsWith(DuplicateKey, StringComparison.Ordinal))
        {
            // YamlDotNet refuses a repeated key while parsing, before Map can report it;
            // say it plainly rather than as a syntax error with .NET's dictionary message.
            return Fail(new WorkspaceError(r.At(e.Start), $"key `{e.Message[DuplicateKey.Length..]}` appears twice in the same mapping", "keep one of them"));
        }
        catch (YamlException e)
        {
            var inner = e.InnerException?.Message;
            return Fail(new WorkspaceError(r.At(e.Start), $"YAML syntax error: {e.Message}{(inner is null ? "" : ": " + inner)}", "check indentation and quoting near this place"));
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" })
        {
            return Fail(new WorkspaceError(new SourcePosition(FileName, 1, 1), $"{FileName} is empty", "start with `name: My Team`"));
        }
        if (stream.Documents.Count > 1)
        {
            r.Error(stream.Documents[1].RootNode, $"{FileName} holds more than one YAML document", "remove the extra '---' separator");
        }
        var model = ReadRoot(stream.Documents[0].RootNode);
        if (model is not null) CheckReferences(model);
        var documents = model is null ? [] : CollectRunbooks();
        if (r.Errors.Count > 0 || model is null)
        {
            return new WorkspaceLoadResult(null, [.. r.Errors.OrderBy(e => e.Position.Line).ThenBy(e => e.Position.Column)]) { Secrets = r.Secrets };
        }
        // The runbooks are part of what runs: an edited runbook is a new workspace (new steps, new anchors).
        var hashed = new StringBuilder(yaml);
        foreach (var d in documents) hashed.Append('\0').Append(d.Path).Append('\0').Append(d.Text);
        var fingerprint = Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(hashed.ToString())));
        return new WorkspaceLoadResult(model with { Secrets = r.Secrets, Fingerprint = fingerprint, RunbookDocuments = documents }, []) { Secrets = r.Secrets };
    }

    private static WorkspaceLoadResult Fail(WorkspaceError error) => new(null, [error]);

    private WorkspaceModel? ReadRoot(YamlNode root)
    {
        var m = r.Map(root, FileName, "name", "timezone", "severities", "users", "schedules", "escalation_policies", "channels", "services", "integrations", "runbooks", "maintenance");
        if (m is null) return null;
        var name = m.RequiredStr("name", "My Team");
        var timezone = m.Str("timezone") ?? "UTC";
        if (m.Has("timezone")) CheckTimezone(timezone, m.PositionOf("timezone"));
        return new WorkspaceModel
        {
            Name = name ?? "",
            Directory = directory,
            Timezone = timezone,
            Severities = m.Items("severities", ReadSeverity),
            Users = m.Items("users", ReadUser),
            Schedules = m.Items("schedules", n => ReadSchedule(n, timezone)),
            EscalationPolicies = m.Items("escalation_policies", ReadPolicy),
            Channels = m.Items("channels", ReadChannel),
            Services = m.Items("services", ReadService),
            Integrations = m.Items("integrations", ReadIntegration),
            Runbooks = ReadRunbookSettings(m["runbooks"]),
            Maintenance = ReadMaintenance(m["maintenance"]),
        };
    }

    private Severity? ReadSeverity(YamlNode node)
    {
        var m = r.Map(node, "a severity", "id", "name", "respond_within", "page", "description");
        if (m is null) return null;
        var id = m.Id("P1");
        if (id is null) return null;
        return new Severity(id, m.Str("name") ?? id, m.Duration("respond_within"), m.Bool("page") ?? true, m.Position);
    }

    private User? ReadUser(YamlNode node)
    {
        var m = r.Map(node, "a user", "id", "name", "email", "phone", "webhook", "slack", "role", "timezone");
        if (m is null) return null;
        var id = m.Id("alice");
        if (id is null) return null;
        var email = m.Str("email");
        if (email is not null && !email.Contains('@', StringComparison.Ordinal))
        {
            r.Error(m.PositionOf("email"), $"user '{id}': '{email}' is not an email address", "write name@example.com");
        }
        var tz = m.Str("timezone");
        if (tz is not null) CheckTimezone(tz, m.PositionOf("timezone"));
        var webhook = m.Str("webhook", secret: true);
        if (webhook is not null) CheckUrl(webhook, m.PositionOf("webhook"), "http", "https");
        var slack = m.Str("slack", secret: true);
        if (slack is not null) CheckUrl(slack, m.PositionOf("slack"), "http", "https");
        return new User
        {
            Id = id,
            Name = m.Str("name") ?? id,
            Email = email,
            Phone = m.Str("phone"),
            Webhook = webhook,
            Slack = slack,
            Role = m.Enum<Role>("role") ?? Role.Viewer,
            Timezone = tz,
            Position = m.Position,
        };
    }

    private Schedule? ReadSchedule(YamlNode node, string workspaceTimezone)
    {
        var m = r.Map(node, "a schedule", "id", "name", "timezone", "rotation", "layers", "overrides");
        if (m is null) return null;
        var id = m.Id("primary");
        if (id is null) return null;
        var tz = m.Str("timezone") ?? workspaceTimezone;
        if (m.Has("timezone")) CheckTimezone(tz, m.PositionOf("timezone"));
        var layers = new List<ScheduleLayer>();
        if (m.Has("rotation") && m.Has("layers"))
        {
            r.Error(m.PositionOf("layers"), $"schedule '{id}' has both `rotation` and `layers`", "use `layers` for several rotations, `rotation` for one");
        }
        else if (m["rotation"] is { } rot)
        {
            if (ReadRotation(rot, $"the rotation of schedule '{id}'") is { } rotation) layers.Add(new ScheduleLayer("default", rotation, rotation.Position));
        }
        else if (m.Has("layers"))
        {
            layers.AddRange(m.Items("layers", n =>
            {
                var lm = r.Map(n, $"a layer of schedule '{id}'", "id", "rotation");
                if (lm is null) return null;
                var lid = lm.Id("primary");
                var rotNode = lm.Required("rotation", "{ every: 1w, handoff: \"Mon 09:00\", start: 2026-11-02, members: [alice] }");
                var rotation = rotNode is null ? null : ReadRotation(rotNode, $"layer '{lid}' of schedule '{id}'");
                return lid is null || rotation is null ? null : new ScheduleLayer(lid, rotation, lm.Position);
            }));
            DuplicateIds(layers, l => l.Id, l => l.Position, $"layer of schedule '{id}'");
        }
        else
        {
            r.Error(m.Position, $"schedule '{id}' has no `rotation` or `layers`", "add `rotation: { every: 1w, handoff: \"Mon 09:00\", start: 2026-11-02, members: [alice, bob] }`");
        }
        var overrides = m.Items("overrides", n =>
        {
            var om = r.Map(n, $"an override of schedule '{id}'", "user", "from", "until");
            if (om is null) return null;
            var user = om.RequiredStr("user", "bob");
            if (user is not null) Refer("user", user, om.PositionOf("user"));
            var from = Instant(om, "from");
            var until = Instant(om, "until");
            if (from is not null && until is not null && until <= from)
            {
                r.Error(om.PositionOf("until"), "an override's `until` is not after its `from`", "swap them, or fix the dates");
                return null;
            }
            return user is null || from is null || until is null ? null : new ScheduleOverride(user, from.Value, until.Value, om.Position);
        });
        return new Schedule { Id = id, Name = m.Str("name"), Timezone = tz, Layers = layers, Overrides = overrides, Position = m.Position };
    }

    private DateTimeOffset? Instant(Map m, string key)
    {
        var s = m.RequiredStr(key, "2026-11-20T09:00:00+01:00");
        if (s is null) return null;
        if (DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var v)
            && (s.EndsWith('Z') || s.Contains('+', StringComparison.Ordinal) || s.LastIndexOf('-') > 9))
        {
            return v;
        }
        r.Error(m.PositionOf(key), $"`{key}`: '{s}' is not a date and time with an offset", "write it as 2026-11-20T09:00:00+01:00 (or …Z for UTC)");
        return null;
    }

    private Rotation? ReadRotation(YamlNode node, string what)
    {
        var m = r.Map(node, what, "every", "handoff", "start", "members", "restrictions");
        if (m is null) return null;
        var every = m.Duration("every", TimeSpan.FromHours(1));
        if (every is null && !m.Has("every")) r.Error(m.Position, $"{what} is missing `every`", "add `every: 1w` (or 1d, 12h …)");
        DayOfWeek? day = null;
        var time = new TimeOnly(9, 0);
        if (m.Str("handoff") is { } handoff && !TryHandoff(handoff, out day, out time))
        {
            r.Error(m.PositionOf("handoff"), $"`handoff`: '{handoff}' is not a weekday and time", "write \"Mon 09:00\", or \"09:00\" for a daily handoff");
        }
        DateOnly? start = null;
        if (m.RequiredStr("start", "2026-11-02") is { } s)
        {
            if (DateOnly.TryParseExact(s, "yyyy-MM-dd", CultureInfo.InvariantCulture, DateTimeStyles.None, out var d)) start = d;
            else r.Error(m.PositionOf("start"), $"`start`: '{s}' is not a date", "write it as YYYY-MM-DD, e.g. 2026-11-02");
        }
        if (day is not null && every is { } e && (e.Ticks % TimeSpan.TicksPerDay != 0 || e.Days % 7 != 0))
        {
            r.Error(m.PositionOf("every"), $"{what} hands off on a weekday but `every` is {Durations.Format(e)}, not whole weeks",
                "use `every: 1w` (2w …) with a weekday handoff, or a handoff without a weekday (\"09:00\")");
            every = null;
        }
        else if (every is { } d && d.Ticks % TimeSpan.TicksPerMinute != 0)
        {
            r.Error(m.PositionOf("every"), $"`every` in {what} is not a whole number of minutes", "write it as 1w, 1d, 12h or 90m");
            every = null;
        }
        var members = m.StrList("members");
        foreach (var (member, at) in members) Refer("user", member, at);
        if (members.Count == 0) r.Error(m.PositionOf("members"), $"{what} has no members", "add `members: [alice, bob]`");
        var restrictions = m.Items("restrictions", n => ReadRestriction(n, what));
        if (every is null || start is null || members.Count == 0) return null;
        return new Rotation
        {
            Every = every.Value,
            HandoffDay = day,
            HandoffTime = time,
            Start = start.Value,
            Members = [.. members.Select(x => x.Value)],
            Restrictions = restrictions,
            Position = m.Position,
        };
    }

    /// <summary><c>{ days: Mon-Fri, from: "09:00", until: "17:00" }</c>: the rotation's member is on call only then.</summary>
    private Restriction? ReadRestriction(YamlNode node, string what)
    {
        var m = r.Map(node, $"a restriction of {what}", "days", "from", "until");
        if (m is null) return null;
        var days = new SortedSet<DayOfWeek>();
        foreach (var (text, at) in m.StrList("days"))
        {
            if (!TryDays(text, days)) r.Error(at, $"`days`: '{text}' is not a weekday or a range of them", "write Mon, Mon-Fri, weekdays or weekends");
        }
        if (!m.Has("days")) foreach (var d in Enum.GetValues<DayOfWeek>()) days.Add(d);
        var from = ClockTime(m, "from", "09:00");
        var until = ClockTime(m, "until", "17:00");
        if (from is null || until is null || days.Count == 0) return null;
        return new Restriction([.. days], from.Value, until.Value, m.Position);
    }

    /// <summary>A time of day, <c>HH:mm</c>; <c>24:00</c> (only as an end) is read as midnight.</summary>
    private TimeOnly? ClockTime(Map m, string key, string example)
    {
        var s = m.RequiredStr(key, example);
        if (s is null) return null;
        if (key == "until" && s.Trim() == "24:00") return TimeOnly.MinValue;
        if (TimeOnly.TryParseExact(s.Trim(), ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out var t)) return t;
        r.Error(m.PositionOf(key), $"`{key}`: '{s}' is not a time of day", $"write it as HH:mm, e.g. \"{example}\"");
        return null;
    }

    private static bool TryDays(string text, SortedSet<DayOfWeek> days)
    {
        var t = text.Trim();
        if (t.Equals("weekdays", StringComparison.OrdinalIgnoreCase)) t = "Mon-Fri";
        if (t.Equals("weekends", StringComparison.OrdinalIgnoreCase))
        {
            days.Add(DayOfWeek.Saturday);
            days.Add(DayOfWeek.Sunday);
            return true;
        }
        var dash = t.IndexOf('-', StringComparison.Ordinal);
        if (dash < 0)
        {
            if (TryDay(t) is not { } one) return false;
            days.Add(one);
            return true;
        }
        if (TryDay(t[..dash].Trim()) is not { } first || TryDay(t[(dash + 1)..].Trim()) is not { } last) return false;
        // Mon-Fri, and also Fri-Mon across the weekend.
        for (var d = first; ; d = (DayOfWeek)(((int)d + 1) % 7))
        {
            days.Add(d);
            if (d == last) return true;
        }
    }

    private static DayOfWeek? TryDay(string name)
    {
        var names = CultureInfo.InvariantCulture.DateTimeFormat;
        for (var i = 0; i < 7; i++)
        {
            if (string.Equals(name, names.AbbreviatedDayNames[i], StringComparison.OrdinalIgnoreCase)
                || string.Equals(name, names.DayNames[i], StringComparison.OrdinalIgnoreCase))
            {
                return (DayOfWeek)i;
            }
        }
        return null;
    }

    private static bool TryHandoff(string text, out DayOfWeek? day, out TimeOnly time)
    {
        day = null;
        var parts = text.Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries);
        var timeText = parts[^1];
        if (parts.Length == 2)
        {
            day = TryDay(parts[0]);
            if (day is null)
            {
                time = default;
                return false;
            }
        }
        else if (parts.Length != 1)
        {
            time = default;
            return false;
        }
        return TimeOnly.TryParseExact(timeText, ["HH:mm", "H:mm"], CultureInfo.InvariantCulture, DateTimeStyles.None, out time);
    }

    private EscalationPolicy? ReadPolicy(YamlNode node)
    {
        var m = r.Map(node, "an escalation policy", "id", "steps", "repeat");
        if (m is null) return null;
        var id = m.Id("default");
        if (id is null) return null;
        var steps = m.Items("steps", n =>
        {
            var sm = r.Map(n, $"a step of escalation policy '{id}'", "notify", "wait");
            if (sm is null) return null;
            var targets = new List<EscalationTarget>();
            foreach (var (value, pos) in sm.StrList("notify"))
            {
                if (ParseTarget(value, pos) is { } t) targets.Add(t);
            }
            if (!sm.Has("notify")) r.Error(sm.Position, "an escalation step has no `notify`", "add `notify: [schedule:primary]`");
            return new EscalationStep(targets, sm.Duration("wait") ?? TimeSpan.FromMinutes(15), sm.Position);
        });
        if (steps.Count == 0 && m.Has("steps")) r.Error(m.PositionOf("steps"), $"escalation policy '{id}' has no steps", "add at least one `- { notify: [schedule:primary], wait: 15m }`");
        else if (!m.Has("steps")) r.Error(m.Position, $"escalation policy '{id}' is missing `steps`", "add `steps: [{ notify: [schedule:primary], wait: 15m }]`");
        return new EscalationPolicy(id, steps, m.Int("repeat", 0, 100) ?? 0, m.Position);
    }

    private EscalationTarget? ParseTarget(string text, SourcePosition pos)
    {
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var kind = colon < 0 ? "" : text[..colon].Trim().ToLowerInvariant();
        var id = colon < 0 ? "" : text[(colon + 1)..].Trim();
        TargetKind? k = kind switch
        {
            "schedule" => TargetKind.Schedule,
            "user" => TargetKind.User,
            "channel" => TargetKind.Channel,
            _ => null,
        };
        if (k is null || id.Length == 0)
        {
            r.Error(pos, $"'{text}' is not an escalation target", "write schedule:ID, user:ID or channel:ID");
            return null;
        }
        Refer(kind, id, pos);
        return new EscalationTarget(k.Value, id, pos);
    }

    private Channel? ReadChannel(YamlNode node)
    {
        var m = r.Map(node, "a channel", "id", "type", "url", "smtp", "from", "to", "path", "headers", "secret", "events", "template");
        if (m is null) return null;
        var id = m.Id("ops");
        var type = m.Enum<ChannelType>("type", required: true, example: "webhook");
        if (id is null || type is null) return null;
        string? url = null, smtp = null, from = null, path = null;
        switch (type)
        {
            case ChannelType.Webhook or ChannelType.Slack:
                url = m.RequiredStr("url", "https://hooks.example.com/…", secret: true);
                if (url is not null) CheckUrl(url, m.PositionOf("url"), "http", "https");
                break;
            case ChannelType.Email:
                smtp = m.RequiredStr("smtp", "smtp://127.0.0.1:25", secret: true);
                if (smtp is not null) CheckUrl(smtp, m.PositionOf("smtp"), "smtp", "smtps");
                from = m.RequiredStr("from", "vigil@example.com");
                break;
            case ChannelType.Jsonl:
                path = m.RequiredStr("path", "logs/alerts.jsonl");
                break;
        }
        foreach (var key in new[] { "url", "smtp", "from", "path", "to", "headers", "secret" })
        {
            var used = key switch
            {
                "url" => type is ChannelType.Webhook or ChannelType.Slack,
                "smtp" or "from" or "to" => type is ChannelType.Email,
                "path" => type is ChannelType.Jsonl,
                "secret" => type is ChannelType.Webhook,
                _ => type is ChannelType.Webhook or ChannelType.Slack,
            };
            if (!used && m.Has(key))
            {
                r.Error(m.PositionOf(key), $"`{key}` does not apply to a {type.ToString()!.ToLowerInvariant()} channel", "remove it, or change `type`");
            }
        }
        return new Channel
        {
            Id = id,
            Type = type.Value,
            Url = url,
            Smtp = smtp,
            From = from,
            To = [.. m.StrList("to").Select(x => x.Value)],
            Path = path,
            Headers = m.StrMap("headers", secretValues: true),
            Secret = m.Str("secret", secret: true),
            Events = ChannelEvents(m),
            Template = ReadTemplate(m, type.Value),
            Position = m.Position,
        };
    }

    /// <summary>
    /// A channel's <c>template</c>: one Liquid template for the text, or a map of <c>text</c>, <c>body</c> (webhook,
    /// email) and <c>html</c> (email). Each is parsed, and rendered against a sample message, when the workspace loads.
    /// </summary>
    private MessageTemplate? ReadTemplate(Map m, ChannelType type)
    {
        if (m["template"] is not { } node) return null;
        string? Checked(string? source, SourcePosition at, string which)
        {
            if (source is null) return null;
            if (MessageTemplates.Problem(source) is { } problem)
            {
                r.Error(at, $"the channel's {which} template is not valid Liquid: {problem}",
                    "see docs/configuration.md#message-templates for the variables and filters a template can use");
                return null;
            }
            return source;
        }
        if (node is YamlScalarNode)
        {
            return Checked(r.Scalar(node, "`template`"), r.Position(node), "text") is { } text ? new MessageTemplate(text, null, null) : null;
        }
        var t = r.Map(node, "`template`", "text", "body", "html");
        if (t is null) return null;
        var kind = type.ToString().ToLowerInvariant();
        if (t.Has("body") && type is not (ChannelType.Webhook or ChannelType.Email))
        {
            r.Error(t.PositionOf("body"), $"`template.body` does not apply to a {kind} channel", "a webhook's body or an e-mail's text part; use `text` here");
        }
        if (t.Has("html") && type is not ChannelType.Email)
        {
            r.Error(t.PositionOf("html"), $"`template.html` does not apply to a {kind} channel", "only an email channel has an HTML part");
        }
        return new MessageTemplate(Checked(t.Str("text"), t.PositionOf("text"), "text"), Checked(t.Str("body"), t.PositionOf("body"), "body"),
            Checked(t.Str("html"), t.PositionOf("html"), "html"));
    }

    /// <summary>Which incident events a channel is told of; all of them unless it says.</summary>
    private IReadOnlyList<string> ChannelEvents(Map m)
    {
        if (!m.Has("events")) return Channel.AllEvents;
        var events = new List<string>();
        foreach (var (e, at) in m.StrList("events"))
        {
            if (Channel.AllEvents.Contains(e)) events.Add(e);
            else r.Error(at, $"`events`: '{e}' is not an incident event", $"use any of {string.Join(", ", Channel.AllEvents)}");
        }
        return events;
    }

    private Integration? ReadIntegration(YamlNode node)
    {
        var m = r.Map(node, "an integration", "id", "type", "service", "key", "severity", "severity_map", "severity_label", "rate_limit");
        if (m is null) return null;
        var id = m.Id("prom");
        var type = m.Enum<IntegrationType>("type", required: true, example: "alertmanager");
        var service = m.RequiredStr("service", "backend");
        if (service is not null) Refer("service", service, m.PositionOf("service"));
        var severity = m.Str("severity");
        if (severity is not null) Refer("severity", severity, m.PositionOf("severity"));
        var key = m.Str("key", secret: true);
        if (key is { Length: < 16 })
        {
            r.Error(m.PositionOf("key"), $"integration '{id}': the key is shorter than 16 characters", "use a long random key, or leave `key` out and Vigil generates one");
        }
        var map = m.StrMap("severity_map");
        foreach (var target in map.Values) Refer("severity", target, m.PositionOf("severity_map"));
        double? rate = null;
        if (m.Str("rate_limit") is { } text)
        {
            if (Rates.TryParse(text, out var perSecond)) rate = perSecond;
            else r.Error(m.PositionOf("rate_limit"), $"integration '{id}': `rate_limit: {text}` is not a rate", "events per second or minute, e.g. `rate_limit: 100/s` or `600/m`");
        }
        if (id is null || type is null || service is null) return null;
        return new Integration
        {
            Id = id,
            Type = type.Value,
            Service = service,
            Key = key,
            Severity = severity,
            SeverityMap = map,
            SeverityLabel = m.Str("severity_label") ?? "severity",
            RateLimit = rate,
            Position = m.Position,
        };
    }

    private RunbookSettings ReadRunbookSettings(YamlNode? node)
    {
        if (YamlReading.IsEmpty(node)) return new RunbookSettings();
        var m = r.Map(node, "`runbooks`", "execution", "step_timeout", "confirm_destructive", "output_limit", "working_directory", "environment", "database");
        if (m is null) return new RunbookSettings();
        var confirm = m.Enum<Role>("confirm_destructive") ?? Role.Admin;
        if (confirm == Role.Viewer) r.Error(m.PositionOf("confirm_destructive"), "`confirm_destructive`: viewers cannot run steps at all", "use responder or admin");
        var limit = m.Size("output_limit");
        if (limit is < 1024 or > 64L * 1024 * 1024) r.Error(m.PositionOf("output_limit"), $"`output_limit`: {limit} bytes is outside 1KB to 64MB", "write e.g. `output_limit: 1MB`");
        var workdir = m.Str("working_directory");
        if (workdir is not null && !Directory.Exists(Path.IsPathRooted(workdir) ? workdir : Path.Combine(directory, workdir)))
        {
            r.Error(m.PositionOf("working_directory"), $"`working_directory`: '{workdir}' is not a folder", "create it, or give a path relative to the workspace");
        }
        IReadOnlyList<string> environment = RunbookSettings.DefaultEnvironment;
        if (m.Has("environment"))
        {
            var names = new List<string>();
            foreach (var (name, at) in m.StrList("environment"))
            {
                if (!EnvironmentName().IsMatch(name)) r.Error(at, $"`environment`: '{name}' is not a variable name", "write names such as PATH or KUBECONFIG, without `$`");
                else if (name.StartsWith("VIGIL_", StringComparison.Ordinal)) r.Error(at, $"`environment`: {name} is Vigil's own setting and never passed to a step", "remove it");
                else names.Add(name);
            }
            environment = names;
        }
        RunbookDatabase? database = null;
        if (m.Has("database"))
        {
            var dm = r.Map(m["database"], "`runbooks.database`", "driver", "connection");
            var driver = dm?.Enum<SqlDriver>("driver", required: true, example: "postgres");
            var conn = dm?.RequiredStr("connection", "\"${DATABASE_URL}\"", secret: true);
            if (driver is not null && conn is not null) database = new RunbookDatabase(driver.Value, conn);
        }
        return new RunbookSettings
        {
            Database = database,
            Execution = m.Enum<ExecutionMode>("execution") ?? ExecutionMode.Disabled,
            StepTimeout = m.Duration("step_timeout", TimeSpan.FromSeconds(1)) ?? TimeSpan.FromSeconds(60),
            ConfirmDestructive = confirm,
            OutputLimit = limit ?? 1024 * 1024,
            WorkingDirectory = workdir,
            Environment = environment,
        };
    }

    [System.Text.RegularExpressions.GeneratedRegex("^[A-Za-z_][A-Za-z0-9_]{0,100}$")]
    private static partial System.Text.RegularExpressions.Regex EnvironmentName();

    private MaintenanceSettings ReadMaintenance(YamlNode? node)
    {
        if (YamlReading.IsEmpty(node)) return new MaintenanceSettings();
        var m = r.Map(node, "`maintenance`", "windows", "tasks");
        if (m is null) return new MaintenanceSettings();
        var windows = m.Items("windows", n =>
        {
            var wm = r.Map(n, "a maintenance window", "id", "services", "cron", "duration", "timezone");
            if (wm is null) return null;
            var cron = wm.RequiredStr("cron", "\"0 2 * * SUN\"");
            if (cron is not null) CheckCron(cron, wm.PositionOf("cron"));
            var duration = wm.Duration("duration", TimeSpan.FromMinutes(1));
            if (!wm.Has("duration")) r.Error(wm.Position, "a maintenance window is missing `duration`", "add `duration: 1h`");
            var tz = wm.Str("timezone");
            if (tz is not null) CheckTimezone(tz, wm.PositionOf("timezone"));
            var services = wm.StrList("services");
            foreach (var (svc, at) in services) Refer("service", svc, at);
            if (services.Count == 0) r.Error(wm.PositionOf("services"), "a maintenance window names no services", "add `services: [backend]`");
            if (cron is null || duration is null) return null;
            return new MaintenanceWindow { Id = wm.Str("id"), Services = [.. services.Select(s => s.Value)], Cron = cron, Duration = duration.Value, Timezone = tz, Position = wm.Position };
        });
        var tasks = m.Items("tasks", n =>
        {
            var tm = r.Map(n, "a maintenance task", "id", "name", "cron", "timezone", "runbook", "assignee", "grace");
            if (tm is null) return null;
            var id = tm.Id("weekly");
            var cron = tm.RequiredStr("cron", "\"0 9 * * MON\"");
            if (cron is not null) CheckCron(cron, tm.PositionOf("cron"));
            var tz = tm.Str("timezone");
            if (tz is not null) CheckTimezone(tz, tm.PositionOf("timezone"));
            var runbook = tm.Str("runbook");
            if (runbook is not null) CheckRunbookReference(runbook, null, tm.PositionOf("runbook"));
            if (id is null || cron is null) return null;
            var assignee = tm.Str("assignee");
            if (assignee is not null) Refer("user", assignee, tm.PositionOf("assignee"));
            return new MaintenanceTask { Id = id, Name = tm.Str("name"), Cron = cron, Timezone = tz, Runbook = runbook, Assignee = assignee, Grace = tm.Duration("grace"), Position = tm.Position };
        });
        DuplicateIds(tasks, t => t.Id, t => t.Position, "maintenance task");
        return new MaintenanceSettings { Windows = windows, Tasks = tasks };
    }

    private void CheckTimezone(string tz, SourcePosition pos)
    {
        if (DateTimeZoneProviders.Tzdb.GetZoneOrNull(tz) is not null) return;
        var guess = Vigil.Runbooks.Suggestions.Closest(tz, DateTimeZoneProviders.Tzdb.Ids);
        r.Error(pos, $"'{tz}' is not a time zone", guess is not null ? $"did you mean `{guess}`?" : "use an IANA name such as Europe/Berlin or UTC");
    }

    private void CheckCron(string cron, SourcePosition pos)
    {
        try
        {
            Crons.Parse(cron);
        }
        catch (CronFormatException e)
        {
            r.Error(pos, $"'{cron}' is not a cron expression: {e.Message}", "five fields: minute hour day-of-month month day-of-week, e.g. \"0 9 * * MON\"");
        }
    }

    private void CheckUrl(string url, SourcePosition pos, params string[] schemes)
    {
        if (Uri.TryCreate(url, UriKind.Absolute, out var u) && schemes.Contains(u.Scheme)) return;
        // The URL may be a secret: say what is wrong without echoing it.
        r.Error(pos, $"not a valid {string.Join(" or ", schemes)} URL", $"write {schemes[0]}://host:port/…");
    }
}
