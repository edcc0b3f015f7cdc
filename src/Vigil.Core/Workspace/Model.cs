namespace Vigil.Core.Workspace;

// The typed model of vigil.yaml. Every section of the SPEC's shape is here, even for
// engines that arrive later, so a workspace is validated whole from day one.
// Each element keeps the position it was read from, so later validation (conditions,
// schedules) can point at the exact line and column.

/// <summary>A loaded, validated workspace: vigil.yaml plus the folder it lives in.</summary>
public sealed record WorkspaceModel
{
    public required string Name { get; init; }
    public required string Directory { get; init; }
    public string Timezone { get; init; } = "UTC";
    public IReadOnlyList<Severity> Severities { get; init; } = [];
    public IReadOnlyList<User> Users { get; init; } = [];
    public IReadOnlyList<Schedule> Schedules { get; init; } = [];
    public IReadOnlyList<EscalationPolicy> EscalationPolicies { get; init; } = [];
    public IReadOnlyList<Channel> Channels { get; init; } = [];
    public IReadOnlyList<Service> Services { get; init; } = [];
    public IReadOnlyList<Integration> Integrations { get; init; } = [];
    public RunbookSettings Runbooks { get; init; } = new();

    /// <summary>The runbooks themselves: every Markdown file under <c>runbooks/</c> and every file vigil.yaml names.</summary>
    public IReadOnlyList<WorkspaceRunbook> RunbookDocuments { get; init; } = [];

    public MaintenanceSettings Maintenance { get; init; } = new();

    /// <summary>Every secret value the workspace resolved; used to redact logs and responses.</summary>
    public SecretSet Secrets { get; init; } = new();

    /// <summary>SHA-256 of the vigil.yaml text and the runbooks that produced this model, to tell reloads apart.</summary>
    public string Fingerprint { get; init; } = "";

    public Service? FindService(string id) => Services.FirstOrDefault(s => s.Id == id);

    /// <summary>The runbook at a workspace-relative path (<c>runbooks/ops.md</c>), or null.</summary>
    public WorkspaceRunbook? FindRunbookByPath(string path)
    {
        var p = path.Replace('\\', '/');
        while (p.StartsWith("./", StringComparison.Ordinal)) p = p[2..];
        return RunbookDocuments.FirstOrDefault(d => d.Path == p);
    }

    public WorkspaceRunbook? FindRunbook(string id) => RunbookDocuments.FirstOrDefault(d => d.Id == id);
}

/// <summary>A runbook of the workspace: its id in URLs, its path relative to the workspace, its text and its model.</summary>
public sealed record WorkspaceRunbook(string Id, string Path, string Text, Vigil.Runbooks.Runbook Model)
{
    /// <summary>
    /// The id of the runbook at <paramref name="relativePath"/>: the path without <c>runbooks/</c> and <c>.md</c>,
    /// folders joined by <c>--</c> (<c>runbooks/db/postgres.md</c> → <c>db--postgres</c>), so it fits in one URL segment.
    /// </summary>
    public static string IdOf(string relativePath)
    {
        var p = relativePath.Replace('\\', '/');
        if (p.StartsWith("runbooks/", StringComparison.Ordinal)) p = p["runbooks/".Length..];
        if (p.EndsWith(".md", StringComparison.OrdinalIgnoreCase)) p = p[..^3];
        return p.Replace("/", "--", StringComparison.Ordinal);
    }
}

public sealed record Severity(string Id, string Name, TimeSpan? RespondWithin, bool Page, SourcePosition Position);

public enum Role
{
    Viewer = 0,
    Responder = 1,
    Admin = 2,
}

public sealed record User
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? Email { get; init; }
    public string? Phone { get; init; }
    /// <summary>A personal webhook; a secret (it usually embeds a token).</summary>
    public string? Webhook { get; init; }
    /// <summary>A personal Slack-compatible incoming webhook; a secret.</summary>
    public string? Slack { get; init; }
    public Role Role { get; init; } = Role.Viewer;
    public string? Timezone { get; init; }
    public required SourcePosition Position { get; init; }
}

/// <summary>A rotation: members take turns, each for <see cref="Every"/>, handing off at a weekday and time.</summary>
public sealed record Rotation
{
    public required TimeSpan Every { get; init; }
    /// <summary>Day of week of the handoff, or null for a daily handoff at <see cref="HandoffTime"/>.</summary>
    public DayOfWeek? HandoffDay { get; init; }
    public required TimeOnly HandoffTime { get; init; }
    public required DateOnly Start { get; init; }
    public required IReadOnlyList<string> Members { get; init; }
    /// <summary>When the member on turn is on call; none means always.</summary>
    public IReadOnlyList<Restriction> Restrictions { get; init; } = [];
    public required SourcePosition Position { get; init; }
}

