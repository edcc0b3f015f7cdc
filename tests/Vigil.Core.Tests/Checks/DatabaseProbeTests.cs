using System.Diagnostics;
using Microsoft.Data.Sqlite;
using Npgsql;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;
using static Vigil.Core.Tests.Checks.ProbeTestSupport;

namespace Vigil.Core.Tests.Checks;

/// <summary>
/// A database of its own on the PostgreSQL server named by <c>VIGIL_TEST_POSTGRES</c> (a postgres:// URL or connection
/// string; the role needs CREATEDB), with a <c>jobs</c> table; dropped at the end. Without the variable, the tests
/// that need it are reported as skipped, never as passed.
/// </summary>
public sealed class PostgresTestDatabase : IAsyncLifetime
{
    public const string Variable = "VIGIL_TEST_POSTGRES";
    private string? admin;
    private string? name;

    /// <summary>A postgres:// URL of the test database, password included.</summary>
    public string Url { get; private set; } = "";

    public string Password { get; private set; } = "";

    public void SkipUnlessAvailable()
    {
        if (Url.Length == 0) Assert.Skip($"{Variable} is not set: PostgreSQL probe tests skipped");
    }

    public async ValueTask InitializeAsync()
    {
        var server = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(server)) return;
        var adminBuilder = new NpgsqlConnectionStringBuilder(PostgresConnection.Build(server, TimeSpan.FromSeconds(30), out _));
        if (string.IsNullOrEmpty(adminBuilder.Database)) adminBuilder.Database = "postgres";
        admin = adminBuilder.ConnectionString;
        name = "vigil_probe_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(admin, $"CREATE DATABASE \"{name}\"");
        var test = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        await ExecuteAsync(test.ConnectionString,
            "CREATE TABLE jobs (id serial primary key, state text not null); INSERT INTO jobs (state) VALUES ('stuck'), ('stuck'), ('done')");
        Password = test.Password ?? "";
        Url = $"postgres://{Uri.EscapeDataString(test.Username ?? "")}:{Uri.EscapeDataString(Password)}@{test.Host}:{test.Port}/{name}?sslmode={test.SslMode.ToString().ToLowerInvariant()}";
    }

    private static async Task ExecuteAsync(string connectionString, string sql)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync();
    }

    public async ValueTask DisposeAsync()
    {
        if (admin is null || name is null) return;
        NpgsqlConnection.ClearAllPools();
        await ExecuteAsync(admin, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
    }
}

public sealed class PostgresProbeTests(PostgresTestDatabase database) : IClassFixture<PostgresTestDatabase>
{
    private readonly PostgresProbe probe = new();

    [Fact]
    public async Task Select_one_by_default_reports_connected_and_the_value()
    {
        database.SkipUnlessAvailable();

        var seen = await RunAsync(probe, Make(new PostgresCheckSpec(database.Url, null)));

        Assert.Null(seen.Error);
        Assert.True(seen.Connected);
        Assert.Equal(1, seen.Value);
        Assert.Equal("1", seen.Body);
    }

    [Fact]
    public async Task A_given_query_gives_its_first_column_as_body_and_value_if_numeric()
    {
        database.SkipUnlessAvailable();

        var count = await RunAsync(probe, Make(new PostgresCheckSpec(database.Url, "select count(*) from jobs where state = 'stuck'")));
        var text = await RunAsync(probe, Make(new PostgresCheckSpec(database.Url, "select state from jobs order by id limit 1")));

        Assert.Equal(2, count.Value);
        Assert.Equal("stuck", text.Body);
        Assert.Null(text.Value);
    }

