using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;
using static Vigil.Core.Tests.Checks.ProbeTestSupport;

namespace Vigil.Core.Tests.Checks;

/// <summary>
/// A tiny authoritative DNS server on UDP 127.0.0.1: A records for the names it knows, NXDOMAIN for the rest, and no
/// answer at all for <c>silent.test</c>.
/// </summary>
internal sealed class TinyDnsServer : IAsyncDisposable
{
    private readonly UdpClient udp = new(new IPEndPoint(IPAddress.Loopback, 0));
    private readonly CancellationTokenSource stop = new();
    private readonly Dictionary<string, IPAddress[]> records;
    private readonly Task loop;

    public TinyDnsServer(Dictionary<string, IPAddress[]> records)
    {
        this.records = new Dictionary<string, IPAddress[]>(records, StringComparer.OrdinalIgnoreCase);
        Endpoint = "127.0.0.1:" + ((IPEndPoint)udp.Client.LocalEndPoint!).Port;
        loop = Task.Run(ServeAsync);
    }

    public string Endpoint { get; }

    public int Queries;

    private async Task ServeAsync()
    {
        while (!stop.IsCancellationRequested)
        {
            UdpReceiveResult request;
            try
            {
                request = await udp.ReceiveAsync(stop.Token);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }
            Interlocked.Increment(ref Queries);
            var reply = Answer(request.Buffer);
            if (reply is not null) await udp.SendAsync(reply, request.RemoteEndPoint, stop.Token);
        }
    }

    private byte[]? Answer(byte[] query)
    {
        // Question: labels from offset 12, then type and class.
        var name = new StringBuilder();
        var offset = 12;
        while (query[offset] != 0)
        {
            int length = query[offset];
            if (name.Length > 0) name.Append('.');
            name.Append(Encoding.ASCII.GetString(query, offset + 1, length));
            offset += length + 1;
        }
        var questionEnd = offset + 5;
        var type = (query[offset + 1] << 8) | query[offset + 2];
        if (name.ToString() == "silent.test") return null;

        var found = records.TryGetValue(name.ToString(), out var addresses);
        var answers = new List<IPAddress>();
        if (found && type == 1)
        {
            foreach (var address in addresses!) if (address.AddressFamily == AddressFamily.InterNetwork) answers.Add(address);
        }
        using var reply = new MemoryStream();
        reply.Write(query, 0, 2);                                   // id
        reply.WriteByte((byte)(0x84 | (query[2] & 0x01)));                // QR, AA, RD copied
        reply.WriteByte((byte)(found ? 0 : 3));                     // RCODE: NOERROR or NXDOMAIN
        reply.Write([0, 1, 0, (byte)answers.Count, 0, 0, 0, 0]);    // qd, an, ns, ar
        reply.Write(query, 12, questionEnd - 12);
        foreach (var address in answers)
        {
            reply.Write([0xC0, 12, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);  // name pointer, A, IN, TTL 60, length 4
            reply.Write(address.GetAddressBytes());
        }
        return reply.ToArray();
    }

    public async ValueTask DisposeAsync()
    {
        await stop.CancelAsync();
        udp.Dispose();
        await loop;
        stop.Dispose();
    }
}

public sealed class DnsProbeTests : IAsyncDisposable
{
    private readonly DnsProbe probe = new();
    private readonly TinyDnsServer server = new(new Dictionary<string, IPAddress[]>
    {
        ["app.test"] = [IPAddress.Parse("10.0.0.1"), IPAddress.Parse("10.0.0.2")],
    });

    public ValueTask DisposeAsync() => server.DisposeAsync();

    private Check Dns(string name, IReadOnlyList<string>? expect = null, string type = "A", TimeSpan? timeout = null) =>
        Make(new DnsCheckSpec { Name = name, RecordType = type, Server = server.Endpoint, Expect = expect ?? [] }, timeout);

    [Fact]
    public async Task A_records_give_the_answers_the_first_address_and_NOERROR()
    {
        var seen = await RunAsync(probe, Dns("app.test"));

        Assert.Null(seen.Error);
        Assert.Equal("NOERROR", seen.DnsRcode);
        Assert.Equal("10.0.0.1, 10.0.0.2", seen.Body);
        Assert.Equal("10.0.0.1", seen.Ip);
        Assert.Empty(seen.BuiltInFailures);
    }

    [Fact]
    public async Task An_unknown_name_is_NXDOMAIN_not_an_error()
    {
        var seen = await RunAsync(probe, Dns("missing.test"));

        Assert.Null(seen.Error);
        Assert.Equal("NXDOMAIN", seen.DnsRcode);
        Assert.Equal("", seen.Body);
        Assert.Null(seen.Ip);
    }

    [Fact]
    public async Task Expected_answers_present_pass()
    {
        var seen = await RunAsync(probe, Dns("app.test", ["10.0.0.2", "10.0.0.1"]));

        Assert.Empty(seen.BuiltInFailures);
    }

    [Fact]
    public async Task An_expected_answer_missing_is_a_built_in_failure()
    {
        var seen = await RunAsync(probe, Dns("app.test", ["10.0.0.1", "10.0.0.9"]));

        Assert.Equal(["expected answer '10.0.0.9' not in [10.0.0.1, 10.0.0.2]"], seen.BuiltInFailures);
    }

    [Fact]
    public async Task A_server_that_never_answers_is_abandoned_at_the_timeout()
    {
        var started = Stopwatch.StartNew();

        var seen = await RunAsync(probe, Dns("silent.test", timeout: TimeSpan.FromMilliseconds(500)));

        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.NotNull(seen.Error);
        Assert.Null(seen.DnsRcode);
    }

    [Fact]
    public async Task An_unknown_record_type_is_an_error()
    {
        var seen = await RunAsync(probe, Dns("app.test", type: "BOGUS"));

        Assert.Equal("unknown record type 'BOGUS'", seen.Error);
    }
}
