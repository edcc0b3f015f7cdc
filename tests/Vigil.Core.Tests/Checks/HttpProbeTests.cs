using System.Net;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Time.Testing;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;
using static Vigil.Core.Tests.Checks.ProbeTestSupport;

namespace Vigil.Core.Tests.Checks;

/// <summary>A real Kestrel on 127.0.0.1 serving HTTP and HTTPS (self-signed, expiry known), counting connections.</summary>
public sealed class HttpTestServer : IAsyncLifetime
{
    private WebApplication? app;
    private int connections;

    public static readonly DateTimeOffset NotAfter = new(DateTimeOffset.UtcNow.AddDays(42).Date, TimeSpan.Zero);

    /// <summary>The expiry of the certificate on a second HTTPS port of the same host.</summary>
    public static readonly DateTimeOffset OtherNotAfter = NotAfter.AddDays(50);

    public string Http { get; private set; } = "";
    public string Https { get; private set; } = "";
    public string OtherHttps { get; private set; } = "";
    public int Connections => Volatile.Read(ref connections);

    public async ValueTask InitializeAsync()
    {
        var certificate = CreateCertificate();
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.Use(next => async connection =>
            {
                Interlocked.Increment(ref connections);
                await next(connection);
            }));
            kestrel.Listen(IPAddress.Loopback, 0, listen =>
            {
                listen.Use(next => async connection =>
                {
                    Interlocked.Increment(ref connections);
                    await next(connection);
                });
                listen.UseHttps(certificate);
            });
            kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(CreateCertificate(OtherNotAfter)));
        });
        app = builder.Build();
        app.MapGet("/ok", (HttpContext context) =>
        {
            context.Response.Headers["X-Probe"] = "seen";
            return Results.Text("hello world", "text/plain");
        });
        app.MapMethods("/echo", ["POST", "PUT", "GET"], async (HttpContext context) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var body = await reader.ReadToEndAsync();
            return Results.Text($"{context.Request.Method} {context.Request.Headers["X-Token"]} {context.Request.ContentType} {body}");
        });
        app.MapGet("/redirect", () => Results.Redirect("/ok"));
        app.MapGet("/status/{code:int}", (int code) => Results.StatusCode(code));
        app.MapGet("/big", () => Results.Text(new string('x', HttpProbe.MaxBodyBytes + 5000)));
        app.MapGet("/hang", async (HttpContext context) =>
        {
            await Task.Delay(Timeout.Infinite, context.RequestAborted);
            return Results.Ok();
        });
        await app.StartAsync();
        var urls = app.Urls.ToList();
        Http = urls[0];
        Https = urls[1];
        OtherHttps = urls[2];
    }

    public static X509Certificate2 CreateCertificate() => CreateCertificate(NotAfter);

    public static X509Certificate2 CreateCertificate(DateTimeOffset notAfter)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=localhost", key, HashAlgorithmName.SHA256);
        var san = new SubjectAlternativeNameBuilder();
        san.AddDnsName("localhost");
        san.AddIpAddress(IPAddress.Loopback);
        request.CertificateExtensions.Add(san.Build());
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension([new Oid("1.3.6.1.5.5.7.3.1")], false));
        using var created = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), notAfter);
        return X509CertificateLoader.LoadPkcs12(created.Export(X509ContentType.Pfx), null);
    }

    public async ValueTask DisposeAsync()
    {
        if (app is not null) await app.DisposeAsync();
    }
}

public sealed class HttpProbeTests(HttpTestServer server) : IClassFixture<HttpTestServer>, IDisposable
{
    private readonly HttpProbe probe = new();

    public void Dispose() => probe.Dispose();

    private static Check Http(string url, Func<HttpCheckSpec, HttpCheckSpec>? configure = null, TimeSpan? timeout = null)
    {
        var spec = new HttpCheckSpec { Url = url };
        return Make(configure is null ? spec : configure(spec), timeout);
    }

    [Fact]
    public async Task Get_reports_status_body_headers_time_and_remote_address()
    {
        var seen = await RunAsync(probe, Http(server.Http + "/ok"));

        Assert.Null(seen.Error);
        Assert.True(seen.Connected);
        Assert.Equal(200, seen.Status);
        Assert.Equal("hello world", seen.Body);
        Assert.Equal("seen", seen.Headers["x-probe"]);
        Assert.StartsWith("text/plain", seen.Headers["Content-Type"], StringComparison.Ordinal);
        Assert.Equal("127.0.0.1", seen.Ip);
        Assert.True(seen.ResponseTime > TimeSpan.Zero);
        Assert.Null(seen.CertificateExpiration);
        Assert.Empty(seen.BuiltInFailures);
    }

    [Fact]
    public async Task Method_headers_and_body_are_sent()
    {
        var seen = await RunAsync(probe, Http(server.Http + "/echo", s => s with
        {
            Method = "POST",
            Headers = new Dictionary<string, string> { ["X-Token"] = "abc", ["Content-Type"] = "application/json" },
            Body = "{\"a\":1}",
        }));

        Assert.Null(seen.Error);
        Assert.Equal("POST abc application/json {\"a\":1}", seen.Body);
    }

    [Fact]
    public async Task Error_status_is_reported_not_thrown()
    {
        var seen = await RunAsync(probe, Http(server.Http + "/status/503"));

        Assert.Null(seen.Error);
        Assert.True(seen.Connected);
        Assert.Equal(503, seen.Status);
    }

    [Fact]
    public async Task Redirects_are_followed_by_default()
    {
        var seen = await RunAsync(probe, Http(server.Http + "/redirect"));

        Assert.Equal(200, seen.Status);
        Assert.Equal("hello world", seen.Body);
    }

