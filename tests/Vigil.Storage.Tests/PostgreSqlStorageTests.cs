using Npgsql;

namespace Vigil.Storage.Tests;

/// <summary>
/// The storage tests on a real PostgreSQL server named by <c>VIGIL_TEST_POSTGRES</c> (postgres:// URL or connection
/// string; the role needs CREATEDB). Each test creates and drops its own database. Without the variable every test
/// here is reported as skipped, never as passed.
/// </summary>
public sealed class PostgreSqlStorageTests : StorageTests
{
    private const string Variable = "VIGIL_TEST_POSTGRES";

    protected override string ListTablesSql =>
        "SELECT table_name::text AS \"Value\" FROM information_schema.tables WHERE table_schema = current_schema()";

    protected override async Task<TestDatabase> CreateDatabaseAsync()
    {
        var server = Environment.GetEnvironmentVariable(Variable);
        if (string.IsNullOrWhiteSpace(server))
        {
            Assert.Skip($"{Variable} is not set: PostgreSQL storage tests skipped");
        }

        var admin = new NpgsqlConnectionStringBuilder(VigilStorage.Parse(server, Path.GetTempPath()).ConnectionString);
        if (string.IsNullOrEmpty(admin.Database))
        {
            admin.Database = "postgres";
        }
        var name = "vigil_test_" + Guid.NewGuid().ToString("N");
        await ExecuteAsync(admin.ConnectionString, $"CREATE DATABASE \"{name}\"", Ct);

        var test = new NpgsqlConnectionStringBuilder(admin.ConnectionString) { Database = name };
        return new TestDatabase(StorageProvider.ForPostgreSql(test.ConnectionString), async () =>
        {
            NpgsqlConnection.ClearAllPools();
            // Not the test's token: a cancelled run must still clean up after itself.
            await ExecuteAsync(admin.ConnectionString, $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)", CancellationToken.None);
        });
    }

    private static async Task ExecuteAsync(string connectionString, string sql, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(sql, connection);
        await command.ExecuteNonQueryAsync(cancellationToken);
    }
}
