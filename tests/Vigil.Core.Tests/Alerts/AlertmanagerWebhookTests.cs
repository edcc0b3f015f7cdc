using System.Text;
using Vigil.Core.Alerts.Inbound;

namespace Vigil.Core.Tests.Alerts;

public sealed class AlertmanagerWebhookTests
{
    private static AlertmanagerNotification? Parse(string json, out List<string> errors) => AlertmanagerWebhook.Parse(Encoding.UTF8.GetBytes(json), out errors);

    // As Alertmanager 0.25 sends it: one group with a firing and a resolved alert.
    private const string Group = """
        {
          "receiver": "vigil",
          "status": "firing",
          "alerts": [
            {
              "status": "firing",
              "labels": { "alertname": "HighErrorRate", "severity": "critical", "service": "backend" },
              "annotations": { "summary": "5xx above 5%", "description": "for 10 minutes", "runbook_url": "https://wiki.example.com/runbooks/backend#high-error-rate" },
              "startsAt": "2026-11-23T01:00:00.123Z",
              "endsAt": "0001-01-01T00:00:00Z",
              "generatorURL": "http://prometheus:9090/graph?g0.expr=...",
              "fingerprint": "a1b2c3d4e5f60718"
            },
            {
              "status": "resolved",
              "labels": { "alertname": "DiskFull", "severity": "warning" },
              "annotations": {},
              "startsAt": "2026-11-23T00:00:00Z",
              "endsAt": "2026-11-23T00:30:00Z",
              "generatorURL": "",
              "fingerprint": "0f0e0d0c0b0a0908"
            }
          ],
          "groupLabels": { "alertname": "HighErrorRate" },
          "commonLabels": {},
          "commonAnnotations": {},
          "externalURL": "http://alertmanager:9093",
          "version": "4",
          "groupKey": "{}:{alertname=\"HighErrorRate\"}",
          "truncatedAlerts": 0
        }
        """;

    [Fact]
    public void A_group_with_firing_and_resolved_alerts_is_read_whole()
    {
        var n = Parse(Group, out var errors);
        Assert.Empty(errors);
        Assert.NotNull(n);
        Assert.Equal(("4", "vigil", "http://alertmanager:9093", 0), (n.Version, n.Receiver, n.ExternalUrl, n.TruncatedAlerts));
        Assert.Equal("{}:{alertname=\"HighErrorRate\"}", n.GroupKey);
        Assert.Equal(2, n.Alerts.Count);
        var firing = n.Alerts[0];
        Assert.True(firing.Firing);
        Assert.Equal("a1b2c3d4e5f60718", firing.Fingerprint);
        Assert.Equal("critical", firing.Labels["severity"]);
        Assert.Equal(("5xx above 5%", "for 10 minutes", "https://wiki.example.com/runbooks/backend#high-error-rate"), (firing.Summary, firing.Description, firing.RunbookUrl));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 1, 0, 0, 123, TimeSpan.Zero), firing.StartsAt);
        Assert.Null(firing.EndsAt); // the zero time means "not set"
        var resolved = n.Alerts[1];
        Assert.False(resolved.Firing);
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 0, 30, 0, TimeSpan.Zero), resolved.EndsAt);
        Assert.Null(resolved.Summary);
    }

    [Theory]
    [InlineData("""{"version":"3","alerts":[]}""", "'version' is \"3\": Vigil reads Alertmanager's webhook payload version \"4\"")]
    [InlineData("""{"alerts":[]}""", "'version' is missing: Vigil reads Alertmanager's webhook payload version \"4\"")]
    [InlineData("""{"version":"4"}""", "'alerts' is missing")]
    [InlineData("""{"version":"4","alerts":{}}""", "'alerts' must be an array")]
    [InlineData("""{"version":"4","alerts":[{"status":"pending","fingerprint":"f"}]}""", "'alerts[0].status' must be firing or resolved")]
    [InlineData("""{"version":"4","alerts":[{"status":"firing"}]}""", "'alerts[0].fingerprint' is missing")]
    [InlineData("""{"version":"4","alerts":[{"status":"firing","fingerprint":"f"},{"status":"firing","fingerprint":"g","labels":{"n":1}}]}""", "'alerts[1].labels.n' must be a string")]
    [InlineData("""{"version":"4","alerts":[{"status":"firing","fingerprint":"f","startsAt":"soon"}]}""", "'alerts[0].startsAt' is not an RFC 3339 time: 'soon'")]
    [InlineData("""{"version":"4","alerts":[7]}""", "'alerts[0]' must be an object")]
    [InlineData("""{"version":"4","alerts":[""", "the body is not valid JSON")]
    public void An_invalid_notification_says_exactly_what_is_wrong(string json, string expected)
    {
        Assert.Null(Parse(json, out var errors));
        Assert.Contains(errors, e => e.StartsWith(expected, StringComparison.Ordinal));
    }
}