    [Fact]
    public async Task Redirects_are_reported_as_is_when_follow_redirects_is_off()
    {
        var seen = await RunAsync(probe, Http(server.Http + "/redirect", s => s with { FollowRedirects = false }));

        Assert.Equal(302, seen.Status);
        Assert.EndsWith("/ok", seen.Headers["Location"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task Https_with_verification_off_reports_the_certificate_expiry()
    {
        var now = HttpTestServer.NotAfter.AddDays(-30);
        var time = new FakeTimeProvider(now);

        var seen = await RunAsync(probe, Http(server.Https + "/ok", s => s with { VerifyTls = false }), Context(time: time));

        Assert.Null(seen.Error);
        Assert.Equal(200, seen.Status);
        Assert.NotNull(seen.CertificateExpiration);
        Assert.InRange(seen.CertificateExpiration.Value, TimeSpan.FromDays(30) - TimeSpan.FromSeconds(1), TimeSpan.FromDays(30) + TimeSpan.FromSeconds(1));
    }

    [Fact]
    public async Task Https_certificate_expiry_is_reported_on_a_reused_connection_too()
    {
        var check = Http(server.Https + "/ok", s => s with { VerifyTls = false });
        var before = server.Connections;

        var first = await RunAsync(probe, check);
        var second = await RunAsync(probe, check);

        Assert.Equal(1, server.Connections - before);
        Assert.NotNull(first.CertificateExpiration);
        Assert.NotNull(second.CertificateExpiration);
    }

    [Fact]
    public async Task Two_https_ports_of_one_host_each_report_their_own_certificate()
    {
        var time = new FakeTimeProvider(HttpTestServer.NotAfter.AddDays(-30));

        var first = await RunAsync(probe, Http(server.Https + "/ok", s => s with { VerifyTls = false }), Context(time: time));
        var other = await RunAsync(probe, Http(server.OtherHttps + "/ok", s => s with { VerifyTls = false }), Context(time: time));
        var again = await RunAsync(probe, Http(server.Https + "/ok", s => s with { VerifyTls = false }), Context(time: time));

        Assert.Equal(TimeSpan.FromDays(30), first.CertificateExpiration);
        Assert.Equal(TimeSpan.FromDays(80), other.CertificateExpiration);
        Assert.Equal(TimeSpan.FromDays(30), again.CertificateExpiration);
    }

    [Fact]
    public async Task Https_with_an_untrusted_certificate_is_an_error_when_verification_is_on()
    {
        var seen = await RunAsync(probe, Http(server.Https + "/ok"));

        Assert.False(seen.Connected);
        Assert.Null(seen.Status);
        Assert.NotNull(seen.Error);
        Assert.Contains("certificate", seen.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Connections_are_reused_between_probes_by_default()
    {
        var check = Http(server.Http + "/ok");
        var before = server.Connections;

        for (var i = 0; i < 5; i++) Assert.Equal(200, (await RunAsync(probe, check)).Status);

        Assert.Equal(1, server.Connections - before);
    }

    [Fact]
    public async Task Fresh_connection_opens_a_new_connection_for_every_probe()
    {
        var check = Http(server.Http + "/ok", s => s with { FreshConnection = true });
        var before = server.Connections;

        for (var i = 0; i < 5; i++) Assert.Equal(200, (await RunAsync(probe, check)).Status);

        Assert.Equal(5, server.Connections - before);
    }

    [Fact]
    public async Task Fresh_https_connection_still_reports_the_certificate()
    {
        var check = Http(server.Https + "/ok", s => s with { FreshConnection = true, VerifyTls = false });

        var seen = await RunAsync(probe, check);

        Assert.Equal(200, seen.Status);
        Assert.NotNull(seen.CertificateExpiration);
    }

    [Fact]
    public async Task Body_is_read_up_to_one_megabyte_and_the_truncation_noted()
    {
        var seen = await RunAsync(probe, Http(server.Http + "/big"));

        Assert.Equal(200, seen.Status);
        Assert.Equal(HttpProbe.MaxBodyBytes, seen.Body!.Length);
        Assert.Contains(seen.Facts, f => f.Contains("truncated", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_hanging_server_is_abandoned_at_the_timeout()
    {
        var started = DateTime.UtcNow;

        var seen = await RunAsync(probe, Http(server.Http + "/hang", timeout: TimeSpan.FromMilliseconds(300)));

        Assert.InRange(DateTime.UtcNow - started, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Equal("timed out after 300ms", seen.Error);
        Assert.Null(seen.Status);
    }

    [Fact]
    public async Task A_refused_connection_is_an_error_not_an_exception()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();

        var seen = await RunAsync(probe, Http($"http://127.0.0.1:{port}/"));

        Assert.False(seen.Connected);
        Assert.NotNull(seen.Error);
        Assert.Contains("refused", seen.Error, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Credentials_in_the_url_never_appear_in_messages()
    {
        var seen = await RunAsync(probe, Http(server.Http.Replace("http://", "http://user:s3cret@", StringComparison.Ordinal) + "/ok"));

        Assert.DoesNotContain(seen.Facts, f => f.Contains("s3cret", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_registry_has_a_probe_for_every_kind_but_heartbeat()
    {
        await using var probes = new CheckProbes();

        foreach (var kind in Enum.GetValues<CheckKind>())
        {
            if (kind == CheckKind.Heartbeat) Assert.False(probes.ContainsKey(kind));
            else Assert.Equal(kind, probes[kind].Kind);
        }
    }
}
