using System.Net;
using System.Text.Json;
using Vigil.Web.Demo;

namespace Vigil.Web.Tests;

public sealed class DemoTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public void The_storefront_fails_for_40_seconds_every_3_minutes_starting_within_a_minute()
    {
        Assert.False(DemoTimeline.StorefrontFailing(TimeSpan.FromSeconds(29)));
        Assert.True(DemoTimeline.StorefrontFailing(TimeSpan.FromSeconds(30)));
        Assert.True(DemoTimeline.StorefrontFailing(TimeSpan.FromSeconds(69)));
        Assert.False(DemoTimeline.StorefrontFailing(TimeSpan.FromSeconds(70)));
        Assert.True(DemoTimeline.StorefrontFailing(TimeSpan.FromSeconds(180 + 45)));
        var failing = Enumerable.Range(0, 180).Count(s => DemoTimeline.StorefrontFailing(TimeSpan.FromSeconds(s)));
        Assert.Equal(40, failing);
    }

    [Fact]
    public void The_checkout_slows_past_its_warn_threshold_and_recovers()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(40), DemoTimeline.CheckoutLatency(TimeSpan.FromSeconds(10)));
        Assert.True(DemoTimeline.CheckoutLatency(TimeSpan.FromSeconds(80)) > TimeSpan.FromMilliseconds(500));
        Assert.True(DemoTimeline.CheckoutLatency(TimeSpan.FromSeconds(89)) < TimeSpan.FromSeconds(2));
        Assert.Equal(TimeSpan.FromMilliseconds(40), DemoTimeline.CheckoutLatency(TimeSpan.FromSeconds(95)));
        Assert.True(DemoTimeline.CheckoutLatency(TimeSpan.FromSeconds(150 + 80)) > TimeSpan.FromMilliseconds(500));
    }

    [Fact]
    public void The_worker_skips_three_minutes_of_every_ten_so_its_heartbeat_goes_late()
    {
        var pings = Enumerable.Range(0, 10).Select(m => DemoTimeline.WorkerPings(TimeSpan.FromMinutes(m) + TimeSpan.FromSeconds(1))).ToList();
        Assert.Equal([true, true, true, true, true, false, false, false, true, true], pings);
    }

    [Fact]
    public async Task Serve_does_not_run_the_simulated_services()
    {
        await using var host = await TestHost.StartAsync();
        Assert.Equal(HttpStatusCode.NotFound, (await host.Client.GetAsync("/demo/storefront/health", Ct)).StatusCode);
    }

    [Fact]
    public async Task The_demo_on_any_port_checks_its_own_simulated_services_and_the_worker_pings()
    {
        await using var vigil = VigilProcess.Start(new Dictionary<string, string?>(), "demo", "--urls", "http://127.0.0.1:0");
        var address = await vigil.WaitForAddressAsync();
        Assert.NotEqual(5080, address.Port);
        using var client = new HttpClient { BaseAddress = address };

        using (var storefront = await client.GetAsync("/demo/storefront/health", Ct))
        {
            Assert.Contains(storefront.StatusCode, new[] { HttpStatusCode.OK, HttpStatusCode.ServiceUnavailable });
            Assert.Contains("\"status\"", await storefront.Content.ReadAsStringAsync(Ct));
        }
        using (var checkout = await client.GetAsync("/demo/checkout/health", Ct)) Assert.Equal(HttpStatusCode.OK, checkout.StatusCode);

        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(vigil.Output.Contains("Bearer vgl_", StringComparison.Ordinal))));
        var token = System.Text.RegularExpressions.Regex.Match(vigil.Output, "Bearer (vgl_[A-Za-z0-9_-]+)").Groups[1].Value;
        client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        var service = JsonDocument.Parse(await client.GetStringAsync("/api/v1/services/storefront", Ct)).RootElement;
        var target = service.GetProperty("checks")[0].GetProperty("target").GetString();
        Assert.Equal($"GET http://127.0.0.1:{address.Port}/demo/storefront/health", target);
        var worker = JsonDocument.Parse(await client.GetStringAsync("/api/v1/services/order-worker", Ct)).RootElement;
        Assert.Equal($"http://127.0.0.1:{address.Port}/ping/demo-order-worker", worker.GetProperty("checks")[0].GetProperty("ping_url").GetString());

        // The simulated worker pings at once, over HTTP, like a real job; the engine probes the simulated services.
        async Task<string?> StatusAsync(string svc) =>
            JsonDocument.Parse(await client.GetStringAsync($"/api/v1/services/{svc}", Ct)).RootElement.GetProperty("checks")[0].GetProperty("status").GetString();
        Assert.True(await TestHost.EventuallyAsync(async () => await StatusAsync("order-worker") == "up", TimeSpan.FromSeconds(60)), vigil.Output);
        Assert.True(await TestHost.EventuallyAsync(async () => await StatusAsync("storefront") is "up" or "down", TimeSpan.FromSeconds(60)), vigil.Output);
        Assert.True(await TestHost.EventuallyAsync(async () => await StatusAsync("checkout") is "up" or "degraded", TimeSpan.FromSeconds(60)), vigil.Output);
    }
}
