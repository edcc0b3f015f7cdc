using System.Buffers;
using System.Text;
using System.Text.Json;

namespace Vigil.Web.Hosting;

/// <summary>
/// Small JSON documents written to a string with a <see cref="Utf8JsonWriter"/> and buffer kept per thread: the ingest
/// hot path writes two for every event (an alert's labels and details), where a new writer and stream each time cost
/// more than the writing.
/// </summary>
internal static class JsonText
{
    // A buffer that grew past this for one large document is dropped rather than kept for the thread's life.
    private const int KeepBytes = 64 * 1024;

    [ThreadStatic] private static ArrayBufferWriter<byte>? buffer;
    [ThreadStatic] private static Utf8JsonWriter? writer;

    /// <summary>The JSON text that <paramref name="write"/> writes. <paramref name="write"/> must not call this again.</summary>
    public static string Write<T>(T state, Action<Utf8JsonWriter, T> write)
    {
        var b = buffer ??= new ArrayBufferWriter<byte>(512);
        var w = writer ??= new Utf8JsonWriter(b);
        b.ResetWrittenCount();
        w.Reset(b);
        try
        {
            write(w, state);
            w.Flush();
            return Encoding.UTF8.GetString(b.WrittenSpan);
        }
        finally
        {
            if (b.Capacity > KeepBytes)
            {
                buffer = null;
                writer = null;
            }
        }
    }

    /// <summary>A string-to-string map as a JSON object, in its enumeration order (as the serializer writes it).</summary>
    public static string Object(IReadOnlyDictionary<string, string> map) => Write(map, static (json, m) =>
    {
        json.WriteStartObject();
        foreach (var (key, value) in m) json.WriteString(key, value);
        json.WriteEndObject();
    });
}
