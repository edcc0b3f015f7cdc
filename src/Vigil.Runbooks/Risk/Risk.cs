namespace Vigil.Runbooks.Risk;

/// <summary>What running a command can do: nothing but read, change something, or lose data.</summary>
public enum RiskClass
{
    ReadOnly = 0,
    Mutating = 1,
    Destructive = 2,
}

/// <summary>A command's (or step's) risk class and why.</summary>
public sealed record RiskAssessment(RiskClass Class, IReadOnlyList<string> Reasons)
{
    /// <summary>The wire name: <c>read-only</c>, <c>mutating</c> or <c>destructive</c>.</summary>
    public string Name => NameOf(Class);

    public static string NameOf(RiskClass c) => c switch
    {
        RiskClass.ReadOnly => "read-only",
        RiskClass.Mutating => "mutating",
        _ => "destructive",
    };

    public static RiskAssessment ReadOnly(string reason) => new(RiskClass.ReadOnly, [reason]);

    public static RiskAssessment Mutating(string reason) => new(RiskClass.Mutating, [reason]);

    public static RiskAssessment Destructive(string reason) => new(RiskClass.Destructive, [reason]);

    /// <summary>The highest class of several, with the reasons of that class (the lower ones add nothing a reader needs).</summary>
    public static RiskAssessment Max(IEnumerable<RiskAssessment> parts)
    {
        var list = parts.ToList();
        if (list.Count == 0) return ReadOnly("nothing to run");
        var top = list.Max(p => p.Class);
        return new RiskAssessment(top, [.. list.Where(p => p.Class == top).SelectMany(p => p.Reasons).Distinct(StringComparer.Ordinal)]);
    }

    public override string ToString() => $"{Name}: {string.Join("; ", Reasons)}";
}
