using System.Collections.Concurrent;
using System.Globalization;
using System.Net;
using DnsClient;
using DnsClient.Protocol;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// <c>dns</c>: one query for <c>name</c> and <c>record_type</c> against <c>server</c> (host or host:port, default the
/// system's resolvers). <c>[DNS_RCODE]</c> is the response code's name (NOERROR, NXDOMAIN …), <c>[BODY]</c> the answers
/// joined by ", ", <c>[IP]</c> the first A/AAAA answer; an <c>expect</c>ed answer missing is a built-in failure.
/// </summary>
public sealed class DnsProbe : ICheckProbe
{
    private readonly ConcurrentDictionary<(string Server, TimeSpan Timeout), LookupClient> clients = new();

    public CheckKind Kind => CheckKind.Dns;

    public async Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        if (!ProbeSupport.TryGetSpec<DnsCheckSpec>(check, out var spec, out var invalid)) return invalid!;
        var observation = new Observation();
        if (!Enum.TryParse<QueryType>(spec.RecordType, ignoreCase: true, out var type) || int.TryParse(spec.RecordType, out _))
        {
            observation.Error = $"unknown record type '{spec.RecordType}'";
            return observation;
        }
        var start = ProbeSupport.Start();
        try
        {
            var client = await GetClientAsync(spec.Server ?? "", check.Timeout, ct);
            var response = await client.QueryAsync(spec.Name, type, QueryClass.IN, ct);
            observation.ResponseTime = ProbeSupport.Since(start);
            observation.Connected = true;
            observation.DnsRcode = RcodeName(response.Header.ResponseCode);
            var answers = new List<string>();
            foreach (var record in response.Answers)
            {
                var text = Describe(record);
                answers.Add(text);
                if (observation.Ip is null && record is AddressRecord address) observation.Ip = address.Address.ToString();
            }
            observation.Body = string.Join(", ", answers);
            observation.Facts.Add($"{spec.Name} {type} @{response.NameServer} → {observation.DnsRcode}, {answers.Count} answer(s) in {ProbeSupport.FormatDuration(observation.ResponseTime)}");
            foreach (var expected in spec.Expect)
            {
                if (!Contains(answers, expected)) observation.BuiltInFailures.Add($"expected answer '{expected}' not in [{observation.Body}]");
            }
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            observation.Error = ProbeSupport.TimedOut(check);
        }
        catch (Exception e) when (e is DnsResponseException or System.Net.Sockets.SocketException or IOException or ArgumentException or InvalidOperationException or FormatException)
        {
            observation.Error = ProbeSupport.Describe(e);
        }
        if (observation.ResponseTime == TimeSpan.Zero) observation.ResponseTime = ProbeSupport.Since(start);
        return observation;
    }

    private static bool Contains(List<string> answers, string expected)
    {
        var wanted = expected.TrimEnd('.');
        foreach (var answer in answers)
        {
            if (string.Equals(answer, wanted, StringComparison.OrdinalIgnoreCase)) return true;
        }
        return false;
    }

    private static string Describe(DnsResourceRecord record) => record switch
    {
        AddressRecord a => a.Address.ToString(),
        CNameRecord c => c.CanonicalName.Value.TrimEnd('.'),
        NsRecord ns => ns.NSDName.Value.TrimEnd('.'),
        PtrRecord ptr => ptr.PtrDomainName.Value.TrimEnd('.'),
        MxRecord mx => mx.Preference.ToString(CultureInfo.InvariantCulture) + " " + mx.Exchange.Value.TrimEnd('.'),
        SrvRecord srv => $"{srv.Priority} {srv.Weight} {srv.Port} {srv.Target.Value.TrimEnd('.')}",
        TxtRecord txt => string.Concat(txt.Text),
        CaaRecord caa => $"{caa.Flags} {caa.Tag} \"{caa.Value}\"",
        SoaRecord soa => $"{soa.MName.Value.TrimEnd('.')} {soa.RName.Value.TrimEnd('.')} {soa.Serial}",
        _ => record.ToString(),
    };

    internal static string RcodeName(DnsHeaderResponseCode code) => code switch
    {
        DnsHeaderResponseCode.NoError => "NOERROR",
        DnsHeaderResponseCode.FormatError => "FORMERR",
        DnsHeaderResponseCode.ServerFailure => "SERVFAIL",
        DnsHeaderResponseCode.NotExistentDomain => "NXDOMAIN",
        DnsHeaderResponseCode.NotImplemented => "NOTIMP",
        DnsHeaderResponseCode.Refused => "REFUSED",
        DnsHeaderResponseCode.ExistingDomain => "YXDOMAIN",
        DnsHeaderResponseCode.ExistingResourceRecordSet => "YXRRSET",
        DnsHeaderResponseCode.MissingResourceRecordSet => "NXRRSET",
        DnsHeaderResponseCode.NotAuthorized => "NOTAUTH",
        DnsHeaderResponseCode.NotZone => "NOTZONE",
        _ => code.ToString().ToUpperInvariant(),
    };

    private async ValueTask<LookupClient> GetClientAsync(string server, TimeSpan timeout, CancellationToken ct)
    {
        if (clients.TryGetValue((server, timeout), out var client)) return client;
        LookupClientOptions options;
        if (server.Length == 0)
        {
            options = new LookupClientOptions();
        }
        else
        {
            var (host, port) = SplitHostPort(server);
            if (!IPAddress.TryParse(host, out var address))
            {
                var addresses = await System.Net.Dns.GetHostAddressesAsync(host, ct);
                if (addresses.Length == 0) throw new InvalidOperationException($"DNS server '{host}' does not resolve");
                address = addresses[0];
            }
            options = new LookupClientOptions(new IPEndPoint(address, port));
        }
        options.UseCache = false;
        options.Retries = 0;
        options.ThrowDnsErrors = false;
        options.UseTcpFallback = true;
        options.ContinueOnDnsError = false;
        options.ContinueOnEmptyResponse = false;
        options.Timeout = timeout > TimeSpan.Zero ? timeout : TimeSpan.FromSeconds(5);
        client = new LookupClient(options);
        return clients.GetOrAdd((server, timeout), client);
    }

    private static (string Host, int Port) SplitHostPort(string server)
    {
        if (server.StartsWith('['))
        {
            var close = server.IndexOf(']', StringComparison.Ordinal);
            if (close < 0) throw new FormatException($"DNS server '{server}' is not host or host:port");
            var host = server[1..close];
            return close + 1 < server.Length && server[close + 1] == ':'
                ? (host, int.Parse(server[(close + 2)..], CultureInfo.InvariantCulture))
                : (host, 53);
        }
        var colon = server.LastIndexOf(':');
        if (colon > 0 && server.IndexOf(':', StringComparison.Ordinal) == colon)
        {
            return (server[..colon], int.Parse(server[(colon + 1)..], CultureInfo.InvariantCulture));
        }
        return (server, 53);
    }
}
