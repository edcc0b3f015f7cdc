using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Vigil.Storage.Sqlite;

/// <summary>
/// Lets <c>dotnet ef</c> build the SQLite model: <c>dotnet ef migrations add NAME --project src/Vigil.Storage.Sqlite</c>.
/// <c>dotnet ef database update</c> targets <c>vigil.db</c> in the current folder.
/// </summary>
public sealed class DesignTimeDbContextFactory : IDesignTimeDbContextFactory<VigilDbContext>
{
    public VigilDbContext CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<VigilDbContext>();
        VigilStorage.Configure(options, StorageProvider.ForSqliteFile(VigilStorage.SqliteFileName));
        return new VigilDbContext(options.Options);
    }
}
