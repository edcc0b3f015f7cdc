using Vigil.Core.Notifications;
using Vigil.Core.Tests.Workspace;

namespace Vigil.Core.Tests.Notifications;

public sealed class MessageTemplateTests
{
    private static string Render(string template) => MessageTemplates.Render(template, MessageTemplates.SampleMessage);

    [Fact]
    public void A_template_sees_the_message_as_a_webhook_gets_it_with_times_as_times()
    {
        Assert.Equal("P1 backend: Backend is down, [STATUS] (503) == 200, since 09:00 on Tue 24 Nov",
            Render("{{ incident.severity }} {{ incident.service }}: {{ incident.title }}, {{ incident.summary }}, since {{ incident.opened_at | date: \"%H:%M on %a %d %b\" }}"));
        Assert.Equal("db-upgrade:db;", Render("{% for m in handoff.maintenance %}{{ m.id }}:{{ m.services | join: \",\" }};{% endfor %}"));
        Assert.Equal("", Render("{{ nothing.here }}"));
    }

    [Fact]
    public void The_json_filter_makes_a_webhook_body_template_safe_for_quotes_and_newlines()
    {
        var body = MessageTemplates.Render("""{"title": {{ incident.title | json }}, "id": {{ incident.id | json }}, "none": {{ nothing | json }}}""",
            MessageTemplates.SampleMessage.Replace("Backend is down", "Backend \\\"api\\\" is\\ndown", StringComparison.Ordinal));
        using var doc = System.Text.Json.JsonDocument.Parse(body);
        Assert.Equal("Backend \"api\" is\ndown", doc.RootElement.GetProperty("title").GetString());
        Assert.Equal(42, doc.RootElement.GetProperty("id").GetInt64());
        Assert.Equal(System.Text.Json.JsonValueKind.Null, doc.RootElement.GetProperty("none").ValueKind);
    }

