using System.Collections.Concurrent;
using System.Globalization;
using System.Text;
using StackExchange.Redis;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// <c>redis</c>: <c>PING</c>, or a command with quoted arguments (<c>LLEN celery</c>); the reply's text →
/// <c>[BODY]</c>, and → <c>[VALUE]</c> when numeric. URLs <c>redis://[[user]:password@]host[:port][/db]</c> and
/// <c>rediss://</c> (TLS). One multiplexer per URL, kept and reused (it reconnects by itself); a server that is down
/// never fails its creation (<c>AbortOnConnectFail=false</c>), only the commands.
/// </summary>
public sealed class RedisProbe : ICheckProbe, IAsyncDisposable, IDisposable
{
    /// <summary>A multiplexer no probe used for this long is closed (its check was removed or its URL changed).</summary>
    private static readonly TimeSpan IdleLifetime = TimeSpan.FromMinutes(15);

    private readonly ConcurrentDictionary<string, Entry> multiplexers = new(StringComparer.Ordinal);
    private long lastSweep = Environment.TickCount64;

    private sealed class Entry(ConfigurationOptions options)
    {
        public Lazy<Task<ConnectionMultiplexer>> Multiplexer { get; } = new(() => ConnectionMultiplexer.ConnectAsync(options));
        public long LastUsed = Environment.TickCount64;
    }

    public CheckKind Kind => CheckKind.Redis;

    public async Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        if (!ProbeSupport.TryGetSpec<RedisCheckSpec>(check, out var spec, out var invalid)) return invalid!;
        var observation = new Observation();
        if (!TryParseUrl(spec.Url, check.Timeout, out var options, out var database, out var password))
        {
            observation.Error = "url is not a valid redis:// or rediss:// URL";
            return observation;
        }
        string command;
        List<string> arguments;
        if (string.IsNullOrWhiteSpace(spec.Command))
        {
            command = "PING";
            arguments = [];
        }
        else if (!CommandLine.TrySplit(spec.Command, out arguments, out var parseError))
        {
            observation.Error = "cannot parse command: " + parseError;
            return observation;
        }
        else
        {
            command = arguments[0];
            arguments.RemoveAt(0);
        }