/// <summary>
/// A window of the week in the schedule's time zone: on each of <see cref="Days"/> from <see cref="From"/> to
/// <see cref="Until"/>; an <see cref="Until"/> not after <see cref="From"/> ends on the next day (<c>18:00</c>–<c>09:00</c>).
/// </summary>
public sealed record Restriction(IReadOnlyList<DayOfWeek> Days, TimeOnly From, TimeOnly Until, SourcePosition Position);

/// <summary>A layer of a schedule (primary, secondary …); the first layer with someone on call wins.</summary>
public sealed record ScheduleLayer(string Id, Rotation Rotation, SourcePosition Position);

public sealed record ScheduleOverride(string User, DateTimeOffset From, DateTimeOffset Until, SourcePosition Position);

public sealed record Schedule
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public required string Timezone { get; init; }
    public required IReadOnlyList<ScheduleLayer> Layers { get; init; }
    public IReadOnlyList<ScheduleOverride> Overrides { get; init; } = [];
    public required SourcePosition Position { get; init; }
}

public enum TargetKind
{
    Schedule,
    User,
    Channel,
}

/// <summary>Who an escalation step notifies: <c>schedule:primary</c>, <c>user:lead</c> or <c>channel:ops</c>.</summary>
public sealed record EscalationTarget(TargetKind Kind, string Id, SourcePosition Position)
{
    public override string ToString() => $"{Kind.ToString().ToLowerInvariant()}:{Id}";
}

public sealed record EscalationStep(IReadOnlyList<EscalationTarget> Notify, TimeSpan Wait, SourcePosition Position);

public sealed record EscalationPolicy(string Id, IReadOnlyList<EscalationStep> Steps, int Repeat, SourcePosition Position);

public enum ChannelType
{
    Email,
    Webhook,
    Slack,
    Jsonl,
}

public sealed record Channel
{
    public required string Id { get; init; }
    public required ChannelType Type { get; init; }
    /// <summary>Webhook / Slack URL. A secret: never logged or returned.</summary>
    public string? Url { get; init; }
    /// <summary>SMTP server URL (<c>smtp://user:pass@host:port</c>, <c>smtps://…</c>). A secret.</summary>
    public string? Smtp { get; init; }
    public string? From { get; init; }
    /// <summary>Fixed recipients for an email channel; users' own addresses are used when empty.</summary>
    public IReadOnlyList<string> To { get; init; } = [];
    /// <summary>JSONL file path, relative to the workspace.</summary>
    public string? Path { get; init; }
    /// <summary>Extra HTTP headers for webhooks. Values are secrets (they usually carry tokens).</summary>
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    /// <summary>Webhook only: the key of the <c>X-Vigil-Signature</c> HMAC-SHA256 of each body. A secret.</summary>
    public string? Secret { get; init; }
    /// <summary>The incident events the channel is told of (<see cref="AllEvents"/> by default).</summary>
    public IReadOnlyList<string> Events { get; init; } = AllEvents;

    /// <summary>Every incident event a channel can be told of.</summary>
    public static readonly IReadOnlyList<string> AllEvents = ["triggered", "acknowledged", "resolved"];

    /// <summary>The channel's own Liquid templates (see <see cref="MessageTemplate"/>); null: the built-in ones.</summary>
    public MessageTemplate? Template { get; init; }
    public required SourcePosition Position { get; init; }
}

/// <summary>
/// A channel's Liquid templates, each optional (null: the channel type's built-in one). <see cref="Text"/> is the
/// one-line text: the <c>text</c> of a webhook's or JSONL line's JSON, an e-mail's subject, a chat message.
/// <see cref="Body"/> is a webhook's whole request body or an e-mail's text part; <see cref="Html"/> an e-mail's HTML part.
/// </summary>
public sealed record MessageTemplate(string? Text, string? Body, string? Html);

public enum CheckKind
{
    Http,
    Tcp,
    Dns,
    Tls,
    Postgres,
    Redis,
    Sql,
    Command,
    Disk,
    File,
    Heartbeat,
}

/// <summary>A condition as written (Gatus syntax); parsed by the condition engine.</summary>
public sealed record ConditionText(string Text, SourcePosition Position)
{
    /// <summary>Whether the YAML scalar was quoted, so its text starts one column after <see cref="Position"/>.</summary>
    public bool Quoted { get; init; }

