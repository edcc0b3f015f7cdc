using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;

namespace Vigil.Storage.Tests;

/// <summary>
/// A fresh, empty database for one test, wired the way the application wires it (<see cref="VigilStorage.AddVigilStorage"/>),
/// and removed afterwards.
/// </summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly ServiceProvider _services;
    private readonly Func<ValueTask> _drop;

    public TestDatabase(StorageProvider provider, Func<ValueTask> drop)
    {
        Provider = provider;
        _services = new ServiceCollection().AddVigilStorage(provider).BuildServiceProvider();
        _drop = drop;
    }

    public StorageProvider Provider { get; }

    public IServiceProvider Services => _services;

    public VigilDbContext NewContext() => _services.GetRequiredService<IDbContextFactory<VigilDbContext>>().CreateDbContext();

    public Task MigrateAsync() => VigilStorage.MigrateAsync(_services, TestContext.Current.CancellationToken);

    public async ValueTask DisposeAsync()
    {
        await _services.DisposeAsync();
        await _drop();
    }
}
