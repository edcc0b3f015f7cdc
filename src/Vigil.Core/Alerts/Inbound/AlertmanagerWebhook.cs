using System.Globalization;
using System.Text.Json;

namespace Vigil.Core.Alerts.Inbound;

/// <summary>One alert of an Alertmanager webhook: tracked by its <c>fingerprint</c>, so a resend updates the same alert.</summary>
public sealed record AlertmanagerAlert
{
    /// <summary>True for <c>firing</c>, false for <c>resolved</c>.</summary>
    public required bool Firing { get; init; }
    public required string Fingerprint { get; init; }
    public required IReadOnlyDictionary<string, string> Labels { get; init; }
    public required IReadOnlyDictionary<string, string> Annotations { get; init; }
    public DateTimeOffset? StartsAt { get; init; }
    /// <summary>Null when Alertmanager sends its zero time (<c>0001-01-01T00:00:00Z</c>) for a firing alert.</summary>
    public DateTimeOffset? EndsAt { get; init; }
    public string? GeneratorUrl { get; init; }

    public string? Summary => Annotations.GetValueOrDefault("summary");
    public string? Description => Annotations.GetValueOrDefault("description");
    public string? RunbookUrl => Annotations.GetValueOrDefault("runbook_url");
}

/// <summary>An Alertmanager webhook notification (payload version 4). A group can carry firing and resolved alerts at once.</summary>
public sealed record AlertmanagerNotification
{
    public required string Version { get; init; }
    public string? GroupKey { get; init; }
    public string? Receiver { get; init; }
    public string? ExternalUrl { get; init; }
    public int TruncatedAlerts { get; init; }
    public required IReadOnlyList<AlertmanagerAlert> Alerts { get; init; }
}

/// <summary>
/// Reads Alertmanager's webhook payload (<c>version: "4"</c>) with a forward-only <see cref="Utf8JsonReader"/> and
/// validates what Vigil relies on: each alert's status and fingerprint, labels and annotations as string maps.
/// </summary>
public static class AlertmanagerWebhook
{
    public static AlertmanagerNotification? Parse(ReadOnlySpan<byte> json, out List<string> errors)
    {
        errors = [];
        string? version = null, groupKey = null, receiver = null, externalUrl = null;
        var truncated = 0;
        List<AlertmanagerAlert>? alerts = null;
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
                    case "version": version = reader.TokenType == JsonTokenType.String ? reader.GetString() : Skip(ref reader); break;
                    case "groupKey": groupKey = reader.TokenType == JsonTokenType.String ? reader.GetString() : Skip(ref reader); break;
                    case "receiver": receiver = reader.TokenType == JsonTokenType.String ? reader.GetString() : Skip(ref reader); break;
                    case "externalURL": externalUrl = reader.TokenType == JsonTokenType.String ? reader.GetString() : Skip(ref reader); break;
                    case "truncatedAlerts":
                        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt32(out var t)) truncated = t;
                        else reader.Skip();
                        break;
                    case "alerts":
                        if (reader.TokenType != JsonTokenType.StartArray)
                        {
                            errors.Add("'alerts' must be an array");
                            reader.Skip();
                            break;
                        }
                        alerts = [];
                        var index = 0;
                        while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                        {
                            if (ReadAlert(ref reader, $"alerts[{index}]", errors) is { } a) alerts.Add(a);
                            index++;
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
        if (version is null) errors.Add("'version' is missing: Vigil reads Alertmanager's webhook payload version \"4\"");
        else if (version != "4") errors.Add($"'version' is \"{version}\": Vigil reads Alertmanager's webhook payload version \"4\"");
        if (alerts is null && !errors.Contains("'alerts' must be an array")) errors.Add("'alerts' is missing");
        if (errors.Count > 0) return null;
        return new AlertmanagerNotification { Version = version!, GroupKey = groupKey, Receiver = receiver, ExternalUrl = externalUrl, TruncatedAlerts = truncated, Alerts = alerts! };
    }

    private static AlertmanagerAlert? ReadAlert(ref Utf8JsonReader reader, string path, List<string> errors)
    {
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            errors.Add($"'{path}' must be an object");
            reader.Skip();
            return null;
        }
        string? status = null, fingerprint = null, startsAt = null, endsAt = null, generator = null;
        Dictionary<string, string>? labels = null, annotations = null;
        var before = errors.Count;
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var name = reader.GetString();
            reader.Read();
            switch (name)
            {
                case "status": status = reader.TokenType == JsonTokenType.String ? reader.GetString() : Skip(ref reader); break;
                case "fingerprint": fingerprint = reader.TokenType == JsonTokenType.String ? reader.GetString() : Skip(ref reader); break;
                case "startsAt": startsAt = reader.TokenType == JsonTokenType.String ? reader.GetString() : Skip(ref reader); break;
                case "endsAt": endsAt = reader.TokenType == JsonTokenType.String ? reader.GetString() : Skip(ref reader); break;
                case "generatorURL": generator = reader.TokenType == JsonTokenType.String ? reader.GetString() : Skip(ref reader); break;
                case "labels": labels = Map(ref reader, $"{path}.labels", errors); break;
                case "annotations": annotations = Map(ref reader, $"{path}.annotations", errors); break;
                default: reader.Skip(); break;
            }
        }
        if (status is not ("firing" or "resolved")) errors.Add($"'{path}.status' must be firing or resolved");
        if (string.IsNullOrWhiteSpace(fingerprint)) errors.Add($"'{path}.fingerprint' is missing");
        var starts = Time(startsAt, $"{path}.startsAt", errors);
        var ends = Time(endsAt, $"{path}.endsAt", errors);
        if (errors.Count > before) return null;
        return new AlertmanagerAlert
        {
            Firing = status == "firing",
            Fingerprint = fingerprint!,
            Labels = labels ?? [],
            Annotations = annotations ?? [],
            StartsAt = starts,
            EndsAt = ends,
            GeneratorUrl = generator,
        };
    }

    private static Dictionary<string, string>? Map(ref Utf8JsonReader reader, string path, List<string> errors)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType != JsonTokenType.StartObject)
        {
            errors.Add($"'{path}' must be an object of strings");
            reader.Skip();
            return null;
        }
        var map = new Dictionary<string, string>(StringComparer.Ordinal);
        while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
        {
            var key = reader.GetString()!;
            reader.Read();
            if (reader.TokenType == JsonTokenType.String) map[key] = reader.GetString()!;
            else
            {
                errors.Add($"'{path}.{key}' must be a string");
                reader.Skip();
            }
        }
        return map;
    }

    // Alertmanager sends the zero time for "not set".
    private static DateTimeOffset? Time(string? text, string path, List<string> errors)
    {
        if (string.IsNullOrEmpty(text) || text.StartsWith("0001-01-01", StringComparison.Ordinal)) return null;
        if (DateTimeOffset.TryParse(text, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var t)) return t;
        errors.Add($"'{path}' is not an RFC 3339 time: '{text}'");
        return null;
    }

    private static string? Skip(ref Utf8JsonReader reader)
    {
        reader.Skip();
        return null;
    }
}
