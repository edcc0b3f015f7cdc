using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Vigil.Core.Postgres;

namespace Vigil.Storage;

/// <summary>
/// Entry points of the storage layer: resolve the database from the command line, configure EF Core for it,
/// register it in DI and bring its schema up to date.
/// </summary>
public static class VigilStorage
{
    /// <summary>The SQLite database's file name inside the data directory.</summary>
    public const string SqliteFileName = "vigil.db";

    // Referenced by name: the migration projects reference this one, so it cannot reference them.
    // Vigil.Web references both, so every host (the executable, the tests) carries them for EF to find at run time.
    private const string SqliteMigrationsAssembly = "Vigil.Storage.Sqlite";
    private const string PostgreSqlMigrationsAssembly = "Vigil.Storage.PostgreSql";

    private const string Accepted =
        "use a postgres://user:password@host:port/database?sslmode=... URL (percent-encode special characters), "
        + "an Npgsql connection string (Host=...;Username=...;Password=...;Database=...), "
        + "or no database option for SQLite in the data directory";

    /// <summary>
    /// Resolves the <c>--database</c> option (or <c>VIGIL_DATABASE</c>). Empty: SQLite file
    /// <c>&lt;dataDir&gt;/vigil.db</c>, creating the directory. Otherwise PostgreSQL, from a <c>postgres://</c> or
    /// <c>postgresql://</c> URL or an Npgsql connection string.
    /// </summary>
    /// <exception cref="StorageConfigurationException">The option is not understood; the message never repeats it.</exception>
    public static StorageProvider Parse(string? databaseOption, string dataDir)
    {
        if (string.IsNullOrWhiteSpace(databaseOption))
        {
            try
            {
                Directory.CreateDirectory(dataDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new StorageConfigurationException($"Cannot create the data directory {dataDir}: {e.Message}", e);
            }
            return StorageProvider.ForSqliteFile(Path.Combine(dataDir, SqliteFileName));
        }

        var option = databaseOption.Trim();
        if (PostgresUrl.IsUrl(option))
        {
            return ParsePostgresUrl(option);
        }
        var schemeEnd = option.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd > 0)
        {
            var scheme = option[..schemeEnd];
            // Only echo the scheme when it looks like one; anything else could be part of a secret.
            var shown = scheme.All(char.IsAsciiLetterOrDigit) ? $"'{scheme}://' " : "";
            throw new StorageConfigurationException($"The database URL scheme {shown}is not supported: {Accepted}.");
        }
        if (option.Contains('=', StringComparison.Ordinal))
        {
            return StorageProvider.ForPostgreSql(option);
        }
        throw new StorageConfigurationException($"The database option is neither a URL nor a connection string: {Accepted}.");
    }

    /// <summary>
    /// Points EF Core at the database: SQLite (with its per-connection pragmas) or PostgreSQL, each with the
    /// assembly holding its migrations.
    /// </summary>
    public static void Configure(DbContextOptionsBuilder options, StorageProvider provider)
    {
        switch (provider.Kind)
        {
            case StorageKind.Sqlite:
                options.UseSqlite(provider.ConnectionString, sqlite => sqlite.MigrationsAssembly(SqliteMigrationsAssembly))
                    .AddInterceptors(SqlitePragmaInterceptor.Instance);
                break;
            case StorageKind.PostgreSql:
                options.UseNpgsql(provider.ConnectionString, npgsql => npgsql.MigrationsAssembly(PostgreSqlMigrationsAssembly));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider.Kind, "Unknown storage kind.");
        }
    }

    /// <summary>
    /// Registers the <see cref="StorageProvider"/>, an <see cref="IDbContextFactory{VigilDbContext}"/> for background
    /// loops, and a scoped <see cref="VigilDbContext"/> for requests.
    /// </summary>
    public static IServiceCollection AddVigilStorage(this IServiceCollection services, StorageProvider provider)
    {
        services.AddSingleton(provider);
        services.AddDbContextFactory<VigilDbContext>(options => Configure(options, provider));
        return services;
    }

    /// <summary>On SQLite, the WAL pages (4 KB each) past which a commit checkpoints by itself (SQLite's default is 1,000):
    /// below it checkpoints are the server's background work.</summary>
    public const int SqliteAutoCheckpointPages = 10_000;

    /// <summary>Applies pending migrations at startup (see <see cref="MigrateAsync(VigilDbContext, CancellationToken)"/>).</summary>
    public static async Task MigrateAsync(IServiceProvider services, CancellationToken cancellationToken)
    {
        var factory = services.GetRequiredService<IDbContextFactory<VigilDbContext>>();
        await using var db = await factory.CreateDbContextAsync(cancellationToken);
        await MigrateAsync(db, cancellationToken);
    }

    /// <summary>
    /// Applies pending migrations; a no-op when the schema is current. EF holds a database lock meanwhile,
    /// so instances starting together on one PostgreSQL database migrate once. On SQLite, then switches the file to
    /// WAL mode (persistent), so readers never block the writer.
    /// </summary>
    public static async Task MigrateAsync(VigilDbContext db, CancellationToken cancellationToken)
    {
        await db.Database.MigrateAsync(cancellationToken);
        if (db.Database.IsSqlite())
        {
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode = WAL;", cancellationToken);
        }
    }

    private static StorageProvider ParsePostgresUrl(string url)
    {
        try
        {
            return StorageProvider.FromBuilder(PostgresUrl.Parse(url));
        }
        catch (FormatException e)
        {
            throw new StorageConfigurationException($"{e.Message.TrimEnd('.')}: {Accepted}.");
        }
    }
}
