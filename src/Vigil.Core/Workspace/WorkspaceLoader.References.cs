namespace Vigil.Core.Workspace;

public sealed partial class WorkspaceLoader
{
    // Cross-references are checked after the whole file is read, so an error says
    // "no severity P5 (defined: P1, P2, P3)" wherever the reference sits, whatever the order.
    private void CheckReferences(WorkspaceModel w)
    {
        DuplicateIds(w.Severities, s => s.Id, s => s.Position, "severity");
        DuplicateIds(w.Users, u => u.Id, u => u.Position, "user");
        DuplicateIds(w.Schedules, s => s.Id, s => s.Position, "schedule");
        DuplicateIds(w.EscalationPolicies, p => p.Id, p => p.Position, "escalation policy");
        DuplicateIds(w.Channels, c => c.Id, c => c.Position, "channel");
        DuplicateIds(w.Services, s => s.Id, s => s.Position, "service");
        DuplicateIds(w.Integrations, i => i.Id, i => i.Position, "integration");

        var known = new Dictionary<string, HashSet<string>>
        {
            ["severity"] = [.. w.Severities.Select(s => s.Id)],
            ["user"] = [.. w.Users.Select(u => u.Id)],
            ["schedule"] = [.. w.Schedules.Select(s => s.Id)],
            ["escalation policy"] = [.. w.EscalationPolicies.Select(p => p.Id)],
            ["channel"] = [.. w.Channels.Select(c => c.Id)],
            ["service"] = [.. w.Services.Select(s => s.Id)],
        };
        foreach (var (kind, id, at) in references) Reference(id, known[kind], kind, at);

        foreach (var svc in w.Services)
        {
            foreach (var check in svc.Checks)
            {
                if (check.Alert is not { } alert) continue;
                if (alert.Runbook is not null) CheckRunbookReference(alert.Runbook, svc.Runbook, alert.Position);
            }
            var checkIds = svc.Checks.Select(c => c.Id).ToHashSet();
            foreach (var slo in svc.Slos) Reference(slo.Check, checkIds, $"check in service '{svc.Id}'", slo.Position);
        }
    }

    private void Refer(string kind, string id, SourcePosition at) => references.Add((kind, id, at));

    private void Reference(string id, HashSet<string> known, string what, SourcePosition at)
    {
        if (known.Contains(id)) return;
        var guess = Vigil.Runbooks.Suggestions.Closest(id, known);
        var hint = guess is not null
            ? $"did you mean `{guess}`?"
            : known.Count == 0 ? $"define {("aeio".Contains(what[0]) ? "an" : "a")} {what} with id '{id}' first" : $"defined: {string.Join(", ", known.Order())}";
        r.Error(at, $"no {what} '{id}'", hint);
    }

    private void DuplicateIds<T>(IEnumerable<T> items, Func<T, string> id, Func<T, SourcePosition> at, string what)
    {
        var seen = new Dictionary<string, SourcePosition>();
        foreach (var item in items)
        {
            if (seen.TryGetValue(id(item), out var first))
            {
                r.Error(at(item), $"duplicate {what} id '{id(item)}'", $"first defined at line {first.Line}; ids must be unique");
            }
            else
            {
                seen[id(item)] = at(item);
            }
        }
    }

    /// <summary>
    /// Checks <c>path.md</c>, <c>path.md#section</c> or (with a service runbook) <c>#section</c>:
    /// the file must exist inside the workspace and the section must be one of its headings.
    /// </summary>
    private void CheckRunbookReference(string reference, string? serviceRunbook, SourcePosition at)
    {
        var hash = reference.IndexOf('#', StringComparison.Ordinal);
        var path = hash < 0 ? reference : reference[..hash];
        var section = hash < 0 ? null : reference[(hash + 1)..];
        if (path.Length == 0)
        {
            if (serviceRunbook is null)
            {
                r.Error(at, $"runbook section '{reference}' has no runbook to point into", "give the service a `runbook:`, or write the file: runbooks/ops.md#service-down");
                return;
            }
            path = serviceRunbook.Split('#')[0];
        }
        var full = Path.GetFullPath(Path.Combine(directory, path));
        if (!full.StartsWith(directory + Path.DirectorySeparatorChar, StringComparison.Ordinal))
        {
            r.Error(at, $"runbook '{path}' is outside the workspace", "keep runbooks inside the workspace folder");
            return;
        }
        if (!File.Exists(full))
        {
            r.Error(at, $"runbook file '{path}' does not exist", $"create it, or fix the path (relative to {FileName})");
            return;
        }
        var runbook = ReadRunbook(full);
        if (string.IsNullOrEmpty(section)) return;
        var anchors = runbook.Model.Anchors;
        if (anchors.Contains(section)) return;
        var guess = Vigil.Runbooks.Suggestions.Closest(section, anchors);
        r.Error(at, $"runbook '{path}' has no section '#{section}'",
            guess is not null ? $"did you mean `#{guess}`?" : "use the heading's anchor as GitHub writes it: lower case, spaces as '-'");
    }

    /// <summary>Reads and parses a runbook once per load, however many references point into it.</summary>
    private WorkspaceRunbook ReadRunbook(string fullPath)
    {
        if (runbooks.TryGetValue(fullPath, out var known)) return known;
        var text = File.ReadAllText(fullPath);
        var relative = Path.GetRelativePath(directory, fullPath).Replace(Path.DirectorySeparatorChar, '/');
        var doc = new WorkspaceRunbook(WorkspaceRunbook.IdOf(relative), relative, text, Vigil.Runbooks.RunbookParser.Parse(text, relative));
        runbooks[fullPath] = doc;
        return doc;
    }

    /// <summary>
    /// The workspace's runbooks: every Markdown file under <c>runbooks/</c> and every file vigil.yaml points at, in
    /// path order. Unreadable files under <c>runbooks/</c> are errors, as a bad reference is.
    /// </summary>
    private List<WorkspaceRunbook> CollectRunbooks()
    {
        var folder = Path.Combine(directory, "runbooks");
        if (Directory.Exists(folder))
        {
            var files = Directory.EnumerateFiles(folder, "*.md", new EnumerationOptions { RecurseSubdirectories = true, IgnoreInaccessible = true, MaxRecursionDepth = 8 });
            foreach (var file in files)
            {
                try
                {
                    ReadRunbook(Path.GetFullPath(file));
                }
                catch (IOException e)
                {
                    r.Error(new SourcePosition(Path.GetRelativePath(directory, file), 0, 0), $"cannot read runbook: {e.Message}", "check the file's permissions");
                }
            }
        }
        var list = runbooks.Values.OrderBy(d => d.Path, StringComparer.Ordinal).ToList();
        foreach (var clash in list.GroupBy(d => d.Id, StringComparer.Ordinal).Where(g => g.Count() > 1))
        {
            r.Error(new SourcePosition(clash.Last().Path, 0, 0), $"runbooks {string.Join(" and ", clash.Select(d => d.Path))} would share the id '{clash.Key}'", "rename one of them");
        }
        return list;
    }
}
