using System.Text;
using System.Text.Json;

namespace Vigil.Core.Alerts.Inbound;

/// <summary>What a PagerDuty Events API v2 event asks for.</summary>
public enum PagerDutyAction
{
    Trigger,
    Acknowledge,
    Resolve,
}

/// <summary>
/// One PagerDuty Events API v2 event (<c>POST /v2/enqueue</c>), as PagerDuty documents it: <c>routing_key</c>,
/// <c>event_action</c>, <c>dedup_key</c>, <c>payload</c> (<c>summary</c>, <c>source</c>, <c>severity</c>,
/// <c>timestamp</c>, <c>component</c>, <c>group</c>, <c>class</c>, <c>custom_details</c>), <c>links</c>, <c>images</c>,
/// <c>client</c>, <c>client_url</c>. Objects and arrays Vigil only stores (custom details, links, images) are kept as
/// their JSON text.
/// </summary>
public sealed record PagerDutyEvent
{
    public required string RoutingKey { get; init; }
    public required PagerDutyAction Action { get; init; }
    public string? DedupKey { get; init; }
    public string? Summary { get; init; }
    public string? Source { get; init; }
    /// <summary><c>critical</c>, <c>error</c>, <c>warning</c> or <c>info</c>.</summary>
    public string? Severity { get; init; }
    public DateTimeOffset? Timestamp { get; init; }
    public string? Component { get; init; }
    public string? Group { get; init; }
    public string? Class { get; init; }
    public string? CustomDetails { get; init; }
    public string? Links { get; init; }
    public string? Images { get; init; }
    public string? Client { get; init; }
    public string? ClientUrl { get; init; }
}

/// <summary>
/// Reads PagerDuty events with a forward-only <see cref="Utf8JsonReader"/> (no document is built: this is the ingest
/// hot path) and validates them as PagerDuty does, collecting every problem with the field's path, in PagerDuty's
/// wording where it has one.
/// </summary>
public static class PagerDutyEvents
{
    public const int MaxSummary = 1024;
    public const int MaxDedupKey = 255;
    private static readonly string[] Severities = ["critical", "error", "warning", "info"];

    /// <summary>Parses one event; on failure <paramref name="errors"/> says what is wrong and the event is null.</summary>
    public static PagerDutyEvent? Parse(ReadOnlySpan<byte> json, out List<string> errors)
    {
        errors = [];
        string? routingKey = null, action = null, dedup = null, summary = null, source = null, severity = null, timestamp = null;
        string? component = null, group = null, @class = null, details = null, links = null, images = null, client = null, clientUrl = null;
        var payloadSeen = false;
        try
        {
            var reader = InboundJson.Reader(json);
            if (!InboundJson.StartObject(ref reader, errors)) return null;
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                var name = reader.GetString();
                reader.Read();
                switch (name)
                {
                    case "routing_key": routingKey = Text(ref reader, "routing_key", errors); break;
                    case "event_action": action = Text(ref reader, "event_action", errors); break;
                    case "dedup_key": dedup = Text(ref reader, "dedup_key", errors); break;
                    case "client": client = Text(ref reader, "client", errors); break;
                    case "client_url": clientUrl = Text(ref reader, "client_url", errors); break;
                    case "links": links = Raw(ref reader, json, JsonTokenType.StartArray, "links", errors); break;
                    case "images": images = Raw(ref reader, json, JsonTokenType.StartArray, "images", errors); break;
                    case "payload":
                        if (reader.TokenType == JsonTokenType.Null) break;
                        if (reader.TokenType != JsonTokenType.StartObject)
                        {
                            errors.Add("'payload' must be an object");
                            reader.Skip();
                            break;
                        }
                        payloadSeen = true;
                        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
                        {
                            var field = reader.GetString();
                            reader.Read();
                            switch (field)
                            {
                                case "summary": summary = Text(ref reader, "payload.summary", errors); break;
                                case "source": source = Text(ref reader, "payload.source", errors); break;
                                case "severity": severity = Text(ref reader, "payload.severity", errors); break;
                                case "timestamp": timestamp = Text(ref reader, "payload.timestamp", errors); break;
                                case "component": component = Text(ref reader, "payload.component", errors); break;
                                case "group": group = Text(ref reader, "payload.group", errors); break;
                                case "class": @class = Text(ref reader, "payload.class", errors); break;
                                case "custom_details": details = Raw(ref reader, json, null, "payload.custom_details", errors); break;
                                default: reader.Skip(); break;
                            }
                        }
                        break;
                    default:
                        reader.Skip();
                        break;
                }
            }
        }
        catch (JsonException e)
        {
            InboundJson.Broken(e, errors);
            return null;
        }

