using System.Buffers.Text;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// HTTP/1.1 over a plain socket for <c>http://</c> probes. A check's request is made into bytes once; a pooled
/// connection takes them in one send and the response is parsed from the connection's own buffer. It exists for cost:
/// with thousands of checks, SocketsHttpHandler's request and response objects, header collections and pool layers were
/// about a third of the CPU a probe took.
/// </summary>
/// <remarks>
/// It speaks what an endpoint answers: a body framed by <c>Content-Length</c>, by chunks or by the connection's close;
/// keep-alive; <c>1xx</c> interim responses skipped. A connection found closed by the server while idle is replaced
/// and the request sent again, once, as HttpClient does. Everything else stays with HttpClient (see
/// <see cref="Prepare"/>): https, user info in the URL, an IPv6 host, a header that is not plain ASCII or that shapes
/// the framing, and, in <see cref="HttpProbe"/>, a redirect to follow.
/// </remarks>
internal sealed class PlainHttp : IDisposable
{
    /// <summary>A response's status line and headers may take this much; HttpClient's default limit too.</summary>
    public const int MaxHeaderBytes = 64 * 1024;

    private const int BufferBytes = 4096;

    private static readonly TimeSpan SweepEvery = TimeSpan.FromSeconds(30);

    private static readonly string[] FramingHeaders = ["Host", "Connection", "Content-Length", "Transfer-Encoding", "Expect", "Upgrade", "TE", "Keep-Alive", "Proxy-Connection"];

    private readonly Dictionary<(string Host, int Port), IdleConnections> idle = [];
    private readonly Lock gate = new();
    private readonly TimeSpan lifetime;
    private readonly TimeSpan idleTimeout;
    private Timer? sweeper;
    private bool disposed;

    public PlainHttp(TimeSpan lifetime, TimeSpan idleTimeout)
    {
        this.lifetime = lifetime;
        this.idleTimeout = idleTimeout;
    }

    /// <summary>A check's request as bytes, or null when it needs HttpClient.</summary>
    public static Request? Prepare(HttpCheckSpec spec, Uri uri)
    {
        if (uri.Scheme != Uri.UriSchemeHttp || uri.UserInfo.Length > 0 || uri.HostNameType is not (UriHostNameType.Dns or UriHostNameType.IPv4)) return null;
        var text = new StringBuilder(256);
        text.Append(spec.Method).Append(' ').Append(uri.PathAndQuery).Append(" HTTP/1.1\r\nHost: ").Append(uri.IdnHost);
        if (!uri.IsDefaultPort) text.Append(':').Append(uri.Port);
        text.Append("\r\n");
        foreach (var (name, value) in spec.Headers)
        {
            if (!IsToken(name) || !IsPlainValue(value) || FramingHeaders.Contains(name, StringComparer.OrdinalIgnoreCase)) return null;
            text.Append(name).Append(": ").Append(value.Trim()).Append("\r\n");
        }
        var body = spec.Body is null ? [] : Encoding.UTF8.GetBytes(spec.Body);
        // As HttpClient does: a length whenever there is a body, and 0 for a bodyless POST, PUT or PATCH.
        if (spec.Body is not null || spec.Method is "POST" or "PUT" or "PATCH") text.Append("Content-Length: ").Append(body.Length).Append("\r\n");
        if (spec.FreshConnection) text.Append("Connection: close\r\n");
        text.Append("\r\n");
        var head = Encoding.ASCII.GetBytes(text.ToString());
        var bytes = new byte[head.Length + body.Length];
        head.CopyTo(bytes, 0);
        body.CopyTo(bytes, head.Length);
        return new Request(bytes, spec.Method == "HEAD", spec.FreshConnection, uri.IdnHost, uri.Port);
    }

    private static bool IsToken(string name) =>
        name.Length > 0 && name.All(c => c < 128 && (char.IsAsciiLetterOrDigit(c) || "!#$%&'*+-.^_`|~".Contains(c)));

    private static bool IsPlainValue(string value) => value.All(c => c == '\t' || (c >= ' ' && c < 127));