    [Fact]
    public void The_built_in_chat_and_mail_templates_carry_the_severity_service_check_message_runbook_and_one_click_links()
    {
        var chat = Render(DefaultTemplates.Chat).Split('\n');
        Assert.Equal("[P1] Triggered: Backend is down (backend) — incident 42", chat[0]);
        Assert.Equal("> [STATUS] (503) == 200", chat[1]);
        Assert.Equal("Runbook: runbooks/operations.md#service-down", chat[2]);
        Assert.Equal("<https://vigil.example.com/api/v1/incidents/42|Open> · <https://vigil.example.com/a/x|Acknowledge> · <https://vigil.example.com/a/y|Resolve>", chat[^1]);
        // The sample is also a handoff notice: its open incidents and maintenance are listed.
        Assert.Contains("• Open: [P3] Disk filling (acknowledged) — incident 41", chat);
        Assert.Contains("• Maintenance: db, 2026-11-25 22:00 UTC to 2026-11-25 23:00 UTC", chat);

        var text = Render(DefaultTemplates.MailText);
        foreach (var line in new[] { "Incident: 42: Backend is down", "Severity: P1", "Service: backend", "Summary: [STATUS] (503) == 200",
                     "Runbook: runbooks/operations.md#service-down", "Acknowledge: https://vigil.example.com/a/x", "Shift: 2026-11-24 09:00 UTC to 2026-12-01 09:00 UTC" })
        {
            Assert.Contains(line + "\n", text, StringComparison.Ordinal);
        }
        var html = MessageTemplates.Render(DefaultTemplates.MailHtml, MessageTemplates.SampleMessage.Replace("Backend is down", "<b>down</b> & out", StringComparison.Ordinal));
        Assert.Contains("<td>42: &lt;b&gt;down&lt;/b&gt; &amp; out</td>", html, StringComparison.Ordinal);
        Assert.Contains("<a href=\"https://vigil.example.com/a/y\">Resolve</a>", html, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_links_the_mail_points_at_the_incident_and_a_message_without_an_incident_has_no_incident_lines()
    {
        var noLinks = MessageTemplates.SampleMessage.Replace("\"links\":{", "\"nolinks\":{", StringComparison.Ordinal);
        Assert.Contains("Link: /api/v1/incidents/42\n", MessageTemplates.Render(DefaultTemplates.MailText, noLinks), StringComparison.Ordinal);
        var handoffOnly = """{"event":"handoff","text":"You are on call","handoff":{"schedule":"primary","user":"a","from":"2026-11-24T09:00:00+00:00","until":"2026-11-25T09:00:00+00:00","open_incidents":[],"maintenance":[]}}""";
        var mail = MessageTemplates.Render(DefaultTemplates.MailText, handoffOnly);
        Assert.DoesNotContain("Incident:", mail, StringComparison.Ordinal);
        Assert.Contains("Schedule: primary\n", mail, StringComparison.Ordinal);
        Assert.Equal("You are on call", MessageTemplates.Render(DefaultTemplates.Chat, handoffOnly));
    }

    [Theory]
    [InlineData("{% if incident %}never closed", "if")]
    [InlineData("{{ incident.title | no_such_filter }}", "no_such_filter")]
    [InlineData("{% bogus %}", "bogus")]
    [InlineData("{{ incident.title ", "not properly terminated")]
    public void A_broken_template_is_reported_with_what_is_wrong(string template, string mentions)
    {
        var problem = MessageTemplates.Problem(template);
        Assert.NotNull(problem);
        Assert.Contains(mentions, problem, StringComparison.Ordinal);
        Assert.Throws<TemplateException>(() => Render(template));
    }

    [Fact]
    public void A_render_is_bounded_in_loop_iterations_and_output()
    {
        Assert.NotNull(MessageTemplates.Problem("{% for i in (1..1000000) %}x{% endfor %}"));
        Assert.Equal(MessageTemplates.MaxOutput, Render("{% for i in (1..9000) %}0123456789{% endfor %}").Length);
    }

    [Fact]
    public void The_workspace_loader_checks_a_channels_templates_where_they_are_written()
    {
        var ws = TestWorkspace.Valid("""
            name: T
            channels:
              - { id: chat, type: slack, url: "https://chat.example.com/hook", template: "{{ incident.title }}" }
              - id: hook
                type: webhook
                url: https://hooks.example.com/x
                template: { text: "{{ incident.severity }}", body: '{"t": {{ text | json }}}' }
              - id: mail
                type: email
                smtp: smtp://127.0.0.1:25
                from: vigil@example.com
                template: { text: "{{ text }}", body: "{{ incident.summary }}", html: "<p>{{ incident.summary | escape }}</p>" }
            """);
        Assert.Equal("{{ incident.title }}", ws.Channels[0].Template!.Text);
        Assert.Equal(("{{ incident.severity }}", """{"t": {{ text | json }}}""", null), (ws.Channels[1].Template!.Text, ws.Channels[1].Template!.Body, ws.Channels[1].Template!.Html));
        Assert.NotNull(ws.Channels[2].Template!.Html);

        var errors = TestWorkspace.Errors("""
            name: T
            channels:
              - { id: chat, type: slack, url: "https://chat.example.com/hook", template: { body: "x" } }
              - id: hook
                type: webhook
                url: https://hooks.example.com/x
                template: { html: "x", text: "{{ incident.title | shout }}" }
            """);
        Assert.Equal(3, errors.Length);
        Assert.StartsWith("vigil.yaml:3:86: `template.body` does not apply to a slack channel", errors[0], StringComparison.Ordinal);
        Assert.Contains(errors, e => e.StartsWith("vigil.yaml:7:23: `template.html` does not apply to a webhook channel", StringComparison.Ordinal));
        Assert.Contains(errors, e => e.StartsWith("vigil.yaml:7:34: the channel's text template is not valid Liquid: ", StringComparison.Ordinal) && e.Contains("shout", StringComparison.Ordinal));
    }
}