    /// <summary>Where the character at <paramref name="offset"/> in <see cref="Text"/> is in the file (exact for one-line scalars without escapes).</summary>
    public SourcePosition PositionAt(int offset) => Position with { Column = Position.Column + offset + (Quoted ? 1 : 0) };

    public override string ToString() => Text;
}

/// <summary>Which results count as failing for an alert.</summary>
public enum AlertOn
{
    /// <summary>Only down results (the default).</summary>
    Down,
    /// <summary>Degraded results (warn conditions failing) as well as down ones.</summary>
    Degraded,
}

public sealed record AlertRule
{
    public required string Severity { get; init; }
    /// <summary>Consecutive failing results before alerting (default 2).</summary>
    public int After { get; init; } = 2;
    /// <summary>Alternatively, alert after failing for this long.</summary>
    public TimeSpan? For { get; init; }
    /// <summary>Consecutive successes before recovering (default 1).</summary>
    public int RecoverAfter { get; init; } = 1;
    /// <summary>Runbook anchor for the incident: <c>#service-down</c> or <c>runbooks/x.md#section</c>.</summary>
    public string? Runbook { get; init; }
    /// <summary>Which results count as failing (default: down only).</summary>
    public AlertOn On { get; init; } = AlertOn.Down;
    /// <summary>Template of the grouping key, with <c>{service}</c>, <c>{check}</c>, <c>{severity}</c>; null: <c>{service}/{check}</c>.</summary>
    public string? DedupKey { get; init; }
    public required SourcePosition Position { get; init; }
}

/// <summary>
/// A check. Its kind-specific settings are kept as a typed spec; all kinds share
/// interval, timeout, conditions, warn conditions and the alert rule.
/// </summary>
public sealed record Check
{
    public required string Id { get; init; }
    public required CheckKind Kind { get; init; }
    public required CheckSpec Spec { get; init; }
    public TimeSpan Interval { get; init; } = TimeSpan.FromSeconds(60);
    public TimeSpan Timeout { get; init; } = TimeSpan.FromSeconds(10);
    public IReadOnlyList<ConditionText> Conditions { get; init; } = [];
    public IReadOnlyList<ConditionText> Warn { get; init; } = [];
    public AlertRule? Alert { get; init; }
    public required SourcePosition Position { get; init; }
}

public abstract record CheckSpec;

public sealed record HttpCheckSpec : CheckSpec
{
    public required string Url { get; init; }
    public string Method { get; init; } = "GET";
    public IReadOnlyDictionary<string, string> Headers { get; init; } = new Dictionary<string, string>();
    public string? Body { get; init; }
    public bool FollowRedirects { get; init; } = true;
    public bool VerifyTls { get; init; } = true;
    public bool FreshConnection { get; init; }
}

public sealed record TcpCheckSpec(string Host, int Port, string? Send, string? Expect) : CheckSpec;

public sealed record DnsCheckSpec : CheckSpec
{
    public required string Name { get; init; }
    public string RecordType { get; init; } = "A";
    public string? Server { get; init; }
    public IReadOnlyList<string> Expect { get; init; } = [];
}

public sealed record TlsCheckSpec(string Host, int Port, string? ServerName) : CheckSpec;

public sealed record PostgresCheckSpec(string Connection, string? Query) : CheckSpec;

public sealed record RedisCheckSpec(string Url, string? Command) : CheckSpec;

public enum SqlDriver
{
    Postgres,
    Sqlite,
}

public sealed record SqlCheckSpec(SqlDriver Driver, string Connection, string Query) : CheckSpec;

public sealed record CommandCheckSpec(string Run, bool Shell, string? WorkingDirectory) : CheckSpec;

public sealed record DiskCheckSpec(string Path) : CheckSpec;

public sealed record FileCheckSpec(string Glob, TimeSpan? MaxAge, long? MinSize) : CheckSpec;

public sealed record HeartbeatCheckSpec : CheckSpec
{
    /// <summary>Expected every <see cref="Period"/>…</summary>
    public TimeSpan? Period { get; init; }
    /// <summary>…or by a cron schedule in <see cref="Timezone"/>.</summary>
    public string? Schedule { get; init; }
    public string? Timezone { get; init; }
    public TimeSpan Grace { get; init; } = TimeSpan.FromHours(1);
    /// <summary>The ping key; a secret. Generated and stored by Vigil when absent.</summary>
    public string? Key { get; init; }
}

