using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Workspace;

/// <summary>
/// A throwaway workspace folder with a runbook in it, so tests can load vigil.yaml text
/// whose runbook references resolve, and see exactly what the loader reports.
/// </summary>
internal sealed class TestWorkspace : IDisposable
{
    public const string Runbook = """
        # Operations

        ## Service Down

        ```bash
        # 1. Check service status
        docker compose ps
        ```

        ## Weekly Tasks (Every Monday)

        - [ ] Check the logs
        """;

    public TestWorkspace()
    {
        Directory = Path.Combine(Path.GetTempPath(), "vigil-tests", Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Path.Combine(Directory, "runbooks"));
        File.WriteAllText(Path.Combine(Directory, "runbooks", "ops.md"), Runbook);
    }

    public string Directory { get; }

    public static WorkspaceLoadResult Load(string yaml, IReadOnlyDictionary<string, string>? env = null)
    {
        using var ws = new TestWorkspace();
        return new WorkspaceLoader(name => env is not null && env.TryGetValue(name, out var v) ? v : null).LoadText(yaml, ws.Directory);
    }

    /// <summary>The errors as `vigil.yaml:LINE:COL: message (hint)` lines, the way `vigil validate` prints them.</summary>
    public static string[] Errors(string yaml, IReadOnlyDictionary<string, string>? env = null) =>
        [.. Load(yaml, env).Errors.Select(e => e.ToString())];

    /// <summary>Asserts the workspace has exactly this one error, printing every line in full on failure (a truncated diff hides the column that moved).</summary>
    public static void AssertSingleError(string expected, string yaml, IReadOnlyDictionary<string, string>? env = null)
    {
        var errors = Errors(yaml, env);
        if (errors.Length != 1 || errors[0] != expected)
        {
            Assert.Fail($"expected:{Environment.NewLine}  {expected}{Environment.NewLine}got:{Environment.NewLine}  {string.Join(Environment.NewLine + "  ", errors)}");
        }
    }

    public static WorkspaceModel Valid(string yaml, IReadOnlyDictionary<string, string>? env = null)
    {
        var result = Load(yaml, env);
        Assert.True(result.Ok, string.Join(Environment.NewLine, result.Errors));
        return result.Workspace!;
    }

    public void Dispose()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
            // A leftover temp folder is harmless.
        }
    }
}