    /// <summary>Sends the request and reads the whole response (the body up to <see cref="HttpProbe.MaxBodyBytes"/>).</summary>
    public async Task<Response> SendAsync(Request request, CancellationToken ct)
    {
        var pool = request.Idle ??= IdleFor(request.Host, request.Port);
        while (true)
        {
            var connection = request.Fresh ? null : pool.Take(Environment.TickCount64, lifetime, idleTimeout);
            var reused = connection is not null;
            connection ??= await ConnectAsync(request, ct);
            try
            {
                var response = await ExchangeAsync(connection, request, ct);
                if (response is null)
                {
                    // A reused connection the server had closed: nothing of the request was answered, so it goes again.
                    connection.Dispose();
                    continue;
                }
                if (response.KeepAlive && !request.Fresh) Return(pool, connection);
                else connection.Dispose();
                return response;
            }
            catch (SocketException e) when (reused && !connection.Answered && e.SocketErrorCode is SocketError.ConnectionReset or SocketError.Shutdown or SocketError.ConnectionAborted)
            {
                connection.Dispose();
            }
            catch (Exception e)
            {
                connection.Dispose();
                if (e is SocketException socket) throw Failed(socket, request);
                throw;
            }
        }
    }

    /// <summary>A socket error as the probe reports it: what went wrong, and where.</summary>
    private static IOException Failed(SocketException e, Request request) => new($"{e.Message} ({request.Host}:{request.Port})", e);

