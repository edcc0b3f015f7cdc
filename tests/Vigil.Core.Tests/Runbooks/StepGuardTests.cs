using Vigil.Core.Runbooks;
using Vigil.Core.Tests.Workspace;
using Vigil.Core.Workspace;
using Vigil.Runbooks.Risk;

namespace Vigil.Core.Tests.Runbooks;

public sealed class StepGuardTests
{
    private static readonly RunbookSettings On = new() { Execution = ExecutionMode.Enabled };

    [Theory]
    // role, risk, confirm, reason → status (0: allowed)
    [InlineData(Role.Viewer, RiskClass.ReadOnly, null, null, 403)]
    [InlineData(Role.Responder, RiskClass.ReadOnly, null, null, 0)]
    [InlineData(Role.Responder, RiskClass.Mutating, null, null, 422)]
    [InlineData(Role.Responder, RiskClass.Mutating, "frontend", null, 422)]
    [InlineData(Role.Responder, RiskClass.Mutating, " backend ", null, 0)]
    [InlineData(Role.Responder, RiskClass.Destructive, "backend", "disk full", 403)]
    [InlineData(Role.Admin, RiskClass.Destructive, "backend", null, 422)]
    [InlineData(Role.Admin, RiskClass.Destructive, "backend", "  ", 422)]
    [InlineData(Role.Admin, RiskClass.Destructive, "Backend", "disk full", 422)]
    [InlineData(Role.Admin, RiskClass.Destructive, "backend", "disk full", 0)]
    public void Role_risk_confirmation_and_reason_decide(Role role, RiskClass risk, string? confirm, string? reason, int status)
    {
        var refusal = StepGuard.Check(On, risk, role, confirm, reason, "backend");
        Assert.Equal(status, refusal?.Status ?? 0);
    }

    [Fact]
    public void Disabled_execution_refuses_everything_with_how_to_enable_it()
    {
        var refusal = StepGuard.Check(new RunbookSettings(), RiskClass.ReadOnly, Role.Admin, "backend", "x", "backend");
        Assert.Equal(409, refusal!.Status);
        Assert.Contains("execution: enabled", refusal.Detail);
    }

    [Fact]
    public void Confirm_destructive_can_let_responders_run_destructive_steps()
    {
        var settings = On with { ConfirmDestructive = Role.Responder };
        Assert.Null(StepGuard.Check(settings, RiskClass.Destructive, Role.Responder, "backend", "disk full", "backend"));
    }

    [Fact]
    public void Runbook_settings_are_validated_with_positions()
    {
        var result = TestWorkspace.Load("""
            name: T
            runbooks:
              execution: enabled
              output_limit: 10
              working_directory: no/such/folder
              environment: [PATH, VIGIL_DATABASE, "$HOME"]
              confirm_destructive: viewer
            """);
        Assert.False(result.Ok);
        var text = string.Join("\n", result.Errors.Select(e => e.ToString()));
        Assert.Contains("output_limit", text);
        Assert.Contains("working_directory", text);
        Assert.Contains("VIGIL_DATABASE", text);
        Assert.Contains("'$HOME' is not a variable name", text);
        Assert.Contains("confirm_destructive", text);
    }

    [Fact]
    public void Runbook_defaults_are_disabled_60s_1MB_and_a_minimal_environment()
    {
        var w = TestWorkspace.Valid("name: T\n");
        Assert.Equal((ExecutionMode.Disabled, TimeSpan.FromSeconds(60), Role.Admin, 1024L * 1024), (w.Runbooks.Execution, w.Runbooks.StepTimeout, w.Runbooks.ConfirmDestructive, w.Runbooks.OutputLimit));
        Assert.DoesNotContain(w.Runbooks.Environment, n => n.StartsWith("VIGIL_", StringComparison.Ordinal));
        Assert.Contains("PATH", w.Runbooks.Environment);
    }

    [Fact]
    public void Every_runbook_under_runbooks_is_loaded_and_an_edit_changes_the_fingerprint()
    {
        using var ws = new TestWorkspace();
        Directory.CreateDirectory(Path.Combine(ws.Directory, "runbooks", "db"));
        File.WriteAllText(Path.Combine(ws.Directory, "runbooks", "db", "postgres.md"), "# Postgres\n\n## Replication Lag\n\n1. Check: `psql -c 'select 1'`\n");
        var loader = new WorkspaceLoader(_ => null);
        var first = loader.LoadText("name: T\n", ws.Directory).Workspace!;
        Assert.Equal(["db--postgres", "ops"], first.RunbookDocuments.Select(d => d.Id));
        Assert.Equal("runbooks/db/postgres.md", first.FindRunbook("db--postgres")!.Path);
        Assert.Equal("Postgres", first.FindRunbookByPath("./runbooks/db/postgres.md")!.Model.Title);
        Assert.Equal(first.Fingerprint, loader.LoadText("name: T\n", ws.Directory).Workspace!.Fingerprint);
        File.AppendAllText(Path.Combine(ws.Directory, "runbooks", "db", "postgres.md"), "2. Restart\n");
        Assert.NotEqual(first.Fingerprint, loader.LoadText("name: T\n", ws.Directory).Workspace!.Fingerprint);
    }
}
