using System.Buffers;
using System.Collections.Concurrent;
using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// <c>http</c>: one request, the response's status, headers, body (at most 1 MiB), time, remote address and, for
/// https, the leaf certificate's time left. Connections are pooled in shared handlers, one per combination of
/// <c>verify_tls</c>, <c>follow_redirects</c> and <c>fresh_connection</c>, so a probe allocates no client, no handler
/// and, on a reused connection, no TLS handshake. <c>fresh_connection: true</c> sends <c>Connection: close</c> through
/// handlers only such probes use, so each of their requests opens (and closes) a connection of its own.
/// </summary>
public sealed class HttpProbe : ICheckProbe, IDisposable
{
    /// <summary>At most this much of a body is read; the rest is left unread and the truncation noted.</summary>
    public const int MaxBodyBytes = 1024 * 1024;

    private readonly Pool?[] pools = new Pool?[8];
    private readonly PlainHttp plain;
    private readonly ConditionalWeakTable<HttpCheckSpec, Target> targets = new();
    private readonly Lock gate = new();
    private readonly TimeSpan pooledConnectionLifetime;
    private bool disposed;

    public HttpProbe(TimeSpan? pooledConnectionLifetime = null)
    {
        this.pooledConnectionLifetime = pooledConnectionLifetime ?? TimeSpan.FromMinutes(5);
        plain = new PlainHttp(this.pooledConnectionLifetime, IdleTimeout);
    }

    /// <summary>An idle connection is closed after this long, by either client.</summary>
    private static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(2);

    /// <summary>A check's URL, parsed once, and its request for <see cref="PlainHttp"/> when it can take it.</summary>
    private sealed class Target(Uri? uri, PlainHttp.Request? plain)
    {
        public Uri? Uri { get; } = uri;
        public PlainHttp.Request? Plain { get; } = plain;

        public static Target For(HttpCheckSpec spec) =>
            Uri.TryCreate(spec.Url, UriKind.Absolute, out var uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
                ? new Target(uri, PlainHttp.Prepare(spec, uri))
                : new Target(null, null);
    }

    public CheckKind Kind => CheckKind.Http;

    /// <summary>Connections are opened (and names resolved) asynchronously by the handler: nothing here blocks.</summary>
    public bool StartsWithoutBlocking => true;

    public async Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        if (!ProbeSupport.TryGetSpec<HttpCheckSpec>(check, out var spec, out var invalid)) return invalid!;
        var observation = new Observation();
        var target = targets.GetValue(spec, Target.For);
        if (target.Uri is not { } uri)
        {
            observation.Error = "url is not an absolute http:// or https:// URL";
            return observation;
        }

        var start = ProbeSupport.Start();
        try
        {
            if (target.Plain is { } plain)
            {
                var answer = await this.plain.SendAsync(plain, ct);
                // A redirect to follow goes to HttpClient, which follows it as it always has (method rewrites, https).
                if (!(spec.FollowRedirects && IsRedirect(answer.Status) && answer.Headers.ContainsKey("Location")))
                {
                    Observe(observation, spec.Method, uri, answer.Status, answer.Headers, (answer.Body, answer.Truncated, answer.Read), answer.RemoteAddress, start);
                    return observation;
                }
            }
            await ProbeWithHttpClientAsync(spec, uri, observation, context, start, ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            observation.ResponseTime = ProbeSupport.Since(start);
            observation.Error = ProbeSupport.TimedOut(check);
        }
        catch (Exception e) when (e is HttpRequestException or IOException or OperationCanceledException or InvalidOperationException or FormatException or ArgumentException)
        {
            observation.ResponseTime = ProbeSupport.Since(start);
            observation.Error = ProbeSupport.Describe(e);
        }
        return observation;
    }

    private static bool IsRedirect(int status) => status is 300 or 301 or 302 or 303 or 307 or 308;

