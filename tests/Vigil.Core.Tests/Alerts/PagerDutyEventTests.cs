using System.Text;
using Vigil.Core.Alerts.Inbound;

namespace Vigil.Core.Tests.Alerts;

public sealed class PagerDutyEventTests
{
    private static PagerDutyEvent? Parse(string json, out List<string> errors) => PagerDutyEvents.Parse(Encoding.UTF8.GetBytes(json), out errors);

    [Fact]
    public void A_full_trigger_keeps_every_field_and_the_json_of_details_links_and_images()
    {
        var e = Parse("""
            {
              "routing_key": "0123456789abcdef0123",
              "event_action": "trigger",
              "dedup_key": "disk/web-01",
              "client": "Sentry", "client_url": "https://sentry.example.com",
              "payload": {
                "summary": "Disk 95% full on web-01",
                "source": "web-01",
                "severity": "critical",
                "timestamp": "2026-11-23T02:00:00.000+01:00",
                "component": "disk", "group": "web", "class": "capacity",
                "custom_details": { "free": "1.2 GB", "mounts": ["/", "/var"] },
                "unknown_field": [1, 2, 3]
              },
              "links": [{ "href": "https://grafana.example.com/d/1", "text": "Dashboard" }],
              "images": [{ "src": "https://example.com/graph.png", "alt": "usage" }],
              "extra": { "ignored": true }
            }
            """, out var errors);
        Assert.Empty(errors);
        Assert.NotNull(e);
        Assert.Equal(("0123456789abcdef0123", PagerDutyAction.Trigger, "disk/web-01"), (e.RoutingKey, e.Action, e.DedupKey));
        Assert.Equal(("Disk 95% full on web-01", "web-01", "critical"), (e.Summary, e.Source, e.Severity));
        Assert.Equal(new DateTimeOffset(2026, 11, 23, 1, 0, 0, TimeSpan.Zero), e.Timestamp);
        Assert.Equal(("disk", "web", "capacity", "Sentry", "https://sentry.example.com"), (e.Component, e.Group, e.Class, e.Client, e.ClientUrl));
        Assert.Equal("""{ "free": "1.2 GB", "mounts": ["/", "/var"] }""", e.CustomDetails);
        Assert.Equal("""[{ "href": "https://grafana.example.com/d/1", "text": "Dashboard" }]""", e.Links);
        Assert.StartsWith("""[{ "src": """, e.Images);
    }

    [Fact]
    public void Acknowledge_and_resolve_need_only_the_key_the_action_and_the_dedup_key()
    {
        var e = Parse("""{"routing_key":"k0123456789abcdef","event_action":"resolve","dedup_key":"abc"}""", out var errors);
        Assert.Empty(errors);
        Assert.Equal((PagerDutyAction.Resolve, "abc"), (e!.Action, e.DedupKey));
        Assert.Null(e.Summary);
    }

    [Theory]
    [InlineData("""{"event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info"}}""", "'routing_key' is missing or blank")]
    [InlineData("""{"routing_key":"k","payload":{"summary":"s","source":"h","severity":"info"}}""", "'event_action' is missing")]
    [InlineData("""{"routing_key":"k","event_action":"page"}""", "'event_action' must be trigger, acknowledge or resolve, not 'page'")]
    [InlineData("""{"routing_key":"k","event_action":"trigger"}""", "'payload' is missing")]
    [InlineData("""{"routing_key":"k","event_action":"trigger","payload":{"source":"h","severity":"info"}}""", "'payload.summary' is missing or blank")]
    [InlineData("""{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","severity":"info"}}""", "'payload.source' is missing or blank")]
    [InlineData("""{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h"}}""", "'payload.severity' is missing")]
    [InlineData("""{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"fatal"}}""", "'payload.severity' must be critical, error, warning or info, not 'fatal'")]
    [InlineData("""{"routing_key":"k","event_action":"trigger","payload":{"summary":"s","source":"h","severity":"info","timestamp":"yesterday"}}""", "'payload.timestamp' is not an ISO 8601 time: 'yesterday'")]
    [InlineData("""{"routing_key":"k","event_action":"acknowledge"}""", "'dedup_key' is required to acknowledge an alert")]
    [InlineData("""{"routing_key":"k","event_action":"trigger","payload":"text"}""", "'payload' must be an object")]
    [InlineData("""{"routing_key":"k","event_action":"resolve","dedup_key":"d","links":{"href":"x"}}""", "'links' must be an array")]
    [InlineData("""{"routing_key":{"a":1},"event_action":"resolve","dedup_key":"d"}""", "'routing_key' must be a string")]
    [InlineData("""[1,2]""", "the body must be a JSON object")]
    public void An_invalid_event_says_exactly_what_is_wrong(string json, string expected)
    {
        Assert.Null(Parse(json, out var errors));
        Assert.Contains(expected, errors);
    }

    [Fact]
    public void Every_problem_is_reported_at_once_and_broken_json_is_one_error()
    {
        Assert.Null(Parse("""{"event_action":"trigger","payload":{"severity":"bad"}}""", out var errors));
        Assert.Equal(4, errors.Count);
        Assert.Null(Parse("""{"routing_key": "k", "event_action": """, out var broken));
        Assert.StartsWith("the body is not valid JSON", Assert.Single(broken));
        Assert.Null(Parse("", out var empty));
        Assert.Single(empty);
    }

    [Fact]
    public void Limits_are_enforced_on_summary_and_dedup_key()
    {
        var summary = new string('s', PagerDutyEvents.MaxSummary + 1);
        Assert.Null(Parse($$$"""{"routing_key":"k","event_action":"trigger","payload":{"summary":"{{{summary}}}","source":"h","severity":"info"}}""", out var errors));
        Assert.Contains("'payload.summary' is longer than 1024 characters", errors);
        var dedup = new string('d', PagerDutyEvents.MaxDedupKey + 1);
        Assert.Null(Parse($$"""{"routing_key":"k","event_action":"resolve","dedup_key":"{{dedup}}"}""", out errors));
        Assert.Contains("'dedup_key' is longer than 255 characters", errors);
    }
}
