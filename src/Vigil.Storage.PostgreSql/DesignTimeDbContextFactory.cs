using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Vigil.Storage.PostgreSql;

/// <summary>
/// Lets <c>dotnet ef</c> build the PostgreSQL model: <c>dotnet ef migrations add NAME --project src/Vigil.Storage.PostgreSql</c>
/// needs no server. For <c>dotnet ef database update</c>, set <c>VIGIL_DATABASE</c> to a postgres:// URL or connection string.
/// </summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<VigilDbContext>
{
    public VigilDbContext CreateDbContext(string[] args)
    {
        var database = Environment.GetEnvironmentVariable("VIGIL_DATABASE");
        var provider = string.IsNullOrWhiteSpace(database)
            ? StorageProvider.ForPostgreSql("Host=localhost;Database=vigil;Username=vigil")
            : VigilStorage.Parse(database, Directory.GetCurrentDirectory());
        var options = new DbContextOptionsBuilder<VigilDbContext>();
        VigilStorage.Configure(options, provider);
        return new VigilDbContext(options.Options);
    }
}
