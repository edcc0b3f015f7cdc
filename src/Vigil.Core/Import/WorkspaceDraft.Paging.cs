using System.Globalization;
using System.Text.RegularExpressions;
using Vigil.Runbooks;
using YamlDotNet.RepresentationModel;

namespace Vigil.Core.Import;

public static partial class WorkspaceDraft
{
    private sealed record DraftUser(string Id, string Name, string? Email, string Source);

    /// <summary>
    /// The paging half of a draft, read once the services and checks are known: people from contact tables and
    /// "Role: address" lines, escalation policies from escalation lists, SLOs from SLO tables, and alert rules (YAML
    /// alert blocks and alert lists) attached to the checks they are about.
    /// </summary>
    private sealed class Paging(
        List<(string Id, string Name, string? Within, bool Page, string Source)> severities,
        Dictionary<string, DraftService> services,
        List<string> understood,
        List<string> notUnderstood)
    {
        public Dictionary<string, DraftUser> Users { get; } = new(StringComparer.Ordinal);

        public List<(string Id, List<(string Target, string? Wait, string Source)> Steps, string Source)> Policies { get; } = [];

        private string runbook = "";

        public void Read(Runbook r, string file, string copied)
        {
            runbook = copied;
            string Cite(int line) => $"{file}:{line}";
            var sections = r.AllSections().ToList();
            foreach (var s in sections) Contacts(s, Cite);
            foreach (var s in sections.Where(s => s.Role == SectionRole.Escalation || s.Title.Contains("escalation", StringComparison.OrdinalIgnoreCase))) Escalation(s, Cite);
            foreach (var s in sections) foreach (var t in s.Tables) EscalationTable(t, s, Cite);
            foreach (var s in sections) foreach (var t in s.Tables) Endpoints(t, Cite);
            foreach (var s in sections) foreach (var t in s.Tables) Slos(t, Cite);
            foreach (var s in sections.Where(s => s.Title.Contains("alert", StringComparison.OrdinalIgnoreCase) || s.Blocks.Any(b => b.Language == "yaml" && b.Text.Contains("severity", StringComparison.Ordinal))))
                Alerts(s, Cite);
            foreach (var s in sections) AlertLines(s, Cite);
            if (Policies.Count > 0)
                foreach (var svc in services.Values) svc.Escalation ??= Policies[0].Id;
        }

        /// <summary>People: tables with a role or name column and an e-mail or contact column; "Role: a@b.c" lines in blocks.</summary>
        private void Contacts(Section s, Func<int, string> cite)
        {
            foreach (var t in s.Tables)
            {
                var headers = t.Headers.Select(h => h.ToLowerInvariant()).ToList();
                var who = headers.FindIndex(h => h.Contains("role", StringComparison.Ordinal) || h.Contains("name", StringComparison.Ordinal) || h.Contains("contact", StringComparison.Ordinal) && !h.Contains("info", StringComparison.Ordinal));
                var mail = headers.FindIndex(h => h.Contains("email", StringComparison.Ordinal) || h.Contains("e-mail", StringComparison.Ordinal) || h.Contains("contact", StringComparison.Ordinal));
                if (who < 0 || mail < 0 || who == mail) continue;
                foreach (var (row, i) in t.Rows.Select((row, i) => (row, i)).Where(x => x.row.Count > Math.Max(who, mail)))
                    AddUser(row[who], Email().Match(row[mail]) is { Success: true } m ? m.Value : null, cite(RowLine(t, i)));
            }
            foreach (var b in s.Blocks.Where(b => !RunbookParser.IsRunnable(b.Language)))
            {
                foreach (var (line, i) in b.Text.Split('\n').Select((l, i) => (l, i)))
                {
                    var m = Regex.Match(line, @"^\s*([A-Za-z][\w /-]{1,40}?)\s*:\s*(\S+@\S+\.\w+)\s*$");
                    if (m.Success) AddUser(m.Groups[1].Value, m.Groups[2].Value, cite(b.Line + 1 + i));
                }
            }
        }

        private string AddUser(string role, string? email, string source)
        {
            var name = Regex.Replace(role, @"\*|`|\(.*?\)", "").Trim();
            var id = Slug(name);
            if (id.Length == 0) id = "someone";
            if (Users.TryGetValue(id, out var known))
            {
                if (known.Email is null && email is not null) Users[id] = known with { Email = email };
                return id;
            }
            Users[id] = new DraftUser(id, name, email, source);
            understood.Add($"{source}: user '{id}' ({name}{(email is null ? ", no contact given" : $", {email}")})");
            return id;
        }

        /// <summary>Ordered lists of who to call; "**P0 Incidents**:" paragraphs split them into one policy per level.</summary>
        private void Escalation(Section s, Func<int, string> cite)
        {
            var steps = s.Steps.Where(st => st.Number is not null).OrderBy(st => st.Line).ToList();
            if (steps.Count == 0) return;
            var labels = s.Paragraphs.Where(p => SeverityId().IsMatch(p.Text) && p.Text.Length < 60).OrderBy(p => p.Line).ToList();
            var groups = steps.GroupBy(st => labels.LastOrDefault(l => l.Line < st.Line)).ToList();
            foreach (var group in groups)
            {
                var list = group.ToList();
                var id = group.Key is { } label ? Slug(SeverityId().Match(label.Text).Value) : Slug(StripNumber(s.Title));
                if (Policies.Any(p => p.Id == id)) continue;
                var times = list.Select(st => Minutes(st.Text)).ToList();
                var delayed = list.Any(st => Regex.IsMatch(st.Text, @"\bif no (?:response|resolution|answer|ack)", RegexOptions.IgnoreCase));
                var drafted = new List<(string, string?, string)>();
                for (var i = 0; i < list.Count; i++)
                {
                    var role = Regex.Replace(list[i].Text.Split('\n')[0], @"^\s*(?:\*\*)?\s*(?:level|tier|step)\s*\d+\s*:?\s*(?:\*\*)?\s*:?", "", RegexOptions.IgnoreCase);
                    role = Regex.Replace(role, @"\(.*$|\s[-–—]\s.*$", "").Trim(' ', ':', '*');
                    var user = AddUser(role, null, cite(list[i].Line));
                    // "if no response in 15 min": each level is called that long after the start (the first at once), so
                    // the wait is the gap to the next; "(15 min response)": the level's own response time is the wait.
                    int? At(int k) => k == 0 ? 0 : times[k];
                    int? wait = delayed
                        ? (i + 1 < list.Count && At(i + 1) is { } next && At(i) is { } now ? Math.Max(1, next - now) : null)
                        : times[i];
                    drafted.Add(($"user:{user}", i + 1 < list.Count && wait is { } w ? $"{w}m" : null, cite(list[i].Line)));
                }
                Policies.Add((id, drafted, cite(list[0].Line)));
                understood.Add($"{cite(list[0].Line)}: escalation policy '{id}' with {drafted.Count} steps");
            }
            if (groups.Count > 1)
                notUnderstood.Add($"{cite(s.Line)}: '{s.Title}' has a policy per severity; a service names one policy, so every service uses '{Policies[0].Id}': choose per service");
        }

        /// <summary>An escalation table: a level (or tier) column, a who column (contact, role, person) and optionally a
        /// time column ("15 min", "after 30 minutes"): one policy whose steps are the rows.</summary>
        private void EscalationTable(RunbookTable t, Section s, Func<int, string> cite)
        {
            var headers = t.Headers.Select(h => h.ToLowerInvariant()).ToList();
            var level = headers.FindIndex(h => h.Contains("level", StringComparison.Ordinal) || h.Contains("tier", StringComparison.Ordinal) || h.Contains("escalat", StringComparison.Ordinal) || h == "step");
            var who = headers.FindIndex(h => h.Contains("contact", StringComparison.Ordinal) || h.Contains("who", StringComparison.Ordinal) || h.Contains("role", StringComparison.Ordinal) || h.Contains("person", StringComparison.Ordinal) || h.Contains("owner", StringComparison.Ordinal) || h.Contains("notify", StringComparison.Ordinal));
            var time = headers.FindIndex(h => h.Contains("time", StringComparison.Ordinal) || h.Contains("after", StringComparison.Ordinal) || h.Contains("wait", StringComparison.Ordinal) || h.Contains("response", StringComparison.Ordinal));
            if (level < 0 || who < 0 || level == who || t.Rows.Count == 0) return;
            // A severity table has a level and a response column too, but no one to call.
            if (t.Rows.All(r => r.Count > level && SeverityId().IsMatch(r[level])) && !headers[who].Contains("contact", StringComparison.Ordinal)) return;
            var id = Slug(StripNumber(s.Title));
            if (id.Length == 0 || Policies.Any(p => p.Id == id)) return;
            var steps = new List<(string, string?, string)>();
            foreach (var (row, i) in t.Rows.Select((row, i) => (row, i)).Where(x => x.row.Count > Math.Max(level, who)))
            {
                var user = AddUser(Email().Replace(row[who], "").Trim(' ', '(', ')', ',', '-') is { Length: > 0 } name ? name : row[who],
                    Email().Match(string.Join(' ', row)) is { Success: true } m ? m.Value : null, cite(RowLine(t, i)));
                var wait = time >= 0 && time < row.Count ? Minutes(row[time]) : null;
                steps.Add(($"user:{user}", i + 1 < t.Rows.Count && wait is > 0 ? $"{wait}m" : null, cite(RowLine(t, i))));
            }
            if (steps.Count == 0) return;
            Policies.Add((id, steps, cite(t.Line)));
            understood.Add($"{cite(t.Line)}: escalation policy '{id}' with {steps.Count} steps (from a table)");
        }

        /// <summary>
        /// An endpoint table ("`GET /health` | … | `{"status":"ok"}`"): each endpoint is checked on the base URL the
        /// runbook's health commands use, expecting its status codes ("200 … or 204") or, for a JSON body, its string
        /// fields (<c>[BODY].status == ok</c>).
        /// </summary>
        private void Endpoints(RunbookTable t, Func<int, string> cite)
        {
            var headers = t.Headers.Select(h => h.ToLowerInvariant()).ToList();
            var endpoint = headers.FindIndex(h => h.Contains("endpoint", StringComparison.Ordinal) || h is "path" or "url" or "route");
            var expected = headers.FindIndex(h => h.Contains("expect", StringComparison.Ordinal) || h.Contains("response", StringComparison.Ordinal));
            if (endpoint < 0 || expected < 0 || endpoint == expected) return;
            var owner = services.Values.FirstOrDefault(svc => svc.Checks.Any(c => c.Url is not null && !c.Url.Contains("127.0.0.1", StringComparison.Ordinal)))
                        ?? services.Values.FirstOrDefault(svc => svc.Checks.Any(c => c.Url is not null));
            if (owner is null)
            {
                notUnderstood.Add($"{cite(t.Line)}: an endpoint table, but no command or table gives the server's address to check them on");
                return;
            }
            var baseUri = new Uri(owner.Checks.First(c => c.Url is not null).Url!);
            foreach (var (row, i) in t.Rows.Select((row, i) => (row, i)).Where(x => x.row.Count > Math.Max(endpoint, expected)))
            {
                var at = cite(RowLine(t, i));
                var route = Regex.Match(row[endpoint], @"^(?:(?<method>GET|HEAD)\s+)?(?<path>/\S*)$");
                if (!route.Success)
                {
                    if (Regex.IsMatch(row[endpoint], @"^(POST|PUT|PATCH|DELETE)\b")) notUnderstood.Add($"{at}: '{row[endpoint]}' changes data, so it is not probed");
                    continue;
                }
                var url = new Uri(baseUri, route.Groups["path"].Value).ToString();
                var conditions = new List<string>();
                var text = row[expected].Trim();
                if (text.StartsWith('{'))
                {
                    try
                    {
                        using var doc = System.Text.Json.JsonDocument.Parse(text);
                        conditions.Add("[STATUS] == 200");
                        foreach (var field in doc.RootElement.EnumerateObject().Where(f => f.Value.ValueKind == System.Text.Json.JsonValueKind.String && !f.Name.Contains("version", StringComparison.OrdinalIgnoreCase)).Take(3))
                            if (Regex.IsMatch(field.Name, @"^\w+$") && Regex.IsMatch(field.Value.GetString()!, @"^[\w.-]+$")) conditions.Add($"[BODY].{field.Name} == {field.Value.GetString()}");
                    }
                    catch (System.Text.Json.JsonException)
                    {
                        conditions.Add("[STATUS] == 200");
                    }
                }
                else
                {
                    var codes = Regex.Matches(text, @"\b([1-5]\d\d)\b").Select(m => m.Value).Distinct().ToList();
                    conditions.Add(codes.Count switch { 0 => "[STATUS] == 200", 1 => $"[STATUS] == {codes[0]}", _ => $"[STATUS] == any({string.Join(", ", codes)})" });
                }
                var existing = owner.Checks.FirstOrDefault(c => c.Url == url);
                if (existing is not null)
                {
                    foreach (var c in conditions.Where(c => !existing.Conditions.Contains(c))) existing.Conditions.Add(c);
                    understood.Add($"{at}: the expected response of {url} ({string.Join(", ", conditions)})");
                    continue;
                }
                var id = CheckId(owner, Slug(route.Groups["path"].Value) is { Length: > 0 } slug ? slug : "root");
                owner.Checks.Add(new DraftCheck(id, $"http: {{ url: {Q(url)} }}", conditions, at, url));
                understood.Add($"{at}: an HTTP check of {url} ({string.Join(", ", conditions)}) on service '{owner.Id}'");
            }
        }

        private static int? Minutes(string text)
        {
            var t = text.ToLowerInvariant();
            if (t.Contains("immediate", StringComparison.Ordinal)) return 0;
            var m = Regex.Match(t, @"(\d+)\s*(min|minute|m\b|hour|hr|h\b)");
            if (!m.Success) return null;
            var n = int.Parse(m.Groups[1].Value, CultureInfo.InvariantCulture);
            return m.Groups[2].Value.StartsWith('h') ? n * 60 : n;
        }

        /// <summary>SLO tables (SLI/SLO/Objective with a target): availability, pNN latency, error rate, on the check
        /// the objective is measured with (the first HTTP check).</summary>
        private void Slos(RunbookTable t, Func<int, string> cite)
        {
            var headers = t.Headers.Select(h => h.ToLowerInvariant()).ToList();
            var what = headers.FindIndex(h => h is "sli" or "slo" or "metric" or "indicator" or "objective" || h.StartsWith("sli", StringComparison.Ordinal));
            var target = headers.FindIndex(h => h.Contains("target", StringComparison.Ordinal) || h.Contains("objective", StringComparison.Ordinal) || h == "slo");
            if (what < 0 || target < 0 || what == target) return;
            var host = services.Values.FirstOrDefault(svc => svc.Checks.Any(c => c.Kind.StartsWith("http", StringComparison.Ordinal)));
            foreach (var (row, i) in t.Rows.Select((row, i) => (row, i)).Where(x => x.row.Count > Math.Max(what, target)))
            {
                var at = cite(RowLine(t, i));
                var name = row[what].ToLowerInvariant();
                var goal = row[target];
                if (host is null)
                {
                    notUnderstood.Add($"{at}: SLO '{row[what]}': no HTTP check to measure it with");
                    continue;
                }
                var check = host.Checks.First(c => c.Kind.StartsWith("http", StringComparison.Ordinal)).Id;
                var percent = Regex.Match(goal, @"(\d+(?:\.\d+)?)\s*%");
                var latency = Regex.Match(goal, @"(\d+(?:\.\d+)?)\s*(ms|s)\b");
                string? slo = null;
                if ((name.Contains("availab", StringComparison.Ordinal) || name.Contains("uptime", StringComparison.Ordinal)) && percent.Success)
                    slo = $"{{ id: availability, check: {Q(check)}, objective: {percent.Groups[1].Value}%, window: 30d }}";
                else if (name.Contains("latency", StringComparison.Ordinal) || name.Contains("response time", StringComparison.Ordinal))
                {
                    var p = Regex.Match(name, @"p(\d{2})");
                    if (latency.Success) slo = $"{{ id: latency, check: {Q(check)}, objective: {(p.Success ? p.Groups[1].Value : "99")}%, window: 30d, latency: {latency.Groups[1].Value}{latency.Groups[2].Value} }}";
                }
                else if (name.Contains("error", StringComparison.Ordinal) && percent.Success)
                {
                    var ok = 100 - double.Parse(percent.Groups[1].Value, CultureInfo.InvariantCulture);
                    if (ok is > 0 and < 100) slo = $"{{ id: error-rate, check: {Q(check)}, objective: {ok.ToString(CultureInfo.InvariantCulture)}%, window: 30d }}";
                }
                if (slo is null || host.Slos.Any(x => x.Yaml.Contains(slo.Split(',')[0], StringComparison.Ordinal)))
                {
                    if (slo is null) notUnderstood.Add($"{at}: SLO '{row[what]}' ({goal}): not an availability, latency or error-rate objective Vigil measures from checks");
                    continue;
                }
                host.Slos.Add((slo, at));
                understood.Add($"{at}: SLO {slo} on service '{host.Id}'");
            }
        }

        /// <summary>Alert rules: YAML blocks (name/condition/duration/severity, or Prometheus' alert/expr/for/labels) and
        /// bullet lists under Critical/Warning alert headings, each attached to the check it is about.</summary>
        private void Alerts(Section s, Func<int, string> cite)
        {
            foreach (var b in s.Blocks.Where(b => b.Language == "yaml"))
            {
                foreach (var (rule, offset) in YamlRules(b.Text))
                {
                    var text = $"{rule.Name} {rule.Condition}";
                    Attach(text, rule.Severity is { } sev && severities.Any(x => x.Id.Equals(sev, StringComparison.OrdinalIgnoreCase)) ? severities.First(x => x.Id.Equals(sev, StringComparison.OrdinalIgnoreCase)).Id : null,
                        rule.For, null, cite(b.Line + 1 + offset), rule.Name);
                }
            }
            if (!s.Title.Contains("alert", StringComparison.OrdinalIgnoreCase)) return;
            var title = s.Title.ToLowerInvariant();
            var level = title.Contains("critical", StringComparison.Ordinal) || title.Contains("page", StringComparison.Ordinal) ? 0
                : title.Contains("warning", StringComparison.Ordinal) || title.Contains("ticket", StringComparison.Ordinal) ? 1
                : title.Contains("info", StringComparison.Ordinal) || title.Contains("log only", StringComparison.Ordinal) ? 2 : -1;
            if (level < 0) return;
            foreach (var p in s.Paragraphs)
            {
                if (level == 2)
                {
                    notUnderstood.Add($"{cite(p.Line)}: '{p.Text}': an informational alert (log only) is not an incident");
                    continue;
                }
                var after = Regex.Match(p.Text, @"(\d+)\+?\s*consecutive") is { Success: true } c ? int.Parse(c.Groups[1].Value, CultureInfo.InvariantCulture) : (int?)null;
                Attach(p.Text, SeverityAt(level), null, after, cite(p.Line), p.Text);
            }
        }

        /// <summary>"**Alert**: `HighQueueDepth` — queue depth > 500 for 15 minutes (P1)" lines, anywhere.</summary>
        private void AlertLines(Section s, Func<int, string> cite)
        {
            foreach (var p in s.Paragraphs)
            {
                var m = Regex.Match(p.Text, @"^\s*Alert\s*:\s*(?<name>[\w.-]+)(?<rest>.*)$", RegexOptions.IgnoreCase | RegexOptions.Singleline);
                if (!m.Success) continue;
                var rest = m.Groups["rest"].Value;
                var severity = severities.FirstOrDefault(x => Regex.IsMatch(rest, $@"\b{Regex.Escape(x.Id)}\b", RegexOptions.IgnoreCase)).Id;
                var duration = Regex.Match(rest, @"\bfor\s+(?:more than\s+)?(\d+)\s*(s|sec|seconds?|m|min|minutes?|h|hours?)\b", RegexOptions.IgnoreCase) is { Success: true } d
                    ? d.Groups[1].Value + char.ToLowerInvariant(d.Groups[2].Value[0]) : null;
                Attach($"{m.Groups["name"].Value} {rest}", severity, duration, null, cite(p.Line), m.Groups["name"].Value);
            }
        }

        /// <summary>The severity an alert list's level means: the workspace's first (critical) or second (warning),
        /// made from the list's headings when the runbook defines no severities.</summary>
        private string SeverityAt(int level)
        {
            if (severities.Count == 0)
            {
                severities.Add(("critical", "Critical", null, true, "from the alert lists' headings"));
                severities.Add(("warning", "Warning", null, false, "from the alert lists' headings"));
                understood.Add("severities 'critical' (pages) and 'warning' from the alert lists' headings (the runbook states no levels)");
            }
            return severities[Math.Min(level, severities.Count - 1)].Id;
        }

        private void Attach(string text, string? severity, string? forDuration, int? after, string source, string name)
        {
            var t = text.ToLowerInvariant();
            severity ??= SeverityAt(0);
            var when = forDuration is not null ? $", for: {forDuration}" : after is not null ? $", after: {after}" : "";
            var number = Regex.Match(t, @"[<>]=?\s*(\d+(?:\.\d+)?)") is { Success: true } n ? n.Groups[1].Value : Regex.Match(t, @"(\d+(?:\.\d+)?)\s*%") is { Success: true } pc ? pc.Groups[1].Value : null;
            DraftCheck? check = null;
            if (Regex.IsMatch(t, @"health|status|api\s?down|apidown|\bdown\b|unreachable") && !t.Contains("database", StringComparison.Ordinal) && !t.Contains("db_", StringComparison.Ordinal))
                check = services.Values.SelectMany(svc => svc.Checks).FirstOrDefault(c => c.Kind.StartsWith("http", StringComparison.Ordinal));
            else if (Regex.IsMatch(t, @"database|db_|postgres|\bdb\b"))
                check = services.Values.SelectMany(svc => svc.Checks).FirstOrDefault(c => c.Kind.StartsWith("tcp", StringComparison.Ordinal) || c.Kind.StartsWith("postgres", StringComparison.Ordinal));
            else if (t.Contains("queue", StringComparison.Ordinal) && number is not null)
            {
                check = services.Values.SelectMany(svc => svc.Checks).FirstOrDefault(c => c.Kind.Contains("LLEN", StringComparison.Ordinal));
                if (check is not null)
                {
                    // The alert's limit fails the check; the lower limit the text gave (if any) stays as a warning.
                    check.Warn.AddRange(check.Conditions.Where(x => x != $"[VALUE] <= {number}"));
                    check.Conditions.Clear();
                    check.Conditions.Add($"[VALUE] <= {number}");
                }
            }
            else if (t.Contains("disk", StringComparison.Ordinal) && number is not null)
            {
                var host = services.TryGetValue("host", out var h) ? h : services["host"] = new DraftService("host", "Host", runbook, source);
                check = host.Checks.FirstOrDefault(c => c.Id == "disk");
                if (check is null)
                {
                    check = new DraftCheck("disk", "disk: { path: \"/\" }", [$"[VALUE] < {number}"], source + "; TODO: the path the runbook means", null);
                    host.Checks.Add(check);
                }
            }
            else if (Regex.IsMatch(t, @"certificate|ssl|tls") && Regex.Match(t, @"(\d+)\s*days?") is { Success: true } days)
            {
                var web = services.Values.FirstOrDefault(svc => svc.Checks.Any(c => c.Url?.StartsWith("https://", StringComparison.Ordinal) == true));
                var url = web?.Checks.First(c => c.Url?.StartsWith("https://", StringComparison.Ordinal) == true).Url;
                if (web is not null && Uri.TryCreate(url, UriKind.Absolute, out var u))
                {
                    check = new DraftCheck(CheckId(web, "certificate"), $"tls: {{ host: {Q(u.Host)}, port: {u.Port} }}", [$"[CERTIFICATE_EXPIRATION] > {int.Parse(days.Groups[1].Value, CultureInfo.InvariantCulture) * 24}h"], source, null);
                    web.Checks.Add(check);
                }
            }
            if (check is null || check.Alert is not null)
            {
                notUnderstood.Add(check is null
                    ? $"{source}: alert '{name}': needs a measurement Vigil has no check for here (or the runbook gives no check to attach it to)"
                    : $"{source}: alert '{name}': its check already has an alert");
                return;
            }
            check.Alert = ($"{{ severity: {Q(severity)}{when} }}", source);
            understood.Add($"{source}: alert '{name}' on check '{check.Id}' (severity {severity})");
        }

        private sealed record YamlRule(string Name, string Condition, string? For, string? Severity);

        /// <summary>The rules of an alert block: a list of {name, condition, duration, severity}, or Prometheus'
        /// groups[].rules[] of {alert, expr, for, labels.severity}; with each rule's line offset in the block.</summary>
        private static List<(YamlRule Rule, int Offset)> YamlRules(string text)
        {
            var rules = new List<(YamlRule, int)>();
            var yaml = new YamlStream();
            try
            {
                yaml.Load(new StringReader(text));
            }
            catch (YamlDotNet.Core.YamlException)
            {
                return rules;
            }
            if (yaml.Documents.Count == 0) return rules;
            IEnumerable<YamlNode> Items(YamlNode root) => root switch
            {
                YamlSequenceNode seq => seq.Children,
                YamlMappingNode map when map.Children.TryGetValue(new YamlScalarNode("groups"), out var g) && g is YamlSequenceNode groups =>
                    groups.Children.OfType<YamlMappingNode>().SelectMany(gr => gr.Children.TryGetValue(new YamlScalarNode("rules"), out var r) && r is YamlSequenceNode rs ? rs.Children : []),
                YamlMappingNode map when map.Children.TryGetValue(new YamlScalarNode("rules"), out var r) && r is YamlSequenceNode rs => rs.Children,
                _ => [],
            };
            foreach (var item in Items(yaml.Documents[0].RootNode).OfType<YamlMappingNode>())
            {
                string? Get(params string[] keys) => keys.Select(k => item.Children.TryGetValue(new YamlScalarNode(k), out var v) && v is YamlScalarNode s ? s.Value : null).FirstOrDefault(v => v is not null);
                var labels = item.Children.TryGetValue(new YamlScalarNode("labels"), out var l) && l is YamlMappingNode lm && lm.Children.TryGetValue(new YamlScalarNode("severity"), out var sv) && sv is YamlScalarNode svs ? svs.Value : null;
                var name = Get("name", "alert");
                if (name is null) continue;
                var duration = Get("duration", "for");
                rules.Add((new YamlRule(name, Get("condition", "expr", "when") ?? "", duration is not null && Vigil.Core.Workspace.Durations.TryParse(duration, out TimeSpan _, out _) ? duration : null, Get("severity") ?? labels), (int)item.Start.Line - 1));
            }
            return rules;
        }
    }

    [GeneratedRegex(@"[\w.+-]+@[\w-]+(?:\.[\w-]+)+", RegexOptions.CultureInvariant)]
    private static partial Regex Email();
}
