using Npgsql;

namespace Vigil.Storage.Tests;

public sealed class VigilStorageParseTests
{
    [Fact]
    public void No_database_option_means_a_sqlite_file_in_the_data_directory_which_is_created()
    {
        var dataDir = Path.Combine(Path.GetTempPath(), "vigil-storage-tests", Guid.NewGuid().ToString("N"), "nested");
        try
        {
            var provider = VigilStorage.Parse("  ", dataDir);

            Assert.Equal(StorageKind.Sqlite, provider.Kind);
            Assert.True(Directory.Exists(dataDir));
            var file = Path.Combine(Path.GetFullPath(dataDir), "vigil.db");
            Assert.Contains(file, provider.ConnectionString, StringComparison.Ordinal);
            Assert.Equal($"SQLite file {file}", provider.Describe());
        }
        finally
        {
            Directory.Delete(Path.GetDirectoryName(dataDir)!, recursive: true);
        }
    }

    [Fact]
    public void A_postgres_url_becomes_a_connection_string_with_percent_decoded_credentials()
    {
        var provider = VigilStorage.Parse(
            "postgres://ops%2Dadmin:p%40ss%3Aw%2Frd%23%25+x@db.example.com:6543/vigil%5Fprod?sslmode=require&application_name=vigil",
            "unused");

        Assert.Equal(StorageKind.PostgreSql, provider.Kind);
        var builder = new NpgsqlConnectionStringBuilder(provider.ConnectionString);
        Assert.Equal("db.example.com", builder.Host);
        Assert.Equal(6543, builder.Port);
        Assert.Equal("ops-admin", builder.Username);
        Assert.Equal("p@ss:w/rd#%+x", builder.Password);
        Assert.Equal("vigil_prod", builder.Database);
        Assert.Equal(SslMode.Require, builder.SslMode);
        Assert.Equal("vigil", builder.ApplicationName);
    }

    [Fact]
    public void A_postgresql_url_without_port_uses_the_default_port()
    {
        var builder = new NpgsqlConnectionStringBuilder(VigilStorage.Parse("postgresql://vigil@[::1]/vigil", "unused").ConnectionString);

        Assert.Equal("::1", builder.Host);
        Assert.Equal(5432, builder.Port);
        Assert.Equal("vigil", builder.Username);
        Assert.Null(builder.Password);
    }

    [Fact]
    public void Npgsql_keywords_are_accepted_as_url_parameters()
    {
        var builder = new NpgsqlConnectionStringBuilder(
            VigilStorage.Parse("postgres://u:pw@h/db?Maximum%20Pool%20Size=50&connect_timeout=7", "unused").ConnectionString);

        Assert.Equal(50, builder.MaxPoolSize);
        Assert.Equal(7, builder.Timeout);
    }

    [Fact]
    public void A_plain_npgsql_connection_string_is_accepted()
    {
        var provider = VigilStorage.Parse("Host=10.0.0.5;Port=5433;Username=vigil;Password=s3cret;Database=vigil", "unused");

        Assert.Equal(StorageKind.PostgreSql, provider.Kind);
        Assert.Equal("s3cret", new NpgsqlConnectionStringBuilder(provider.ConnectionString).Password);
        Assert.Equal("PostgreSQL 10.0.0.5:5433/vigil as vigil (sslmode prefer)", provider.Describe());
    }

    [Theory]
    [InlineData("postgres://vigil:p%40ssw0rd@db:5432/vigil?sslmode=disable")]
    [InlineData("Host=db;Username=vigil;Password=p@ssw0rd;Database=vigil")]
    public void Describe_and_ToString_never_show_the_password(string option)
    {
        var provider = VigilStorage.Parse(option, "unused");

        Assert.Equal("PostgreSQL db:5432/vigil as vigil (sslmode " + (option.Contains("disable", StringComparison.Ordinal) ? "disable)" : "prefer)"), provider.Describe());
        Assert.DoesNotContain("p@ssw0rd", provider.Describe(), StringComparison.Ordinal);
        Assert.DoesNotContain("p%40ssw0rd", provider.Describe(), StringComparison.Ordinal);
        Assert.Equal(provider.Describe(), provider.ToString());
        Assert.Equal(provider.Describe(), $"{provider}");
    }

    [Theory]
    [InlineData("mysql://root:secret@db/vigil", "scheme 'mysql://' is not supported")]
    [InlineData("secret", "neither a URL nor a connection string")]
    [InlineData("postgres://vigil:secret@/vigil", "PostgreSQL URL is malformed")]
    [InlineData("postgres:///vigil?password=secret", "names no host")]
    [InlineData("postgres://vigil:secret@db/vigil?sslmode=sometimes", "sslmode must be disable, allow, prefer, require, verify-ca or verify-full")]
    [InlineData("postgres://vigil@db/vigil?colour=secret", "parameter 'colour' is not supported")]
    [InlineData("postgres://vigil@db/vigil?connect_timeout=secret", "parameter 'connect_timeout' is not supported or has an invalid value")]
    [InlineData("Host=db;Password=secret;Colour=blue", "connection string is malformed")]
    [InlineData("Host=db;Port=secret", "connection string is malformed")]
    [InlineData("Host=db;SSL Mode=secret", "connection string is malformed")]
    [InlineData("Username=vigil;Password=secret", "names no host")]
    public void A_bad_database_option_gives_a_clear_error_that_does_not_repeat_the_secret(string option, string expected)
    {
        var error = Assert.Throws<StorageConfigurationException>(() => VigilStorage.Parse(option, "unused"));

        Assert.Contains(expected, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("secret", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("ApiTokens", "api_tokens")]
    [InlineData("LatencyP50", "latency_p50")]
    [InlineData("IncidentTimeline", "incident_timeline")]
    [InlineData("HTTPStatus", "http_status")]
    [InlineData("Id", "id")]
    public void Names_are_converted_to_snake_case(string name, string expected)
    {
        Assert.Equal(expected, VigilDbContext.ToSnakeCase(name));
    }
}
