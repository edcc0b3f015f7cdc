using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;
using static Vigil.Core.Tests.Checks.ProbeTestSupport;

namespace Vigil.Core.Tests.Checks;

/// <summary>
/// A server on loopback that answers each request with bytes a test scripts, so the plain HTTP/1.1 client meets what
/// real servers send: chunks, bodies to the close, interim responses, connections closed while idle, broken answers.
/// </summary>
internal sealed class ScriptedServer : IAsyncDisposable
{
    private readonly TcpListener listener = new(IPAddress.Loopback, 0);
    private readonly Func<string, (string Response, bool Close)> answer;
    private readonly CancellationTokenSource stop = new();
    private readonly Task accepting;
    private int connections;

    public ConcurrentQueue<string> Requests { get; } = new();

    public int Connections => Volatile.Read(ref connections);

    public string Url => $"http://127.0.0.1:{((IPEndPoint)listener.LocalEndpoint).Port}";

    /// <param name="answer">From a request's text (head and body) to the bytes sent back, and whether the server then
    /// closes the connection.</param>
    public ScriptedServer(Func<string, (string Response, bool Close)> answer)
    {
        this.answer = answer;
        listener.Start();
        accepting = Task.Run(AcceptAsync);
    }

    private async Task AcceptAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            Socket socket;
            try
            {
                socket = await listener.AcceptSocketAsync(stop.Token);
            }
            catch (Exception) when (stop.IsCancellationRequested)
            {
                return;
            }
            Interlocked.Increment(ref connections);
            _ = Task.Run(() => ServeAsync(socket));
        }
    }

    private async Task ServeAsync(Socket socket)
    {
        using var _ = socket;
        var pending = "";
        var buffer = new byte[64 * 1024];
        try
        {
            while (true)
            {
                int headEnd;
                while ((headEnd = pending.IndexOf("\r\n\r\n", StringComparison.Ordinal)) < 0)
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    if (n == 0) return;
                    pending += Encoding.Latin1.GetString(buffer, 0, n);
                }
                var head = pending[..headEnd];
                var length = head.Split("\r\n").Select(l => l.Split(':', 2)).Where(p => p.Length == 2 && p[0].Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                    .Select(p => int.Parse(p[1].Trim(), System.Globalization.CultureInfo.InvariantCulture)).FirstOrDefault();
                while (pending.Length < headEnd + 4 + length)
                {
                    var n = await socket.ReceiveAsync(buffer, SocketFlags.None, stop.Token);
                    if (n == 0) return;
                    pending += Encoding.Latin1.GetString(buffer, 0, n);
                }
                var request = pending[..(headEnd + 4 + length)];
                pending = pending[request.Length..];
                Requests.Enqueue(request);
                var (response, close) = answer(request);
                await socket.SendAsync(Encoding.Latin1.GetBytes(response), SocketFlags.None, stop.Token);
                if (close)
                {
                    socket.Shutdown(SocketShutdown.Both);
                    return;
                }
            }
        }
        catch (Exception) when (stop.IsCancellationRequested)
        {
        }
        catch (SocketException)
        {
        }
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        listener.Stop();
        await accepting;
        stop.Dispose();
    }
}

public sealed class PlainHttpTests : IDisposable
{
    private readonly HttpProbe probe = new();

    public void Dispose() => probe.Dispose();

    private static Check Http(string url, Func<HttpCheckSpec, HttpCheckSpec>? configure = null) =>
        Make(configure is null ? new HttpCheckSpec { Url = url } : configure(new HttpCheckSpec { Url = url }), TimeSpan.FromSeconds(5));

    private static (string, bool) Ok(string body, string extra = "") => ($"HTTP/1.1 200 OK\r\nContent-Length: {Encoding.UTF8.GetByteCount(body)}\r\n{extra}\r\n{body}", false);

