using System.Collections.Concurrent;
using System.Globalization;
using System.Text.Json;
using System.Text.RegularExpressions;
using DotLiquid;
using DotLiquid.Exceptions;

namespace Vigil.Core.Notifications;

/// <summary>
/// Liquid templates for notification messages. A template sees the message exactly as a webhook receives it — its JSON
/// object, <c>snake_case</c>: <c>event</c>, <c>at</c>, <c>key</c>, <c>text</c>, <c>incident.*</c>, <c>links.*</c>,
/// <c>handoff.*</c> — with timestamps as times, so <c>date</c> formats them (strftime, as in every Liquid). A render is
/// bounded: 1 s, 10,000 loop iterations, and 64 KB of output.
/// </summary>
public static class MessageTemplates
{
    public const int MaxOutput = 64 * 1024;

    /// <summary>A message as the built-in defaults and a workspace's templates are checked against when it loads.</summary>
    public const string SampleMessage = """
        {"event":"triggered","at":"2026-11-24T09:00:00+00:00","key":"incident:42:triggered:0:channel:ops",
         "text":"[P1] Triggered: Backend is down (backend) — incident 42",
         "incident":{"id":42,"title":"Backend is down","severity":"P1","status":"triggered","service":"backend",
           "summary":"[STATUS] (503) == 200","dedup_key":"backend/health","opened_at":"2026-11-24T09:00:00+00:00",
           "url":"/api/v1/incidents/42","runbook_path":"runbooks/operations.md","runbook_section":"service-down"},
         "links":{"incident":"https://vigil.example.com/api/v1/incidents/42","acknowledge":"https://vigil.example.com/a/x",
           "resolve":"https://vigil.example.com/a/y"},
         "handoff":{"schedule":"primary","user":"alice","from":"2026-11-24T09:00:00+00:00","until":"2026-12-01T09:00:00+00:00",
           "previous":"bob","open_incidents":[{"id":41,"title":"Disk filling","severity":"P3","status":"acknowledged",
           "service":"db","opened_at":"2026-11-23T22:10:00+00:00"}],
           "maintenance":[{"id":"db-upgrade","services":["db"],"from":"2026-11-25T22:00:00+00:00","until":"2026-11-25T23:00:00+00:00"}]}}
        """;

    private static readonly ConcurrentDictionary<string, Template> Parsed = new(StringComparer.Ordinal);
    private static readonly Regex IsoTime = new(@"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}", RegexOptions.CultureInvariant);
    private static readonly Lazy<Hash> Sample = new(() => Model(SampleMessage));

    static MessageTemplates()
    {
        Liquid.UseRubyDateFormat = true;
        Template.DefaultSyntaxCompatibilityLevel = SyntaxCompatibility.DotLiquid22a;
        Template.DefaultIsThreadSafe = true;
        Template.RegisterFilter(typeof(VigilFilters));
    }

    /// <summary>What is wrong with a template (its syntax, or an error when rendered against
    /// <see cref="SampleMessage"/>: an unknown filter, a bad argument), or null when it renders.</summary>
    public static string? Problem(string source)
    {
        try
        {
            Render(Parse(source), Sample.Value);
            return null;
        }
        catch (Exception e) when (IsTemplateError(e))
        {
            return e.Message;
        }
    }

    /// <summary>Renders a template over a message's JSON. Throws <see cref="TemplateException"/> when it cannot.</summary>
    public static string Render(string source, string messageJson) => Render(source, Model(messageJson));

    /// <summary>Renders a template over a message model (see <see cref="Model"/>).</summary>
    public static string Render(string source, Hash model)
    {
        try
        {
            return Render(Parse(source), model);
        }
        catch (Exception e) when (IsTemplateError(e))
        {
            throw new TemplateException(e.Message, e);
        }
    }

    /// <summary>A message's JSON as the variables a template sees.</summary>
    public static Hash Model(string messageJson)
    {
        using var doc = JsonDocument.Parse(messageJson);
        return (Hash)Value(doc.RootElement)!;
    }

    private static Template Parse(string source)
    {
        if (Parsed.TryGetValue(source, out var parsed)) return parsed;
        parsed = Template.Parse(source);
        // Templates come from the workspace, so the cache only grows when it is edited; a bound keeps a long-lived
        // server with many reloads from holding every version.
        if (Parsed.Count > 512) Parsed.Clear();
        Parsed[source] = parsed;
        return parsed;
    }

    private static string Render(Template template, Hash model)
    {
        var text = template.Render(new RenderParameters(CultureInfo.InvariantCulture)
        {
            LocalVariables = model,
            ErrorsOutputMode = ErrorsOutputMode.Rethrow,
            Timeout = 1000,
            MaxIterations = 10_000,
        });
        return text.Length <= MaxOutput ? text : text[..MaxOutput];
    }

    private static bool IsTemplateError(Exception e) =>
        e is LiquidException or MaximumIterationsExceededException or System.ArgumentException or DotLiquid.Exceptions.ArgumentException or FormatException or InvalidCastException or InvalidOperationException
            or OverflowException or TimeoutException or RegexMatchTimeoutException or NullReferenceException;

    private static object? Value(JsonElement e) => e.ValueKind switch
    {
        JsonValueKind.Object => Hash.FromDictionary(e.EnumerateObject().ToDictionary(p => p.Name, p => Value(p.Value), StringComparer.Ordinal)),
        JsonValueKind.Array => e.EnumerateArray().Select(Value).ToList(),
        JsonValueKind.String when e.GetString() is { } s && IsoTime.IsMatch(s)
                                  && DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.None, out var t) => t,
        JsonValueKind.String => e.GetString(),
        JsonValueKind.Number => e.TryGetInt64(out var l) ? l : e.GetDouble(),
        JsonValueKind.True => true,
        JsonValueKind.False => false,
        _ => null,
    };
}

/// <summary>A template that could not be rendered.</summary>
public sealed class TemplateException(string message, Exception inner) : Exception(message, inner);

/// <summary>Filters Vigil adds to Liquid's standard ones.</summary>
public static class VigilFilters
{
    /// <summary><c>{{ incident.title | json }}</c>: the value as a JSON literal (a quoted, escaped string), for webhook bodies.</summary>
    public static string Json(object? input) => input switch
    {
        null => "null",
        DateTimeOffset t => JsonSerializer.Serialize(t),
        bool b => b ? "true" : "false",
        long or int or double or decimal => Convert.ToString(input, CultureInfo.InvariantCulture)!,
        _ => JsonSerializer.Serialize(Convert.ToString(input, CultureInfo.InvariantCulture)),
    };
}
