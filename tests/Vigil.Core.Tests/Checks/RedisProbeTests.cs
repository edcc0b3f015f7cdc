using System.Diagnostics;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;
using static Vigil.Core.Tests.Checks.ProbeTestSupport;

namespace Vigil.Core.Tests.Checks;

/// <summary>
/// The redis probe on a real server named by <c>VIGIL_TEST_REDIS</c> (redis://127.0.0.1:6379; CI starts Debian's
/// redis-server). Without it, the tests that need it are reported as skipped, never as passed.
/// </summary>
public sealed class RedisProbeTests : IAsyncDisposable
{
    private const string Variable = "VIGIL_TEST_REDIS";
    private readonly RedisProbe probe = new();
    private readonly string key = "vigil-test:" + Guid.NewGuid().ToString("N");

    public async ValueTask DisposeAsync()
    {
        var url = Environment.GetEnvironmentVariable(Variable);
        if (!string.IsNullOrWhiteSpace(url)) await RunAsync(probe, Make(new RedisCheckSpec(url, $"DEL {key}")));
        await probe.DisposeAsync();
    }

    private static string Server()
    {
        var url = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(url)) Assert.Skip($"{Variable} is not set: Redis probe tests skipped");
        return url;
    }

    private Task<Observation> Redis(string url, string? command, TimeSpan? timeout = null) =>
        RunAsync(probe, Make(new RedisCheckSpec(url, command), timeout));

    [Fact]
    public async Task Ping_by_default_answers_PONG()
    {
        var seen = await Redis(Server(), null);

        Assert.Null(seen.Error);
        Assert.True(seen.Connected);
        Assert.Equal("PONG", seen.Body);
    }

    [Fact]
    public async Task A_command_reply_becomes_the_body_and_the_value_when_numeric()
    {
        var url = Server();
        await Redis(url, $"RPUSH {key} a b c");

        var seen = await Redis(url, $"LLEN {key}");

        Assert.Null(seen.Error);
        Assert.Equal("3", seen.Body);
        Assert.Equal(3, seen.Value);
    }

    [Fact]
    public async Task Quoted_arguments_are_kept_whole()
    {
        var url = Server();
        await Redis(url, $"SET {key} \"hello world\"");

        var seen = await Redis(url, $"GET {key}");

        Assert.Equal("hello world", seen.Body);
        Assert.Null(seen.Value);
    }

    [Fact]
    public async Task The_database_in_the_url_is_used()
    {
        var url = Server().TrimEnd('/');
        await Redis(url + "/3", $"SET {key} in-three");

        var inThree = await Redis(url + "/3", $"GET {key}");
        var inZero = await Redis(url + "/0", $"EXISTS {key}");
        await Redis(url + "/3", $"DEL {key}");

        Assert.Equal("in-three", inThree.Body);
        Assert.Equal(0, inZero.Value);
    }

    [Fact]
    public async Task An_error_reply_is_an_error_after_connecting()
    {
        var seen = await Redis(Server(), "NOSUCHCOMMAND x");

        Assert.True(seen.Connected);
        Assert.StartsWith("redis error: ", seen.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_server_that_is_down_is_an_error_within_the_timeout_without_the_password()
    {
        var started = Stopwatch.StartNew();

        var seen = await Redis("redis://:Sup3rSecret@127.0.0.1:1", null, TimeSpan.FromSeconds(1));

        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(6));
        Assert.False(seen.Connected);
        Assert.NotNull(seen.Error);
        Assert.DoesNotContain("Sup3rSecret", seen.Error, StringComparison.Ordinal);
    }

    [Fact]
    public void Urls_carry_user_password_database_and_tls()
    {
        Assert.True(RedisProbe.TryParseUrl("rediss://app:p%40ss@cache.example:6380/2", TimeSpan.FromSeconds(3), out var options, out var db, out var password));

        Assert.True(options.Ssl);
        Assert.Equal("app", options.User);
        Assert.Equal("p@ss", options.Password);
        Assert.Equal("p@ss", password);
        Assert.Equal(2, db);
        Assert.Equal(3000, options.ConnectTimeout);
        Assert.False(options.AbortOnConnectFail);
        Assert.False(RedisProbe.TryParseUrl("http://cache.example", TimeSpan.FromSeconds(3), out _, out _, out _));
    }
}
