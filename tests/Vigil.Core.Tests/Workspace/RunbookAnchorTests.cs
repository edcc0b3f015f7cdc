using Vigil.Runbooks;

namespace Vigil.Core.Tests.Workspace;

// Section anchors as GitHub renders them, so a link copied from the rendered runbook
// is a valid `runbook:` reference in vigil.yaml.
public sealed class RunbookAnchorTests
{
    [Theory]
    [InlineData("Service Down", "service-down")]
    [InlineData("Weekly Tasks (Every Monday)", "weekly-tasks-every-monday")]
    [InlineData("Database Backup & Restore", "database-backup--restore")]
    [InlineData("1. Restart Services", "1-restart-services")]
    [InlineData("Problem: 403 Forbidden when creating signals", "problem-403-forbidden-when-creating-signals")]
    [InlineData("Option A - Rollback", "option-a---rollback")]
    [InlineData("`GET /health` fails", "get-health-fails")]
    [InlineData("snake_case_name", "snake_case_name")]
    [InlineData("Über uns", "über-uns")]
    public void Heading_becomes_a_github_slug(string heading, string slug)
    {
        Assert.Equal(slug, RunbookParser.Slug(heading));
    }

    [Fact]
    public void Repeated_headings_are_numbered_from_one()
    {
        var anchors = RunbookParser.Parse("""
            # Runbook
            ## Symptoms
            ## Symptoms
            ## Symptoms
            """).Anchors;
        Assert.Equal(["runbook", "symptoms", "symptoms-1", "symptoms-2"], anchors.Order());
    }

    [Fact]
    public void Comments_inside_fenced_code_are_not_headings()
    {
        var anchors = RunbookParser.Parse("""
            ## Service Down

            ```bash
            # 1. Check service status
            docker compose ps
            ```

            ~~~sh
            # 2. Restart
            ```
            # still inside the tilde fence
            ~~~

            ## Verify Recovery
            """).Anchors;
        Assert.Equal(["service-down", "verify-recovery"], anchors.Order());
    }

    [Fact]
    public void Lines_that_only_look_like_headings_are_not_headings()
    {
        var anchors = RunbookParser.Parse("""
            #hashtag without a space
                # indented four spaces: code
            ####### seven hashes
            ## Closed heading ##
            """).Anchors;
        Assert.Equal(["closed-heading"], anchors.Order());
    }

    [Fact]
    public void Crlf_line_endings_do_not_leak_into_anchors()
    {
        var anchors = RunbookParser.Parse("## Service Down\r\n\r\n## Disk Space Full\r\n").Anchors;
        Assert.Equal(["disk-space-full", "service-down"], anchors.Order());
    }

    [Fact]
    public void Stm_runbook_anchors_include_its_incident_and_maintenance_sections()
    {
        var anchors = RunbookParser.ParseFile(Path.Combine(AppContext.BaseDirectory, "examples", "stm-intelligence-brief", "runbooks", "stm-intelligence-brief.md")).Anchors;
        Assert.Contains("service-down", anchors);
        Assert.Contains("database-connection-issues", anchors);
        Assert.Contains("weekly-tasks-every-monday", anchors);
        Assert.Contains("database-backup--restore", anchors);
        // "# Check all services" is a comment in a ```bash block of "Service Status".
        Assert.DoesNotContain("check-all-services", anchors);
    }
}