    private async Task ProbeWithHttpClientAsync(HttpCheckSpec spec, Uri uri, Observation observation, ProbeContext context, long start, CancellationToken ct)
    {
        var pool = GetPool(spec.VerifyTls, spec.FollowRedirects, spec.FreshConnection);
        using var request = new HttpRequestMessage(HttpMethod.Parse(spec.Method), uri);
        if (spec.Body is not null)
        {
            request.Content = new ByteArrayContent(Encoding.UTF8.GetBytes(spec.Body));
        }
        foreach (var header in spec.Headers)
        {
            if (!request.Headers.TryAddWithoutValidation(header.Key, header.Value))
            {
                request.Content ??= new ByteArrayContent([]);
                request.Content.Headers.TryAddWithoutValidation(header.Key, header.Value);
            }
        }
        if (spec.FreshConnection)
        {
            request.Headers.ConnectionClose = true;
        }

        using var response = await pool.Invoker.SendAsync(request, ct);
        var body = await ReadBodyAsync(response.Content, ct);
        var final = response.RequestMessage?.RequestUri ?? uri;
        Observe(observation, request.Method.Method, final, (int)response.StatusCode, CollectHeaders(response), body, pool.RemoteAddress(final) ?? final.IdnHost, start);
        if (final.Scheme == Uri.UriSchemeHttps && pool.NotAfter(final) is { } notAfter)
        {
            observation.CertificateExpiration = notAfter - context.Time.GetUtcNow();
            observation.Facts.Add("certificate expires " + notAfter.ToString("u", System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>What a response showed, whichever client got it.</summary>
    private static void Observe(Observation observation, string method, Uri final, int status, Dictionary<string, string> headers,
        (string Body, bool Truncated, int Read) body, string ip, long start)
    {
        observation.ResponseTime = ProbeSupport.Since(start);
        observation.Connected = true;
        observation.Status = status;
        observation.Headers = headers;
        observation.Body = body.Body;
        observation.Ip = ip;
        // Scheme, authority (never user info) and path: no query, where tokens live; no regex on the hot path.
        observation.Facts.Add($"{method} {final.Scheme}://{final.Authority}{final.AbsolutePath} → {status} in {ProbeSupport.FormatDuration(observation.ResponseTime)}");
        observation.Facts.Add(body.Truncated
            ? $"body truncated to the first {ProbeSupport.FormatBytes(MaxBodyBytes)}"
            : "body " + ProbeSupport.FormatBytes(body.Read));
    }

    private static Dictionary<string, string> CollectHeaders(HttpResponseMessage response)
    {
        var headers = new Dictionary<string, string>(StringComparer.OrdinalIgnoreCase);
        foreach (var header in response.Headers.NonValidated)
        {
            headers[header.Key] = header.Value.ToString();
        }
        foreach (var header in response.Content.Headers.NonValidated)
        {
            headers[header.Key] = header.Value.ToString();
        }
        return headers;
    }

    private static async Task<(string Body, bool Truncated, int Read)> ReadBodyAsync(HttpContent content, CancellationToken ct)
    {
        var length = content.Headers.ContentLength;
        if (length == 0) return ("", false, 0);
        var stream = await content.ReadAsStreamAsync(ct);
        using var body = new BodyBuffer(length);
        while (!body.Full)
        {
            var n = await stream.ReadAsync(body.Space(), ct);
            if (n == 0) break;
            body.Advance(n);
        }
        return body.Text();
    }

    private Pool GetPool(bool verifyTls, bool followRedirects, bool fresh)
    {
        var index = (verifyTls ? 1 : 0) | (followRedirects ? 2 : 0) | (fresh ? 4 : 0);
        var pool = Volatile.Read(ref pools[index]);
        if (pool is not null) return pool;
        lock (gate)
        {
            ObjectDisposedException.ThrowIf(disposed, this);
            return pools[index] ??= new Pool(verifyTls, followRedirects, pooledConnectionLifetime);
        }
    }

    public void Dispose()
    {
        lock (gate)
        {
            disposed = true;
            plain.Dispose();
            for (var i = 0; i < pools.Length; i++)
            {
                pools[i]?.Dispose();
                pools[i] = null;
            }
        }
    }

    /// <summary>
    /// One shared handler and what its connections saw: the remote address per host:port (recorded when a connection
    /// opens) and the leaf certificate's expiry per host:port (recorded once TLS is up, so two services on one host
    /// with different certificates each see their own).
    /// </summary>
    private sealed class Pool : IDisposable
    {
        private readonly ConcurrentDictionary<(string Host, int Port), string> addresses = new();
        private readonly ConcurrentDictionary<(string Host, int Port), DateTimeOffset> notAfter = new();
        private readonly bool verifyTls;

        public Pool(bool verifyTls, bool followRedirects, TimeSpan lifetime)
        {
            this.verifyTls = verifyTls;
            var handler = new SocketsHttpHandler
            {
                AllowAutoRedirect = followRedirects,
                MaxAutomaticRedirections = 10,
                PooledConnectionLifetime = lifetime,
                PooledConnectionIdleTimeout = IdleTimeout,
                AutomaticDecompression = DecompressionMethods.None,
                UseCookies = false,
                UseProxy = false,
                ConnectTimeout = Timeout.InfiniteTimeSpan,
                ConnectCallback = ConnectAsync,
                PlaintextStreamFilter = RecordCertificate,
                SslOptions = new SslClientAuthenticationOptions { RemoteCertificateValidationCallback = Validate },
            };
            Invoker = new HttpMessageInvoker(handler, disposeHandler: true);
        }

        public HttpMessageInvoker Invoker { get; }

        public string? RemoteAddress(Uri uri) => addresses.TryGetValue((uri.IdnHost, uri.Port), out var address) ? address : null;

        public DateTimeOffset? NotAfter(Uri uri) => notAfter.TryGetValue((uri.IdnHost, uri.Port), out var value) ? value : null;

        private ValueTask<Stream> RecordCertificate(SocketsHttpPlaintextStreamFilterContext context, CancellationToken ct)
        {
            if (context.PlaintextStream is SslStream { RemoteCertificate: X509Certificate2 leaf } && context.InitialRequestMessage.RequestUri is { } uri)
            {
                notAfter[(uri.IdnHost, uri.Port)] = new DateTimeOffset(leaf.NotAfter.ToUniversalTime(), TimeSpan.Zero);
            }
            return ValueTask.FromResult(context.PlaintextStream);
        }

        private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken ct)
        {
            var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
            try
            {
                await socket.ConnectAsync(context.DnsEndPoint, ct);
                if (ProbeSupport.RemoteAddress(socket) is { } address) addresses[(context.DnsEndPoint.Host, context.DnsEndPoint.Port)] = address;
                return new NetworkStream(socket, ownsSocket: true);
            }
            catch
            {
                socket.Dispose();
                throw;
            }
        }

        private bool Validate(object sender, X509Certificate? certificate, X509Chain? chain, SslPolicyErrors errors) =>
            !verifyTls || errors == SslPolicyErrors.None;

        public void Dispose() => Invoker.Dispose();
    }
}

/// <summary>
/// A response body read into pooled memory, up to <see cref="HttpProbe.MaxBodyBytes"/>: one byte more is taken to tell a
/// body of exactly the limit from a longer one, which is then noted as truncated.
/// </summary>
internal sealed class BodyBuffer(long? expected) : IDisposable
{
    private const int Limit = HttpProbe.MaxBodyBytes + 1;
    private byte[] buffer = ArrayPool<byte>.Shared.Rent(Math.Min(expected is > 0 and < HttpProbe.MaxBodyBytes ? (int)expected.Value + 1 : Limit, 16 * 1024));
    private int read;

    /// <summary>The limit's extra byte came: stop reading.</summary>
    public bool Full => read >= Limit;

    /// <summary>Room for the next read (growing the buffer when it is full, never past the limit).</summary>
    public Memory<byte> Space()
    {
        if (read == buffer.Length && buffer.Length < Limit)
        {
            var bigger = ArrayPool<byte>.Shared.Rent(Math.Min(buffer.Length * 2, Limit));
            buffer.AsSpan(0, read).CopyTo(bigger);
            ArrayPool<byte>.Shared.Return(buffer);
            buffer = bigger;
        }
        return buffer.AsMemory(read, Math.Min(buffer.Length, Limit) - read);
    }

    public void Advance(int count) => read += count;

    /// <summary>The body as UTF-8 text, whether it was cut at the limit, and how many bytes it kept.</summary>
    public (string Body, bool Truncated, int Read) Text()
    {
        var truncated = read > HttpProbe.MaxBodyBytes;
        var kept = truncated ? HttpProbe.MaxBodyBytes : read;
        return (Encoding.UTF8.GetString(buffer, 0, kept), truncated, kept);
    }

    public void Dispose() => ArrayPool<byte>.Shared.Return(buffer);
}
