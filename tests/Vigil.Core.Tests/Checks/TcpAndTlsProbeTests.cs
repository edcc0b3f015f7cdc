using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;
using static Vigil.Core.Tests.Checks.ProbeTestSupport;

namespace Vigil.Core.Tests.Checks;

/// <summary>A TcpListener on 127.0.0.1 whose per-connection behaviour each test chooses.</summary>
internal sealed class LoopbackServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly CancellationTokenSource stop = new();
    private readonly Task loop;

    public LoopbackServer(Func<TcpClient, CancellationToken, Task> handle)
    {
        listener.Start();
        Port = ((IPEndPoint)listener.LocalEndpoint).Port;
        loop = Task.Run(async () =>
        {
            while (!stop.IsCancellationRequested)
            {
                TcpClient client;
                try
                {
                    client = await listener.AcceptTcpClientAsync(stop.Token);
                }
                catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
                {
                    return;
                }
                _ = Task.Run(async () =>
                {
                    using (client)
                    {
                        try
                        {
                            await handle(client, stop.Token);
                        }
                        catch (Exception e) when (e is OperationCanceledException or IOException or SocketException or ObjectDisposedException)
                        {
                        }
                    }
                });
            }
        });
    }

    public int Port { get; }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await loop;
        stop.Dispose();
    }
}

public sealed class TcpProbeTests
{
    private readonly TcpProbe probe = new();

    private static async Task ReplyToLine(TcpClient client, string reply, bool thenHold, CancellationToken ct)
    {
        var stream = client.GetStream();
        var buffer = new byte[1024];
        var line = new StringBuilder();
        while (!line.ToString().Contains('\n', StringComparison.Ordinal))
        {
            var n = await stream.ReadAsync(buffer, ct);
            if (n == 0) return;
            line.Append(Encoding.UTF8.GetString(buffer, 0, n));
        }
        await stream.WriteAsync(Encoding.UTF8.GetBytes(reply), ct);
        if (thenHold) await Task.Delay(Timeout.Infinite, ct);
    }

    [Fact]
    public async Task Connect_only_reports_connected_and_the_address()
    {
        await using var server = new LoopbackServer((_, ct) => Task.Delay(Timeout.Infinite, ct));

        var seen = await RunAsync(probe, Make(new TcpCheckSpec("127.0.0.1", server.Port, null, null)));

        Assert.Null(seen.Error);
        Assert.True(seen.Connected);
        Assert.Equal("127.0.0.1", seen.Ip);
        Assert.Empty(seen.BuiltInFailures);
    }

    [Fact]
    public async Task Send_then_expect_reads_until_the_expected_text()
    {
        await using var server = new LoopbackServer((c, ct) => ReplyToLine(c, "+PONG\r\n", thenHold: true, ct));

        var seen = await RunAsync(probe, Make(new TcpCheckSpec("localhost", server.Port, "PING\r\n", "PONG")));

        Assert.Null(seen.Error);
        Assert.Equal("+PONG\r\n", seen.Body);
        Assert.Empty(seen.BuiltInFailures);
    }

    [Fact]
    public async Task Expected_text_missing_at_the_timeout_is_a_built_in_failure_with_what_was_read()
    {
        await using var server = new LoopbackServer((c, ct) => ReplyToLine(c, "-ERR nope\r\n", thenHold: true, ct));
        var started = Stopwatch.StartNew();

        var seen = await RunAsync(probe, Make(new TcpCheckSpec("127.0.0.1", server.Port, "PING\n", "PONG"), TimeSpan.FromMilliseconds(400)));

        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.True(seen.Connected);
        Assert.Equal("-ERR nope\r\n", seen.Body);
        Assert.Equal(["expected 'PONG' not received before the timeout"], seen.BuiltInFailures);
    }

    [Fact]
    public async Task Expected_text_missing_when_the_server_closes_is_a_built_in_failure()
    {
        await using var server = new LoopbackServer((c, ct) => ReplyToLine(c, "bye\n", thenHold: false, ct));

        var seen = await RunAsync(probe, Make(new TcpCheckSpec("127.0.0.1", server.Port, "hello\n", "welcome")));

        Assert.Equal("bye\n", seen.Body);
        Assert.Equal(["expected 'welcome' not received before the server closed the connection"], seen.BuiltInFailures);
    }

