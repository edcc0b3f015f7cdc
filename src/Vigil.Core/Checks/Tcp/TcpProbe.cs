using System.Net.Sockets;
using System.Text;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// <c>tcp</c>: connects to host:port; with <c>send</c>, writes it and reads the reply; with <c>expect</c>, reads until
/// the text appears (a built-in failure when it does not before the timeout or the server closes). At most 64 KiB read.
/// </summary>
public sealed class TcpProbe : ICheckProbe
{
    public const int MaxReadBytes = 64 * 1024;

    public CheckKind Kind => CheckKind.Tcp;

    /// <summary>Only asynchronous socket calls (the name resolved asynchronously too): nothing here blocks.</summary>
    public bool StartsWithoutBlocking => true;

    public async Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        if (!ProbeSupport.TryGetSpec<TcpCheckSpec>(check, out var spec, out var invalid)) return invalid!;
        var observation = new Observation();
        var start = ProbeSupport.Start();
        using var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(spec.Host, spec.Port, ct);
            observation.Connected = true;
            observation.Ip = ProbeSupport.RemoteAddress(socket) ?? spec.Host;
            observation.Facts.Add($"connected to {spec.Host}:{spec.Port} ({observation.Ip})");
            if (spec.Send is not null || spec.Expect is not null)
            {
                await ExchangeAsync(socket, spec, observation, ct);
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            observation.Error = observation.Connected ? "no reply: " + ProbeSupport.TimedOut(check) : ProbeSupport.TimedOut(check);
        }
        catch (SocketException e)
        {
            observation.Error = $"{spec.Host}:{spec.Port}: {e.Message}";
        }
        catch (Exception e) when (e is IOException or ArgumentException)
        {
            observation.Error = ProbeSupport.Describe(e);
        }
        observation.ResponseTime = ProbeSupport.Since(start);
        return observation;
    }

    private static async Task ExchangeAsync(Socket socket, TcpCheckSpec spec, Observation observation, CancellationToken ct)
    {
        if (spec.Send is not null)
        {
            var payload = Encoding.UTF8.GetBytes(spec.Send);
            await socket.SendAsync(payload, SocketFlags.None, ct);
        }

        var buffer = new byte[spec.Expect is null ? 4096 : 8192];
        var received = new MemoryStream();
        var seen = false;
        var closed = false;
        try
        {
            while (received.Length < MaxReadBytes)
            {
                var n = await socket.ReceiveAsync(buffer.AsMemory(0, (int)Math.Min(buffer.Length, MaxReadBytes - received.Length)), SocketFlags.None, ct);
                if (n == 0)
                {
                    closed = true;
                    break;
                }
                received.Write(buffer, 0, n);
                // Without expect, the first chunk of the reply is the reply.
                if (spec.Expect is null) break;
                if (Encoding.UTF8.GetString(received.GetBuffer(), 0, (int)received.Length).Contains(spec.Expect, StringComparison.Ordinal))
                {
                    seen = true;
                    break;
                }
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested && spec.Expect is not null)
        {
            // Reported below as the expectation not met, with what did arrive.
        }
        observation.Body = Encoding.UTF8.GetString(received.GetBuffer(), 0, (int)received.Length);
        observation.Facts.Add($"received {ProbeSupport.FormatBytes(received.Length)}{(closed ? ", then the server closed the connection" : "")}");
        if (spec.Expect is not null && !seen)
        {
            var why = closed ? "before the server closed the connection"
                : received.Length >= MaxReadBytes ? $"in the first {ProbeSupport.FormatBytes(MaxReadBytes)}"
                : "before the timeout";
            observation.BuiltInFailures.Add($"expected '{spec.Expect}' not received {why}");
        }
    }
}