    [Fact]
    public async Task The_request_carries_the_method_host_headers_and_body_and_nothing_else()
    {
        await using var server = new ScriptedServer(_ => Ok("fine"));
        var check = Http(server.Url + "/jobs/run?x=1&y=%C3%A9", s => s with
        {
            Method = "POST",
            Body = "{\"a\":\"é\"}",
            Headers = new Dictionary<string, string> { ["X-Token"] = "t0k", ["Content-Type"] = "application/json" },
        });

        var seen = await RunAsync(probe, check);

        Assert.Equal((200, "fine", null), (seen.Status, seen.Body, seen.Error));
        var port = new Uri(server.Url).Port;
        Assert.Equal($"POST /jobs/run?x=1&y=%C3%A9 HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nX-Token: t0k\r\nContent-Type: application/json\r\nContent-Length: 10\r\n\r\n{{\"a\":\"\u00c3\u00a9\"}}",
            Assert.Single(server.Requests));
    }

    [Fact]
    public async Task A_chunked_body_with_extensions_and_trailers_is_read_and_the_connection_kept()
    {
        await using var server = new ScriptedServer(_ => ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nX-A: 1\r\nX-A: 2\r\n\r\n"
            + "7;name=value\r\n{\"statu\r\n" + "A\r\ns\":\"ok\"}  \r\n" + "0\r\nX-Trailer: t\r\n\r\n", false));
        var check = Http(server.Url + "/health", s => s with { });