    [Fact]
    public async Task A_refused_connection_is_an_error()
    {
        int port;
        using (var listener = new TcpListener(IPAddress.Loopback, 0))
        {
            listener.Start();
            port = ((IPEndPoint)listener.LocalEndpoint).Port;
        }

        var seen = await RunAsync(probe, Make(new TcpCheckSpec("127.0.0.1", port, null, null)));

        Assert.False(seen.Connected);
        Assert.Contains("refused", seen.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task A_server_whose_accept_queue_is_full_is_abandoned_at_the_timeout()
    {
        // A listener that never accepts, its backlog filled: Linux drops further SYNs, so a connect hangs
        // (a routed-nowhere address is no use here: sandboxes answer for any address).
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(0);
        var port = ((IPEndPoint)listener.LocalEndPoint!).Port;
        var fillers = new List<Socket>();
        try
        {
            for (var i = 0; i < 4; i++)
            {
                var filler = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
                fillers.Add(filler);
                using var quick = CancellationTokenSource.CreateLinkedTokenSource(Ct);
                quick.CancelAfter(200);
                try
                {
                    await filler.ConnectAsync(IPAddress.Loopback, port, quick.Token);
                }
                catch (OperationCanceledException)
                {
                    break; // the queue is full
                }
            }
            var started = Stopwatch.StartNew();

            var seen = await RunAsync(probe, Make(new TcpCheckSpec("127.0.0.1", port, null, null), TimeSpan.FromMilliseconds(500)));

            Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
            Assert.False(seen.Connected);
            Assert.Equal("timed out after 500ms", seen.Error);
        }
        finally
        {
            foreach (var filler in fillers) filler.Dispose();
        }
    }
}

public sealed class TlsProbeTests(HttpTestServer server) : IClassFixture<HttpTestServer>
{
    private readonly TlsProbe probe = new();

    private int HttpsPort => new Uri(server.Https).Port;

    [Fact]
    public async Task Certificate_expiry_is_reported_and_an_untrusted_chain_is_a_built_in_failure()
    {
        var time = new FakeTimeProvider(HttpTestServer.NotAfter.AddDays(-10));

        var seen = await RunAsync(probe, Make(new TlsCheckSpec("127.0.0.1", HttpsPort, "localhost")), Context(time: time));

        Assert.Null(seen.Error);
        Assert.True(seen.Connected);
        Assert.Equal("127.0.0.1", seen.Ip);
        Assert.Equal(TimeSpan.FromDays(10), seen.CertificateExpiration);
        var failure = Assert.Single(seen.BuiltInFailures);
        Assert.StartsWith("certificate chain invalid: ", failure, StringComparison.Ordinal);
        Assert.Contains(seen.Facts, f => f.Contains("CN=localhost", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_server_name_the_certificate_does_not_cover_is_reported()
    {
        var seen = await RunAsync(probe, Make(new TlsCheckSpec("127.0.0.1", HttpsPort, "other.example")));

        Assert.NotNull(seen.CertificateExpiration);
        Assert.Contains("name does not match", Assert.Single(seen.BuiltInFailures), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_never_answers_the_handshake_is_abandoned_at_the_timeout()
    {
        await using var silent = new LoopbackServer((_, ct) => Task.Delay(Timeout.Infinite, ct));
        var started = Stopwatch.StartNew();

        var seen = await RunAsync(probe, Make(new TlsCheckSpec("127.0.0.1", silent.Port, null), TimeSpan.FromMilliseconds(400)));

        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Equal("timed out after 400ms", seen.Error);
        Assert.Null(seen.CertificateExpiration);
    }

    [Fact]
    public async Task A_server_that_is_not_tls_is_an_error()
    {
        await using var plain = new LoopbackServer(async (c, ct) =>
        {
            await c.GetStream().WriteAsync("HTTP/1.1 400 Bad Request\r\n\r\n"u8.ToArray(), ct);
        });

        var seen = await RunAsync(probe, Make(new TlsCheckSpec("127.0.0.1", plain.Port, null)));

        Assert.StartsWith("TLS handshake failed", seen.Error, StringComparison.Ordinal);
    }
}
