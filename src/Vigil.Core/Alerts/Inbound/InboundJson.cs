using System.Text.Json;

namespace Vigil.Core.Alerts.Inbound;

/// <summary>What the inbound readers share: how a body starts, and how broken JSON is reported.</summary>
internal static class InboundJson
{
    /// <summary>A reader over a whole body, bounded in depth.</summary>
    public static Utf8JsonReader Reader(ReadOnlySpan<byte> json) => new(json, new JsonReaderOptions { MaxDepth = 64 });

    /// <summary>Moves to the body's opening brace; false (with the error) when the body is not an object.</summary>
    public static bool StartObject(ref Utf8JsonReader reader, List<string> errors)
    {
        if (reader.Read() && reader.TokenType == JsonTokenType.StartObject) return true;
        errors.Add("the body must be a JSON object");
        return false;
    }

    /// <summary>Broken JSON is one error that replaces any others.</summary>
    public static void Broken(JsonException e, List<string> errors)
    {
        errors.Clear();
        errors.Add($"the body is not valid JSON: {e.Message}");
    }
}
