namespace Vigil.Core.Notifications;

/// <summary>
/// The built-in Liquid templates, used where a channel has none of its own: written in the same language a workspace's
/// templates are, over the same variables (see <see cref="MessageTemplates"/>). A chat message and an e-mail carry the
/// title, severity and service (in <c>text</c>), the check's message (the incident's summary), the runbook section,
/// and the links that open, acknowledge and resolve the incident; a handoff notice lists the open incidents and the
/// maintenance in the shift.
/// </summary>
public static class DefaultTemplates
{
    private const string Runbook = "{{ incident.runbook_path }}{% if incident.runbook_section %}#{{ incident.runbook_section }}{% endif %}";
    private const string Time = "\"%Y-%m-%d %H:%M UTC\"";

    /// <summary>A Slack, Mattermost or Discord message (Slack's <c>&lt;url|label&gt;</c> links).</summary>
    public const string Chat = $$$"""
        {{ text }}
        {%- if incident.summary %}
        > {{ incident.summary }}
        {%- endif %}
        {%- if incident.runbook_path %}
        Runbook: {{{Runbook}}}
        {%- endif %}
        {%- for o in handoff.open_incidents %}
        • Open: [{{ o.severity }}] {{ o.title }} ({{ o.status }}) — incident {{ o.id }}
        {%- endfor %}
        {%- for m in handoff.maintenance %}
        • Maintenance: {{ m.services | join: ", " }}, {{ m.from | date: {{{Time}}} }} to {{ m.until | date: {{{Time}}} }}
        {%- endfor %}
        {%- if links %}
        <{{ links.incident }}|Open>{% if links.acknowledge %} · <{{ links.acknowledge }}|Acknowledge>{% endif %}{% if links.resolve %} · <{{ links.resolve }}|Resolve>{% endif %}
        {%- endif %}
        """;

    /// <summary>An e-mail's text part.</summary>
    public const string MailText = $$$"""
        {{ text }}

        {% if incident -%}
        Incident: {{ incident.id }}: {{ incident.title }}
        Status: {{ incident.status }}
        Severity: {{ incident.severity }}
        {% if incident.service %}Service: {{ incident.service }}
        {% endif %}{% if incident.summary %}Summary: {{ incident.summary }}
        {% endif %}{% if incident.runbook_path %}Runbook: {{{Runbook}}}
        {% endif %}
        {%- endif %}
        {%- if handoff -%}
        Schedule: {{ handoff.schedule }}
        Shift: {{ handoff.from | date: {{{Time}}} }} to {{ handoff.until | date: {{{Time}}} }}
        {% if handoff.previous %}From: {{ handoff.previous }}
        {% endif %}{% for o in handoff.open_incidents %}Open incident: {{ o.id }}: [{{ o.severity }}] {{ o.title }} ({{ o.status }})
        {% endfor %}{% for m in handoff.maintenance %}Maintenance: {{ m.services | join: ", " }} {{ m.from | date: {{{Time}}} }} to {{ m.until | date: {{{Time}}} }}
        {% endfor %}
        {%- endif %}
        {%- if links -%}
        Open: {{ links.incident }}
        {% if links.acknowledge %}Acknowledge: {{ links.acknowledge }}
        {% endif %}{% if links.resolve %}Resolve: {{ links.resolve }}
        {% endif %}
        {%- elsif incident -%}
        Link: {{ incident.url }}
        {% endif %}
        """;

    /// <summary>An e-mail's HTML part: the same fields as a table, and the links as links.</summary>
    public const string MailHtml = $$$"""
        <p>{{ text | escape }}</p>
        <table>
        {%- if incident %}
        <tr><th align="left">Incident</th><td>{{ incident.id }}: {{ incident.title | escape }}</td></tr>
        <tr><th align="left">Status</th><td>{{ incident.status | escape }}</td></tr>
        <tr><th align="left">Severity</th><td>{{ incident.severity | escape }}</td></tr>
        {%- if incident.service %}
        <tr><th align="left">Service</th><td>{{ incident.service | escape }}</td></tr>
        {%- endif %}{% if incident.summary %}
        <tr><th align="left">Summary</th><td>{{ incident.summary | escape }}</td></tr>
        {%- endif %}{% if incident.runbook_path %}
        <tr><th align="left">Runbook</th><td>{{ incident.runbook_path | escape }}{% if incident.runbook_section %}#{{ incident.runbook_section | escape }}{% endif %}</td></tr>
        {%- endif %}
        {%- endif %}
        {%- if handoff %}
        <tr><th align="left">Schedule</th><td>{{ handoff.schedule | escape }}</td></tr>
        <tr><th align="left">Shift</th><td>{{ handoff.from | date: {{{Time}}} }} to {{ handoff.until | date: {{{Time}}} }}</td></tr>
        {%- if handoff.previous %}
        <tr><th align="left">From</th><td>{{ handoff.previous | escape }}</td></tr>
        {%- endif %}{% for o in handoff.open_incidents %}
        <tr><th align="left">Open incident</th><td>{{ o.id }}: [{{ o.severity | escape }}] {{ o.title | escape }} ({{ o.status | escape }})</td></tr>
        {%- endfor %}{% for m in handoff.maintenance %}
        <tr><th align="left">Maintenance</th><td>{{ m.services | join: ", " | escape }} {{ m.from | date: {{{Time}}} }} to {{ m.until | date: {{{Time}}} }}</td></tr>
        {%- endfor %}
        {%- endif %}
        </table>
        {%- if links %}
        <p><a href="{{ links.incident | escape }}">Open</a>{% if links.acknowledge %} · <a href="{{ links.acknowledge | escape }}">Acknowledge</a>{% endif %}{% if links.resolve %} · <a href="{{ links.resolve | escape }}">Resolve</a>{% endif %}</p>
        {%- elsif incident %}
        <p><a href="{{ incident.url | escape }}">Open</a></p>
        {%- endif %}
        """;
}
