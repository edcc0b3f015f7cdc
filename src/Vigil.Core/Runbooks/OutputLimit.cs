using System.Text;

namespace Vigil.Core.Runbooks;

/// <summary>Hands output on in whole pieces until the limit, then drops the rest and says so once.</summary>
internal sealed class OutputLimit(Action<string> output, long limit)
{
    private readonly Lock gate = new();
    private long written;
    private bool noticed;

    public bool Truncated { get; private set; }

    public void Write(string piece)
    {
        lock (gate)
        {
            if (Truncated) return;
            var bytes = Encoding.UTF8.GetByteCount(piece);
            if (written + bytes <= limit)
            {
                written += bytes;
                output(piece);
                return;
            }
            // Whole pieces only: a cut line could end half-way through a secret the redaction would then miss.
            Truncated = true;
        }
    }

    public void Flush()
    {
        lock (gate)
        {
            if (!Truncated || noticed) return;
            noticed = true;
            output($"\n[output truncated: more than {limit} bytes; the rest was read and dropped]\n");
        }
    }
}
