using Vigil.Core.Alerts.Inbound;
using Vigil.Core.Tests.Workspace;
using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Alerts;

public sealed class SeverityMappingTests
{
    private static readonly WorkspaceModel W = TestWorkspace.Valid("""
        name: Test
        severities:
          - { id: P1, respond_within: 15m, page: true }
          - { id: P2, respond_within: 1h, page: true }
          - { id: P3, respond_within: 4h, page: false }
          - { id: P4, page: false }
        services: [{ id: backend }]
        integrations:
          - { id: pd, type: pagerduty, service: backend }
          - { id: am, type: alertmanager, service: backend, severity: P2, severity_map: { page: P1, ticket: P3 }, severity_label: priority, rate_limit: 600/m }
        """);

    [Theory]
    [InlineData("critical", "P1")]
    [InlineData("error", "P2")]
    [InlineData("warning", "P3")]
    [InlineData("info", "P4")]
    [InlineData("CRITICAL", "P1")]
    [InlineData("P2", "P2")] // a workspace level passes through
    [InlineData("bogus", "P4")] // unknown: the least severe
    [InlineData(null, "P4")]
    public void PagerDuty_severities_map_onto_the_workspace_levels(string? sent, string expected) =>
        Assert.Equal(expected, SeverityMapping.Resolve(W, W.Integrations[0], sent));

    [Theory]
    [InlineData("page", "P1")]
    [InlineData("ticket", "P3")]
    [InlineData("critical", "P1")]
    [InlineData("bogus", "P2")] // the integration's own default
    public void The_integration_map_wins_and_its_severity_is_the_fallback(string sent, string expected) =>
        Assert.Equal(expected, SeverityMapping.Resolve(W, W.Integrations[1], sent));

    [Fact]
    public void Integration_settings_are_read()
    {
        var am = W.Integrations[1];
        Assert.Equal("priority", am.SeverityLabel);
        Assert.Equal(10, am.RateLimit);
        Assert.Equal("severity", W.Integrations[0].SeverityLabel);
        Assert.Null(W.Integrations[0].RateLimit);
    }

    [Theory]
    [InlineData("rate_limit: fast", "is not a rate")]
    [InlineData("rate_limit: 0/s", "is not a rate")]
    [InlineData("severity_map: { critical: P9 }", "no severity 'P9'")]
    public void Bad_integration_settings_are_errors(string entry, string expected)
    {
        var errors = TestWorkspace.Errors($$"""
            name: Test
            severities: [{ id: P1 }]
            services: [{ id: backend }]
            integrations:
              - { id: pd, type: pagerduty, service: backend, {{entry}} }
            """);
        Assert.Contains(errors, e => e.Contains(expected));
    }
}
