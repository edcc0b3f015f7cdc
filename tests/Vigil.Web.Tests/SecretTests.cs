using System.Net.Http.Headers;
using System.Text.Json;

namespace Vigil.Web.Tests;

/// <summary>A secret from ${…} never shows in an API response, the audit log or a log line.</summary>
public sealed class SecretTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private const string Secret = "s3cr3t-webhook-token-9f8e7d";

    private const string Workspace = """
        name: Secret Team
        severities:
          - { id: P1, name: Critical }
        users:
          - { id: lead, email: lead@example.com, webhook: "https://hooks.example.com/lead/${WEBHOOK_SECRET}", role: admin }
        channels:
          - { id: ops, type: webhook, url: "https://hooks.example.com/services/${WEBHOOK_SECRET}" }
          - { id: chat, type: slack, url: "https://chat.example.com/hooks/${WEBHOOK_SECRET}" }
        services:
          - id: backend
            notify: [ops, chat]
            checks:
              - id: health
                http: { url: "http://127.0.0.1:9/health?token=${WEBHOOK_SECRET}", headers: { Authorization: "Bearer ${WEBHOOK_SECRET}" } }
                conditions: ["[STATUS] == 200"]
        integrations:
          - { id: sentry, type: pagerduty, service: backend, key: "${WEBHOOK_SECRET}" }
        """;

    [Fact]
    public async Task A_secret_in_a_webhook_url_never_appears_in_any_api_response_or_log_line()
    {
        var dir = Directory.CreateTempSubdirectory("vigil-secret-").FullName;
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), Workspace, Ct);
        var env = new Dictionary<string, string?> { ["WEBHOOK_SECRET"] = Secret, ["VIGIL_BOOTSTRAP_TOKEN"] = TestHost.BootstrapToken };
        await using var vigil = VigilProcess.Start(env, "serve", "--workspace", dir, "--urls", "http://127.0.0.1:0");
        var baseUri = await vigil.WaitForAddressAsync();
        using var client = new HttpClient { BaseAddress = baseUri };
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", TestHost.BootstrapToken);

        var bodies = new List<string>();
        foreach (var path in new[] { "/api/v1/services", "/api/v1/services/backend", "/api/v1/workspace", "/openapi/v1.json", "/metrics", "/health" })
        {
            bodies.Add(await client.GetStringAsync(path, Ct));
        }

        // A bad edit whose error would quote the secret: the error is shown, the secret is not.
        await File.WriteAllTextAsync(Path.Combine(dir, "vigil.yaml"), Workspace.Replace("conditions:", "interval: \"${WEBHOOK_SECRET}\"\n        conditions:", StringComparison.Ordinal), Ct);
        string workspace = "";
        Assert.True(await TestHost.EventuallyAsync(async () =>
        {
            workspace = await client.GetStringAsync("/api/v1/workspace", Ct);
            return workspace.Contains("is not a duration", StringComparison.Ordinal);
        }), "the bad edit was never reported");
        bodies.Add(workspace);
        bodies.Add(await client.GetStringAsync("/api/v1/audit", Ct));

        // Mutations and denials write audit records and logs too.
        await client.PostAsync("/api/v1/workspace/reload", null, Ct);
        using (var anonymous = new HttpClient { BaseAddress = baseUri }) await anonymous.GetAsync($"/api/v1/services?x={Secret}", Ct);
        bodies.Add(await client.GetStringAsync("/api/v1/audit", Ct));

        Assert.True(await TestHost.EventuallyAsync(() => Task.FromResult(vigil.Output.Contains("Workspace edit rejected", StringComparison.Ordinal))));
        foreach (var body in bodies) Assert.DoesNotContain(Secret, body);
        Assert.DoesNotContain(Secret, vigil.Output);
        Assert.Contains("***", workspace);

        // The check is still shown; a value built from ${…} is a secret as a whole.
        using var doc = JsonDocument.Parse(bodies[1]);
        Assert.Equal("GET ***", doc.RootElement.GetProperty("checks")[0].GetProperty("target").GetString());
    }
}
