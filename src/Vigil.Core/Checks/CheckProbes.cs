using System.Diagnostics.CodeAnalysis;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// Every check probe, by kind: create one for the process (<c>new CheckProbes()</c>), look a probe up by the check's
/// kind, dispose it at shutdown. It owns the shared state probes keep between runs — the http probe's pooled
/// handlers, the redis probe's multiplexers, the dns probe's resolvers. Probes this assembly does not build (the
/// heartbeat probe) are passed in and take precedence over a built-in of the same kind.
/// </summary>
[SuppressMessage("Naming", "CA1710", Justification = "The registry of probes; \"CheckProbesDictionary\" would name its shape, not its role.")]
public sealed class CheckProbes : IReadOnlyDictionary<CheckKind, ICheckProbe>, IDisposable, IAsyncDisposable
{
    private readonly Dictionary<CheckKind, ICheckProbe> probes = [];
    private readonly HttpProbe http;
    private readonly RedisProbe redis;

    public CheckProbes(IEnumerable<ICheckProbe>? additional = null)
    {
        http = new HttpProbe();
        redis = new RedisProbe();
        ICheckProbe[] builtIn =
        [
            http, new TcpProbe(), new DnsProbe(), new TlsProbe(), new PostgresProbe(), redis,
            new SqlProbe(), new CommandProbe(), new DiskProbe(), new FileProbe(),
        ];
        foreach (var probe in builtIn) probes[probe.Kind] = probe;
        if (additional is not null)
        {
            foreach (var probe in additional) probes[probe.Kind] = probe;
        }
    }

    public ICheckProbe this[CheckKind key] => probes[key];

    public IEnumerable<CheckKind> Keys => probes.Keys;

    public IEnumerable<ICheckProbe> Values => probes.Values;

    public int Count => probes.Count;

    public bool ContainsKey(CheckKind key) => probes.ContainsKey(key);

    public bool TryGetValue(CheckKind key, [MaybeNullWhen(false)] out ICheckProbe value) => probes.TryGetValue(key, out value);

    public IEnumerator<KeyValuePair<CheckKind, ICheckProbe>> GetEnumerator() => probes.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();

    public void Dispose()
    {
        http.Dispose();
        redis.Dispose();
        foreach (var probe in probes.Values)
        {
            if (!ReferenceEquals(probe, http) && !ReferenceEquals(probe, redis) && probe is IDisposable disposable) disposable.Dispose();
        }
    }

    public async ValueTask DisposeAsync()
    {
        http.Dispose();
        await redis.DisposeAsync();
        foreach (var probe in probes.Values)
        {
            if (ReferenceEquals(probe, http) || ReferenceEquals(probe, redis)) continue;
            if (probe is IAsyncDisposable asyncDisposable) await asyncDisposable.DisposeAsync();
            else if (probe is IDisposable disposable) disposable.Dispose();
        }
    }
}