        if (string.IsNullOrWhiteSpace(routingKey)) errors.Add("'routing_key' is missing or blank");
        PagerDutyAction? act = action switch
        {
            "trigger" => PagerDutyAction.Trigger,
            "acknowledge" => PagerDutyAction.Acknowledge,
            "resolve" => PagerDutyAction.Resolve,
            _ => null,
        };
        if (act is null) errors.Add(action is null ? "'event_action' is missing" : $"'event_action' must be trigger, acknowledge or resolve, not '{action}'");
        if (dedup is { Length: > MaxDedupKey }) errors.Add($"'dedup_key' is longer than {MaxDedupKey} characters");
        if (act is PagerDutyAction.Acknowledge or PagerDutyAction.Resolve && string.IsNullOrWhiteSpace(dedup)) errors.Add($"'dedup_key' is required to {action} an alert");
        DateTimeOffset? at = null;
        if (act == PagerDutyAction.Trigger)
        {
            if (!payloadSeen) errors.Add("'payload' is missing");
            else
            {
                if (string.IsNullOrWhiteSpace(summary)) errors.Add("'payload.summary' is missing or blank");
                else if (summary.Length > MaxSummary) errors.Add($"'payload.summary' is longer than {MaxSummary} characters");
                if (string.IsNullOrWhiteSpace(source)) errors.Add("'payload.source' is missing or blank");
                if (severity is null) errors.Add("'payload.severity' is missing");
                else if (!Severities.Contains(severity)) errors.Add($"'payload.severity' must be critical, error, warning or info, not '{severity}'");
            }
        }
        if (timestamp is not null)
        {
            if (DateTimeOffset.TryParse(timestamp, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t)) at = t;
            else errors.Add($"'payload.timestamp' is not an ISO 8601 time: '{timestamp}'");
        }
        if (errors.Count > 0) return null;
        return new PagerDutyEvent
        {
            RoutingKey = routingKey!,
            Action = act!.Value,
            DedupKey = string.IsNullOrWhiteSpace(dedup) ? null : dedup,
            Summary = summary,
            Source = source,
            Severity = severity,
            Timestamp = at,
            Component = component,
            Group = group,
            Class = @class,
            CustomDetails = details,
            Links = links,
            Images = images,
            Client = client,
            ClientUrl = clientUrl,
        };
    }

    private static string? Text(ref Utf8JsonReader reader, string path, List<string> errors)
    {
        switch (reader.TokenType)
        {
            case JsonTokenType.String:
                return reader.GetString();
            case JsonTokenType.Null:
                return null;
            case JsonTokenType.Number or JsonTokenType.True or JsonTokenType.False:
                // PagerDuty accepts scalars here and keeps their text.
                return Encoding.UTF8.GetString(reader.ValueSpan);
            default:
                errors.Add($"'{path}' must be a string");
                reader.Skip();
                return null;
        }
    }

    /// <summary>The JSON text of the value under the reader (an object or array, or with <paramref name="expected"/> null any value).</summary>
    private static string? Raw(ref Utf8JsonReader reader, ReadOnlySpan<byte> json, JsonTokenType? expected, string path, List<string> errors)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (expected is { } e && reader.TokenType != e)
        {
            errors.Add($"'{path}' must be an array");
            reader.Skip();
            return null;
        }
        var start = (int)reader.TokenStartIndex;
        reader.Skip();
        return Encoding.UTF8.GetString(json[start..(int)reader.BytesConsumed]);
    }
}