        var start = ProbeSupport.Start();
        try
        {
            var multiplexer = await GetAsync(spec.Url, options).WaitAsync(ct);
            var args = new object[arguments.Count];
            for (var i = 0; i < args.Length; i++) args[i] = arguments[i];
            var reply = await multiplexer.GetDatabase(database).ExecuteAsync(command, args).WaitAsync(ct);
            observation.ResponseTime = ProbeSupport.Since(start);
            observation.Connected = true;
            observation.Ip = multiplexer.GetEndPoints() is [var endpoint, ..] ? Format(endpoint) : null;
            observation.Body = Text(reply);
            if (reply.Resp2Type == ResultType.Integer) observation.Value = (long)reply;
            else if (ProbeSupport.TryParseNumber(observation.Body, out var number)) observation.Value = number;
            observation.Facts.Add($"{command.ToUpperInvariant()} → {observation.Body ?? "(nil)"} in {ProbeSupport.FormatDuration(observation.ResponseTime)}");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            observation.Error = ProbeSupport.TimedOut(check);
        }
        catch (RedisServerException e)
        {
            // The server answered, with an error reply (unknown command, wrong type, NOAUTH …).
            observation.Connected = true;
            observation.Error = "redis error: " + Redact(e.Message, password);
        }
        catch (Exception e) when (e is RedisException or TimeoutException or IOException or ArgumentException or InvalidOperationException)
        {
            observation.Error = Redact(ProbeSupport.Describe(e), password);
        }
        if (observation.ResponseTime == TimeSpan.Zero) observation.ResponseTime = ProbeSupport.Since(start);
        return observation;
    }

    private static string Redact(string message, string? password) =>
        string.IsNullOrEmpty(password) ? message : message.Replace(password, SecretSet.Mask, StringComparison.Ordinal);

    private static string Format(System.Net.EndPoint endpoint) => endpoint switch
    {
        System.Net.IPEndPoint ip => ip.Address.ToString(),
        System.Net.DnsEndPoint dns => dns.Host,
        _ => endpoint.ToString() ?? "",
    };

    /// <summary>A reply as text: bulk strings as is, integers invariant, arrays joined by ", ", nil as null.</summary>
    private static string? Text(RedisResult reply)
    {
        if (reply.IsNull) return null;
        if (reply.Resp2Type == ResultType.Array)
        {
            var items = (RedisResult[])reply!;
            var text = new StringBuilder();
            for (var i = 0; i < items.Length; i++)
            {
                if (i > 0) text.Append(", ");
                text.Append(Text(items[i]) ?? "(nil)");
            }
            return text.ToString();
        }
        if (reply.Resp2Type == ResultType.Integer) return ((long)reply).ToString(CultureInfo.InvariantCulture);
        return reply.ToString();
    }

    private Task<ConnectionMultiplexer> GetAsync(string url, ConfigurationOptions options)
    {
        var now = Environment.TickCount64;
        var last = Interlocked.Read(ref lastSweep);
        if (now - last > 60_000 && Interlocked.CompareExchange(ref lastSweep, now, last) == last) Sweep(now);
        var entry = multiplexers.GetOrAdd(url, static (_, o) => new Entry(o), options);
        Volatile.Write(ref entry.LastUsed, now);
        var task = entry.Multiplexer.Value;
        if (task.IsFaulted || task.IsCanceled)
        {
            // A failed creation (bad configuration) is retried next probe, not cached.
            multiplexers.TryRemove(new KeyValuePair<string, Entry>(url, entry));
        }
        return task;
    }

    private void Sweep(long now)
    {
        foreach (var pair in multiplexers)
        {
            if (now - Volatile.Read(ref pair.Value.LastUsed) < IdleLifetime.TotalMilliseconds) continue;
            if (!multiplexers.TryRemove(pair)) continue;
            var lazy = pair.Value.Multiplexer;
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) _ = lazy.Value.Result.DisposeAsync().AsTask();
        }
    }

    internal static bool TryParseUrl(string url, TimeSpan timeout, out ConfigurationOptions options, out int database, out string? password)
    {
        options = null!;
        database = -1;
        password = null;
        if (!Uri.TryCreate(url, UriKind.Absolute, out var uri) || (uri.Scheme != "redis" && uri.Scheme != "rediss") || string.IsNullOrEmpty(uri.Host))
        {
            return false;
        }
        var milliseconds = (int)Math.Clamp(timeout.TotalMilliseconds, 100, int.MaxValue);
        options = new ConfigurationOptions
        {
            AbortOnConnectFail = false,
            ConnectTimeout = milliseconds,
            SyncTimeout = milliseconds,
            AsyncTimeout = milliseconds,
            ConnectRetry = 1,
            ClientName = "vigil-check",
            Ssl = uri.Scheme == "rediss",
        };
        options.EndPoints.Add(uri.IdnHost, uri.Port > 0 ? uri.Port : 6379);
        if (options.Ssl) options.SslHost = uri.IdnHost;
        if (uri.UserInfo.Length > 0)
        {
            var colon = uri.UserInfo.IndexOf(':', StringComparison.Ordinal);
            var user = Uri.UnescapeDataString(colon < 0 ? "" : uri.UserInfo[..colon]);
            password = Uri.UnescapeDataString(colon < 0 ? uri.UserInfo : uri.UserInfo[(colon + 1)..]);
            if (user.Length > 0) options.User = user;
            if (password.Length > 0) options.Password = password;
        }
        var path = uri.AbsolutePath.Trim('/');
        if (path.Length > 0)
        {
            if (!int.TryParse(path, NumberStyles.None, CultureInfo.InvariantCulture, out database)) return false;
        }
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var entry in multiplexers)
        {
            var lazy = entry.Value.Multiplexer;
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) await lazy.Value.Result.DisposeAsync();
        }
        multiplexers.Clear();
    }

    public void Dispose()
    {
        foreach (var entry in multiplexers)
        {
            var lazy = entry.Value.Multiplexer;
            if (lazy.IsValueCreated && lazy.Value.IsCompletedSuccessfully) lazy.Value.Result.Dispose();
        }
        multiplexers.Clear();
    }
}
