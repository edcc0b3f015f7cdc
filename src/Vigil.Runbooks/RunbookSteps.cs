using System.Security.Cryptography;
using System.Text;

namespace Vigil.Runbooks;

/// <summary>A step of a section together with the id the API and the timeline use for it.</summary>
public sealed record IdentifiedStep(string Id, Section Section, Step Step);

/// <summary>The steps a responder follows for a section: its own and its subsections', in reading order.</summary>
public static class RunbookSteps
{
    /// <summary>
    /// Every step of <paramref name="section"/> and its subsections, depth first. A step's id is its place among its
    /// section's steps and a hash of what it says (its section's anchor, title, text and commands): <c>3-1a2b3c4d</c>.
    /// It stays the same while the runbook does, across reloads and restarts; an edit that changes the step changes
    /// the id, so progress recorded on the old step is never carried over to different work.
    /// </summary>
    public static IReadOnlyList<IdentifiedStep> Of(Section section)
    {
        var steps = new List<IdentifiedStep>();
        foreach (var s in section.Flatten())
        {
            for (var i = 0; i < s.Steps.Count; i++) steps.Add(new IdentifiedStep(IdOf(s, s.Steps[i], i + 1), s, s.Steps[i]));
        }
        return steps;
    }

    private static string IdOf(Section section, Step step, int ordinal)
    {
        var sb = new StringBuilder().Append(section.Anchor).Append('\n').Append(step.Title).Append('\n').Append(step.Text);
        foreach (var c in step.Commands) sb.Append('\n').Append(c.Language).Append(' ').Append(c.Text);
        var hash = SHA256.HashData(Encoding.UTF8.GetBytes(sb.ToString()));
        return $"{ordinal}-{Convert.ToHexStringLower(hash, 0, 4)}";
    }
}