        for (var i = 0; i < 3; i++)
        {
            var seen = await RunAsync(probe, check);
            Assert.Equal((200, "{\"status\":\"ok\"}  ", null), (seen.Status, seen.Body, seen.Error));
            Assert.Equal("1, 2", seen.Headers["x-a"]);
            Assert.Equal("127.0.0.1", seen.Ip);
        }
        Assert.Equal(1, server.Connections);
    }

    [Fact]
    public async Task A_body_without_a_length_is_read_to_the_close_and_the_next_probe_connects_again()
    {
        await using var server = new ScriptedServer(_ => ("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n\r\nuntil the end", true));
        var check = Http(server.Url + "/");

        Assert.Equal("until the end", (await RunAsync(probe, check)).Body);
        Assert.Equal("until the end", (await RunAsync(probe, check)).Body);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_connection_the_server_closed_while_idle_is_replaced_without_an_error()
    {
        // Every response is framed and says nothing of closing, then the server closes: the next probe finds the pooled
        // connection dead, and sends again on a new one.
        await using var server = new ScriptedServer(_ => (Ok("ok").Item1, true));
        var check = Http(server.Url + "/");

        for (var i = 0; i < 3; i++)
        {
            var seen = await RunAsync(probe, check);
            Assert.Equal((200, "ok", null), (seen.Status, seen.Body, seen.Error));
            await Task.Delay(50, Ct); // the server's close arrives while the connection is idle
        }
        Assert.Equal(3, server.Connections);
        Assert.Equal(3, server.Requests.Count);
    }

    [Fact]
    public async Task An_interim_response_is_skipped_and_head_reads_no_body()
    {
        await using var server = new ScriptedServer(r => r.StartsWith("HEAD", StringComparison.Ordinal)
            ? ("HTTP/1.1 200 OK\r\nContent-Length: 5000\r\n\r\n", false)
            : ("HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 201 Created\r\nContent-Length: 4\r\n\r\ndone", false));

        var posted = await RunAsync(probe, Http(server.Url + "/", s => s with { Method = "POST" }));
        Assert.Equal((201, "done"), (posted.Status, posted.Body));
        Assert.Contains("Content-Length: 0\r\n", server.Requests.Single(), StringComparison.Ordinal);

        var head = await RunAsync(probe, Http(server.Url + "/", s => s with { Method = "HEAD" }));
        Assert.Equal((200, "", null), (head.Status, head.Body, head.Error));
        Assert.Equal(1, server.Connections);
    }

    [Theory]
    [InlineData("SSH-2.0-OpenSSH_9.2\r\n\r\n", "not HTTP/1.x")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort", "before the body's Content-Length was sent")]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: ten\r\n\r\n", "Content-Length 'ten' is not a length")]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "chunk size 'zz' is not hexadecimal")]
    [InlineData("HTTP/1.1 200 OK\r\nno colon here\r\n\r\n", "malformed header line")]
    [InlineData("", "closed the connection without a response")]
    public async Task A_broken_response_is_an_error_that_says_what_was_wrong(string response, string error)
    {
        await using var server = new ScriptedServer(_ => (response, true));

        var seen = await RunAsync(probe, Http(server.Url + "/"));

        Assert.Null(seen.Status);
        Assert.Contains(error, seen.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_chunked_body_past_the_limit_is_truncated_and_its_connection_not_reused()
    {
        var chunk = new string('x', 256 * 1024);
        var body = string.Concat(Enumerable.Repeat($"{chunk.Length:x}\r\n{chunk}\r\n", 5)) + "0\r\n\r\n";
        await using var server = new ScriptedServer(_ => ("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + body, false));
        var check = Http(server.Url + "/");

        var seen = await RunAsync(probe, check);
        Assert.Equal(HttpProbe.MaxBodyBytes, seen.Body!.Length);
        Assert.Contains(seen.Facts, f => f.Contains("truncated", StringComparison.Ordinal));
        Assert.Equal(200, (await RunAsync(probe, check)).Status);
        Assert.Equal(2, server.Connections);
    }

    [Fact]
    public async Task A_redirect_to_follow_is_followed_and_one_not_to_follow_is_reported()
    {
        await using var server = new ScriptedServer(r => r.StartsWith("GET /old", StringComparison.Ordinal)
            ? ("HTTP/1.1 301 Moved Permanently\r\nLocation: /new\r\nContent-Length: 0\r\n\r\n", false)
            : Ok("arrived"));

        var followed = await RunAsync(probe, Http(server.Url + "/old"));
        Assert.Equal((200, "arrived"), (followed.Status, followed.Body));
        Assert.Contains(followed.Facts, f => f.Contains("/new → 200", StringComparison.Ordinal));

        var reported = await RunAsync(probe, Http(server.Url + "/old", s => s with { FollowRedirects = false }));
        Assert.Equal((301, "/new"), (reported.Status, reported.Headers["location"]));
    }

    [Fact]
    public async Task What_shapes_the_framing_or_is_not_plain_http_stays_with_httpclient()
    {
        var uri = new Uri("http://127.0.0.1:8080/x");
        Assert.NotNull(PlainHttp.Prepare(new HttpCheckSpec { Url = uri.ToString() }, uri));
        Assert.Null(PlainHttp.Prepare(new HttpCheckSpec { Url = uri.ToString(), Headers = new Dictionary<string, string> { ["Host"] = "other" } }, uri));
        Assert.Null(PlainHttp.Prepare(new HttpCheckSpec { Url = uri.ToString(), Headers = new Dictionary<string, string> { ["transfer-encoding"] = "chunked" } }, uri));
        Assert.Null(PlainHttp.Prepare(new HttpCheckSpec { Url = uri.ToString(), Headers = new Dictionary<string, string> { ["X-Name"] = "Zoë" } }, uri));
        Assert.Null(PlainHttp.Prepare(new HttpCheckSpec { Url = uri.ToString(), Headers = new Dictionary<string, string> { ["X-Bad\r\nInjected"] = "1" } }, uri));
        foreach (var other in new[] { "https://127.0.0.1/x", "http://user:pw@127.0.0.1/x", "http://[::1]:8080/x" })
        {
            Assert.Null(PlainHttp.Prepare(new HttpCheckSpec { Url = other }, new Uri(other)));
        }

        // Such a check still works, through HttpClient: the Host header it names is the one sent.
        await using var server = new ScriptedServer(_ => Ok("via httpclient"));
        var seen = await RunAsync(probe, Http(server.Url + "/", s => s with { Headers = new Dictionary<string, string> { ["Host"] = "api.example.com" } }));
        Assert.Equal("via httpclient", seen.Body);
        Assert.Contains("Host: api.example.com\r\n", server.Requests.Single(), StringComparison.Ordinal);
    }
}