    private static async Task<Connection> ConnectAsync(Request request, CancellationToken ct)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            EndPoint endpoint = IPAddress.TryParse(request.Host, out var address) ? new IPEndPoint(address, request.Port) : new DnsEndPoint(request.Host, request.Port);
            await socket.ConnectAsync(endpoint, ct);
            return new Connection(socket, ProbeSupport.RemoteAddress(socket) ?? request.Host, Environment.TickCount64);
        }
        catch (Exception e)
        {
            socket.Dispose();
            if (e is SocketException failed) throw Failed(failed, request);
            throw;
        }
    }

    /// <summary>One request and its response on <paramref name="c"/>; null when the connection turned out closed before
    /// any byte of a response came (the caller retries a reused connection, and reports it for a new one).</summary>
    private static async Task<Response?> ExchangeAsync(Connection c, Request request, CancellationToken ct)
    {
        for (var sent = 0; sent < request.Bytes.Length;)
        {
            sent += await c.Socket.SendAsync(request.Bytes.AsMemory(sent), SocketFlags.None, ct);
        }
        c.Start = c.End = 0;
        c.Answered = false;
        while (true)
        {
            // The status line and headers, whole, in the buffer.
            int headEnd;
            while ((headEnd = c.Unread.IndexOf("\r\n\r\n"u8)) < 0)
            {
                if (!await c.FillAsync(MaxHeaderBytes, ct))
                {
                    if (c.Answered) throw new IOException("the server closed the connection in the middle of the response's headers");
                    if (c.Reused) return null;
                    throw new IOException("the server closed the connection without a response");
                }
            }
            var head = c.Unread[..headEnd];
            c.Start += headEnd + 4;
            var (status, version11) = StatusLine(head, out var rest);
            if (status is >= 100 and < 200 && status != 101) continue; // an interim response: the real one follows
            var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
            long? length = null;
            var chunked = false;
            var close = !version11;
            while (rest.Length > 0)
            {
                var eol = rest.IndexOf("\r\n"u8);
                var line = eol < 0 ? rest : rest[..eol];
                rest = eol < 0 ? default : rest[(eol + 2)..];
                var colon = line.IndexOf((byte)':');
                if (colon <= 0) throw new IOException("the server's response has a malformed header line");
                var name = Encoding.ASCII.GetString(line[..colon].TrimEnd((byte)' '));
                var raw = line[(colon + 1)..].Trim(" \t"u8);
                var value = Encoding.Latin1.GetString(raw);
                headers[name] = headers.TryGetValue(name, out var before) ? before + ", " + value : value;
                if (name.Equals("Content-Length", StringComparison.OrdinalIgnoreCase))
                {
                    if (!Utf8Parser.TryParse(raw, out long n, out var used) || used != raw.Length || n < 0)
                        throw new IOException($"the server's Content-Length '{value}' is not a length");
                    length = n;
                }
                else if (name.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                {
                    chunked = value.TrimEnd().EndsWith("chunked", StringComparison.OrdinalIgnoreCase);
                    if (!chunked) close = true;
                }
                else if (name.Equals("Connection", StringComparison.OrdinalIgnoreCase))
                {
                    close |= value.Split(',').Any(t => t.Trim().Equals("close", StringComparison.OrdinalIgnoreCase));
                }
            }

            var body = new BodyBuffer(length);
            try
            {
                var complete = true;
                if (request.Head || status is 101 or 204 or 304) close |= status == 101;
                else if (chunked) complete = await ReadChunkedAsync(c, body, ct);
                else if (length is { } exactly) complete = await ReadExactlyAsync(c, body, exactly, ct);
                else
                {
                    close = true;
                    while (!body.Full && await c.ReadAsync(body, long.MaxValue, ct) > 0) { }
                }
                var (text, truncated, read) = body.Text();
                // Reused only when the response was read to its end and nothing else came with it.
                var keepAlive = !close && complete && c.Start == c.End;
                return new Response(status, headers, text, truncated, read, c.RemoteAddress, keepAlive);
            }
            finally
            {
                body.Dispose();
            }
        }
    }

    private static (int Status, bool Version11) StatusLine(ReadOnlySpan<byte> head, out ReadOnlySpan<byte> headers)
    {
        var eol = head.IndexOf("\r\n"u8);
        var line = eol < 0 ? head : head[..eol];
        headers = eol < 0 ? default : head[(eol + 2)..];
        // HTTP/1.x SSS[ reason]
        if (line.Length < 12 || !line.StartsWith("HTTP/1."u8) || line[8] != ' ' || (line.Length > 12 && line[12] != ' ')
            || !Utf8Parser.TryParse(line.Slice(9, 3), out int status, out var used) || used != 3 || status < 100)
        {
            throw new IOException("the server's response is not HTTP/1.x: " + Encoding.ASCII.GetString(line[..Math.Min(line.Length, 40)]).ReplaceLineEndings(" "));
        }
        return (status, line[7] == (byte)'1');
    }

    /// <summary>Reads <paramref name="length"/> bytes of body; false when it stopped at the size limit.</summary>
    private static async ValueTask<bool> ReadExactlyAsync(Connection c, BodyBuffer body, long length, CancellationToken ct)
    {
        for (var left = length; left > 0;)
        {
            if (body.Full) return false;
            var n = await c.ReadAsync(body, left, ct);
            if (n == 0) throw new IOException("the server closed the connection before the body's Content-Length was sent");
            left -= n;
        }
        return true;
    }

    /// <summary>Reads a chunked body, its last chunk and trailers; false when it stopped at the size limit.</summary>
    private static async ValueTask<bool> ReadChunkedAsync(Connection c, BodyBuffer body, CancellationToken ct)
    {
        while (true)
        {
            var line = await c.ReadLineAsync(ct);
            var size = line.AsSpan();
            if (size.IndexOf(';') is var semicolon and >= 0) size = size[..semicolon];
            if (!long.TryParse(size.Trim(), System.Globalization.NumberStyles.AllowHexSpecifier, System.Globalization.CultureInfo.InvariantCulture, out var length) || length < 0)
                throw new IOException($"the server's chunk size '{line}' is not hexadecimal");
            if (length == 0)
            {
                while ((await c.ReadLineAsync(ct)).Length > 0) { } // trailers, up to the empty line
                return true;
            }
            if (!await ReadExactlyAsync(c, body, length, ct)) return false;
            if ((await c.ReadLineAsync(ct)).Length != 0) throw new IOException("the server's chunk is longer than its size says");
        }
    }

    private IdleConnections IdleFor(string host, int port)
    {
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            if (!idle.TryGetValue((host, port), out var list)) idle[(host, port)] = list = new IdleConnections();
            // Started with the first pool: a Vigil without plain http checks keeps no timer for them.
            sweeper ??= new Timer(_ => Sweep(), null, SweepEvery, SweepEvery);
            return list;
        }
    }

    private void Return(IdleConnections pool, Connection connection)
    {
        connection.IdleSince = Environment.TickCount64;
        connection.Reused = true;
        if (Volatile.Read(ref disposed) || !pool.Put(connection)) connection.Dispose();
    }

    /// <summary>Closes connections idle too long or too old, so a check removed or slowed does not keep them open.</summary>
    private void Sweep()
    {
        IdleConnections[] all;
        lock (gate) all = [.. idle.Values];
        var now = Environment.TickCount64;
        foreach (var pool in all) pool.Sweep(now, lifetime, idleTimeout);
    }

    public void Dispose()
    {
        lock (gate)
        {
            if (disposed) return;
            disposed = true;
            sweeper?.Dispose();
            foreach (var pool in idle.Values) pool.Close();
            idle.Clear();
        }
    }

    /// <summary>A check's request, made once (see <see cref="Prepare"/>).</summary>
    public sealed class Request(byte[] bytes, bool head, bool fresh, string host, int port)
    {
        public byte[] Bytes { get; } = bytes;
        public bool Head { get; } = head;
        public bool Fresh { get; } = fresh;
        public string Host { get; } = host;
        public int Port { get; } = port;

        /// <summary>The idle connections to this request's host and port, found at the first send.</summary>
        internal IdleConnections? Idle { get; set; }
    }

    public sealed record Response(int Status, Dictionary<string, string> Headers, string Body, bool Truncated, int Read, string RemoteAddress, bool KeepAlive);

    /// <summary>A connection and the bytes read from it that nothing has consumed yet (<c>Start..End</c> of <c>Buffer</c>).</summary>
    internal sealed class Connection(Socket socket, string remoteAddress, long openedAt) : IDisposable
    {
        public Socket Socket { get; } = socket;
        public string RemoteAddress { get; } = remoteAddress;
        public long OpenedAt { get; } = openedAt;
        public long IdleSince { get; set; }
        public bool Reused { get; set; }

        /// <summary>Some of the current request's response has come (a failure after that is not retried).</summary>
        public bool Answered { get; set; }

        public byte[] Buffer { get; private set; } = new byte[BufferBytes];
        public int Start { get; set; }
        public int End { get; set; }

        public ReadOnlySpan<byte> Unread => Buffer.AsSpan(Start, End - Start);

        /// <summary>Reads more into the buffer, moving what is unread to its front and growing it up to
        /// <paramref name="limit"/>; false at the end of the stream.</summary>
        public async ValueTask<bool> FillAsync(int limit, CancellationToken ct)
        {
            if (Start > 0)
            {
                Buffer.AsSpan(Start, End - Start).CopyTo(Buffer);
                End -= Start;
                Start = 0;
            }
            if (End == Buffer.Length)
            {
                if (Buffer.Length >= limit) throw new IOException($"the server's response headers (or a chunk's size line) exceed {ProbeSupport.FormatBytes(limit)}");
                var bigger = new byte[Math.Min(Buffer.Length * 4, limit)];
                Buffer.AsSpan(0, End).CopyTo(bigger);
                Buffer = bigger;
            }
            var n = await Socket.ReceiveAsync(Buffer.AsMemory(End), SocketFlags.None, ct);
            End += n;
            Answered |= n > 0;
            return n > 0;
        }

        /// <summary>Up to <paramref name="most"/> body bytes into <paramref name="body"/>: what is buffered first, then
        /// straight from the socket. 0 at the end of the stream.</summary>
        public async ValueTask<int> ReadAsync(BodyBuffer body, long most, CancellationToken ct)
        {
            var space = body.Space();
            if (space.Length > most) space = space[..(int)most];
            int n;
            if (End > Start)
            {
                n = Math.Min(space.Length, End - Start);
                Buffer.AsSpan(Start, n).CopyTo(space.Span);
                Start += n;
            }
            else
            {
                n = await Socket.ReceiveAsync(space, SocketFlags.None, ct);
            }
            body.Advance(n);
            return n;
        }

        /// <summary>The next line (without its CRLF), for chunk sizes and trailers.</summary>
        public async ValueTask<string> ReadLineAsync(CancellationToken ct)
        {
            int eol;
            while ((eol = Unread.IndexOf("\r\n"u8)) < 0)
            {
                if (!await FillAsync(MaxHeaderBytes, ct)) throw new IOException("the server closed the connection in the middle of a chunked body");
            }
            var line = Encoding.ASCII.GetString(Buffer, Start, eol);
            Start += eol + 2;
            return line;
        }

        public void Dispose() => Socket.Dispose();
    }

    /// <summary>One host and port's idle connections, the most recently used taken first.</summary>
    internal sealed class IdleConnections
    {
        private readonly Stack<Connection> stack = new();
        private bool closed;

        public Connection? Take(long now, TimeSpan lifetime, TimeSpan idleTimeout)
        {
            lock (stack)
            {
                while (stack.TryPop(out var c))
                {
                    if (Fresh(c, now, lifetime, idleTimeout)) return c;
                    c.Dispose();
                }
            }
            return null;
        }

        public bool Put(Connection c)
        {
            lock (stack)
            {
                if (closed) return false;
                stack.Push(c);
                return true;
            }
        }

        public void Sweep(long now, TimeSpan lifetime, TimeSpan idleTimeout)
        {
            lock (stack)
            {
                var kept = stack.Where(c => Fresh(c, now, lifetime, idleTimeout)).Reverse().ToList();
                foreach (var c in stack.Except(kept)) c.Dispose();
                stack.Clear();
                foreach (var c in kept) stack.Push(c);
            }
        }

        public void Close()
        {
            lock (stack)
            {
                closed = true;
                foreach (var c in stack) c.Dispose();
                stack.Clear();
            }
        }

        private static bool Fresh(Connection c, long now, TimeSpan lifetime, TimeSpan idleTimeout) =>
            now - c.OpenedAt < lifetime.TotalMilliseconds && now - c.IdleSince < idleTimeout.TotalMilliseconds;
    }
}