public sealed record Slo
{
    public required string Id { get; init; }
    public required string Check { get; init; }
    /// <summary>The objective as a fraction (99.5% → 0.995).</summary>
    public required double Objective { get; init; }
    public TimeSpan Window { get; init; } = TimeSpan.FromDays(30);
    /// <summary>For a latency SLO: a result counts as good only when faster than this.</summary>
    public TimeSpan? Latency { get; init; }
    public required SourcePosition Position { get; init; }
}

public sealed record Service
{
    public required string Id { get; init; }
    public required string Name { get; init; }
    public string? Description { get; init; }
    /// <summary>Runbook path relative to the workspace.</summary>
    public string? Runbook { get; init; }
    public string? Escalation { get; init; }
    public IReadOnlyList<string> Notify { get; init; } = [];
    public IReadOnlyList<string> Tags { get; init; } = [];
    public IReadOnlyList<Check> Checks { get; init; } = [];
    public IReadOnlyList<Slo> Slos { get; init; } = [];
    /// <summary>Whether an incident resolves by itself once every alert on it has recovered (default true).</summary>
    public bool AutoResolve { get; init; } = true;
    public required SourcePosition Position { get; init; }
}

public enum IntegrationType
{
    Alertmanager,
    Pagerduty,
}

public sealed record Integration
{
    public required string Id { get; init; }
    public required IntegrationType Type { get; init; }
    public required string Service { get; init; }
    /// <summary>The integration's secret; Vigil generates and stores one when absent.</summary>
    public string? Key { get; init; }
    /// <summary>Severity for events that carry none Vigil recognises.</summary>
    public string? Severity { get; init; }
    /// <summary>The sender's severities (PagerDuty's critical/error/warning/info, or the values of an Alertmanager label) to the workspace's.</summary>
    public IReadOnlyDictionary<string, string> SeverityMap { get; init; } = new Dictionary<string, string>();
    /// <summary>For Alertmanager: the label that carries the severity (default <c>severity</c>).</summary>
    public string SeverityLabel { get; init; } = "severity";
    /// <summary>At most this many events a second (off when null); more are refused with 429.</summary>
    public double? RateLimit { get; init; }
    public required SourcePosition Position { get; init; }
}

public enum ExecutionMode
{
    Disabled,
    Enabled,
}

public sealed record RunbookSettings
{
    /// <summary>The variables a step sees when none are named: enough for tools to run, nothing secret.</summary>
    public static readonly IReadOnlyList<string> DefaultEnvironment = ["PATH", "HOME", "LANG", "LC_ALL", "TZ", "USER", "LOGNAME"];

    public ExecutionMode Execution { get; init; } = ExecutionMode.Disabled;

    /// <summary>How long a step may run before its process tree is killed.</summary>
    public TimeSpan StepTimeout { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Role needed to run a destructive step.</summary>
    public Role ConfirmDestructive { get; init; } = Role.Admin;

    /// <summary>Output kept per run (stdout and stderr together, bytes); the rest is counted and dropped.</summary>
    public long OutputLimit { get; init; } = 1024 * 1024;

    /// <summary>Where steps run: absolute, or relative to the workspace; the workspace by default.</summary>
    public string? WorkingDirectory { get; init; }

    /// <summary>
    /// The names of Vigil's environment variables a step receives (an allowlist). A workspace secret reaches a step
    /// only when its variable is named here.
    /// </summary>
    public IReadOnlyList<string> Environment { get; init; } = DefaultEnvironment;

    /// <summary>The database SQL steps run against; without one, SQL steps are followed by hand.</summary>
    public RunbookDatabase? Database { get; init; }
}

/// <summary>Where a runbook's SQL steps run: PostgreSQL (URL or connection string) or SQLite (a file, relative to the workspace).</summary>
public sealed record RunbookDatabase(SqlDriver Driver, string Connection);

public sealed record MaintenanceWindow
{
    public string? Id { get; init; }
    public required IReadOnlyList<string> Services { get; init; }
    public required string Cron { get; init; }
    public required TimeSpan Duration { get; init; }
    public string? Timezone { get; init; }
    public required SourcePosition Position { get; init; }
}

public sealed record MaintenanceTask
{
    public required string Id { get; init; }
    public string? Name { get; init; }
    public required string Cron { get; init; }
    public string? Timezone { get; init; }
    /// <summary><c>runbooks/operations.md#weekly-tasks</c>: file and optional section.</summary>
    public string? Runbook { get; init; }
    public string? Assignee { get; init; }
    public TimeSpan? Grace { get; init; }
    public required SourcePosition Position { get; init; }
}

public sealed record MaintenanceSettings
{
    public IReadOnlyList<MaintenanceWindow> Windows { get; init; } = [];
    public IReadOnlyList<MaintenanceTask> Tasks { get; init; } = [];
}