    [Fact]
    public async Task A_wrong_password_is_an_error_that_never_shows_it()
    {
        database.SkipUnlessAvailable();
        var wrong = database.Url.Replace(":" + Uri.EscapeDataString(database.Password) + "@", ":Wr0ng-S3cret@", StringComparison.Ordinal);

        var seen = await RunAsync(probe, Make(new PostgresCheckSpec(wrong, null)));

        Assert.False(seen.Connected);
        Assert.NotNull(seen.Error);
        Assert.DoesNotContain("Wr0ng-S3cret", seen.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_failing_query_is_an_error_after_connecting()
    {
        database.SkipUnlessAvailable();

        var seen = await RunAsync(probe, Make(new PostgresCheckSpec(database.Url, "select * from no_such_table")));

        Assert.True(seen.Connected);
        Assert.Contains("no_such_table", seen.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_slow_query_is_abandoned_at_the_timeout()
    {
        database.SkipUnlessAvailable();
        var started = Stopwatch.StartNew();

        var seen = await RunAsync(probe, Make(new PostgresCheckSpec(database.Url, "select pg_sleep(30)"), TimeSpan.FromMilliseconds(700)));

        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(6));
        Assert.Equal("timed out after 700ms", seen.Error);
    }

    [Fact]
    public async Task A_refused_server_is_an_error_without_the_password()
    {
        var seen = await RunAsync(probe, Make(new PostgresCheckSpec("postgres://vigil:Sup3rSecret@127.0.0.1:1/app", null)));

        Assert.False(seen.Connected);
        Assert.NotNull(seen.Error);
        Assert.DoesNotContain("Sup3rSecret", seen.Error, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreadable_connection_string_is_an_error_that_does_not_echo_it()
    {
        var seen = await RunAsync(probe, Make(new PostgresCheckSpec("Host=x;Passw0rd=Sup3rSecret;Bogus Key=1", null)));

        Assert.NotNull(seen.Error);
        Assert.DoesNotContain("Sup3rSecret", seen.Error, StringComparison.Ordinal);
    }
}

public sealed class SqlProbeTests(PostgresTestDatabase database) : IClassFixture<PostgresTestDatabase>, IDisposable
{
    private readonly SqlProbe probe = new();
    private readonly TempDir dir = new();

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        dir.Dispose();
    }

    private string CreateSqlite(string relative)
    {
        var path = Path.Combine(dir.Path, relative);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ConnectionString);
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "CREATE TABLE jobs (id INTEGER PRIMARY KEY, state TEXT); INSERT INTO jobs (state) VALUES ('stuck'), ('stuck'), ('stuck'), ('done');";
        command.ExecuteNonQuery();
        return path;
    }

    private Task<Observation> Sqlite(string connection, string query, TimeSpan? timeout = null) =>
        RunAsync(probe, Make(new SqlCheckSpec(SqlDriver.Sqlite, connection, query), timeout), Context(dir.Path));

    [Fact]
    public async Task Sqlite_path_relative_to_the_workspace_gives_the_number()
    {
        CreateSqlite("data/app.db");

        var seen = await Sqlite("data/app.db", "select count(*) from jobs where state = 'stuck'");

        Assert.Null(seen.Error);
        Assert.True(seen.Connected);
        Assert.Equal(3, seen.Value);
    }

    [Fact]
    public async Task Sqlite_connection_string_works_too()
    {
        var path = CreateSqlite("app.db");

        var seen = await Sqlite($"Data Source={path};Mode=ReadOnly", "select avg(id) from jobs");

        Assert.Equal(2.5, seen.Value);
    }

    [Fact]
    public async Task A_non_numeric_result_is_an_error_saying_so()
    {
        CreateSqlite("app.db");

        var seen = await Sqlite("app.db", "select state from jobs limit 1");

        Assert.Equal("the query returned 'stuck', not a number", seen.Error);
        Assert.Null(seen.Value);
    }

    [Fact]
    public async Task No_rows_and_null_are_errors_saying_so()
    {
        CreateSqlite("app.db");

        var none = await Sqlite("app.db", "select id from jobs where 0");
        var nul = await Sqlite("app.db", "select null");

        Assert.Equal("the query returned no rows, not a number", none.Error);
        Assert.Equal("the query returned NULL, not a number", nul.Error);
    }

    [Fact]
    public async Task A_missing_sqlite_file_is_an_error_and_is_not_created()
    {
        var seen = await Sqlite("missing.db", "select 1");

        Assert.StartsWith("no such SQLite database: ", seen.Error, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(dir.Path, "missing.db")));
    }

    [Fact]
    public async Task A_runaway_sqlite_query_is_interrupted_at_the_timeout()
    {
        CreateSqlite("app.db");
        var started = Stopwatch.StartNew();

        var seen = await Sqlite("app.db",
            "with recursive n(i) as (select 1 union all select i + 1 from n) select count(*) from n",
            TimeSpan.FromMilliseconds(500));

        Assert.InRange(started.Elapsed, TimeSpan.Zero, TimeSpan.FromSeconds(5));
        Assert.Equal("timed out after 500ms", seen.Error);
    }

    [Fact]
    public async Task Postgres_driver_gives_the_number()
    {
        database.SkipUnlessAvailable();

        var seen = await RunAsync(probe, Make(new SqlCheckSpec(SqlDriver.Postgres, database.Url, "select count(*) from jobs where state = 'stuck'")));

        Assert.Null(seen.Error);
        Assert.Equal(2, seen.Value);
    }

    [Fact]
    public async Task Postgres_driver_non_numeric_result_is_an_error()
    {
        database.SkipUnlessAvailable();

        var seen = await RunAsync(probe, Make(new SqlCheckSpec(SqlDriver.Postgres, database.Url, "select 'many'")));

        Assert.Equal("the query returned 'many', not a number", seen.Error);
    }
}
