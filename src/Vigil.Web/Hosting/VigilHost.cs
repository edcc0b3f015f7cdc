using System.Text.Json;
using System.Text.Json.Serialization;
using Vigil.Web.Alerts;
using Microsoft.Extensions.Logging.Console;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Demo;
using Vigil.Web.Checks;
using Vigil.Web.Health;
using Vigil.Web.Heartbeats;
using Vigil.Web.Http;
using Vigil.Web.Incidents;
using Vigil.Web.Notifications;
using Vigil.Web.OnCall;
using Vigil.Web.Logging;
using Vigil.Web.Runbooks;
using Vigil.Web.Security;
using Vigil.Web.Services;
using Vigil.Web.Workspace;

namespace Vigil.Web.Hosting;

/// <summary>Builds and runs the Vigil server. Reads like a table of contents: one line per capability.</summary>
public static class VigilHost
{
    /// <summary>
    /// Validates the workspace and the storage option, then builds the app. Throws
    /// <see cref="WorkspaceInvalidException"/> or <see cref="StorageConfigurationException"/> with every problem found.
    /// </summary>
    public static WebApplication Build(VigilHostOptions options, Action<ILoggingBuilder>? logging = null)
    {
        var workspaceDirectory = Path.GetFullPath(options.WorkspaceDirectory);
        var initial = new WorkspaceLoader(options.Environment).Load(workspaceDirectory);
        if (!initial.Ok) throw new WorkspaceInvalidException(initial.Errors);
        var storage = VigilStorage.Parse(options.Database, Path.GetFullPath(options.ResolvedDataDirectory));

        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory });
        builder.WebHost.UseUrls(options.Urls);
        // Kestrel's UnsafePreferInlineScheduling is left off: with it a request ran on the thread that took its
        // socket's completion, and a handler's synchronous SQLite work (a ping's EF save waiting for the write lock)
        // held up the completions of other sockets behind it: 250 heartbeat failures at once waited 173 ms (p50) for
        // their webhooks with it, 76 ms without (bench/notify-latency), for no measurable gain in bench/ingest.
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Limits.MaxRequestBodySize = options.MaxRequestBodyBytes;
        });

        builder.Logging.ClearProviders();
        builder.Logging.AddConsole(c => c.FormatterName = RedactingConsoleFormatter.Name);
        builder.Logging.AddConsoleFormatter<RedactingConsoleFormatter, ConsoleFormatterOptions>();
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore", LogLevel.Warning);
        // EF logs a failed command before rethrowing it; our code logs every such exception itself, with context and
        // redacted. Left on, it also logs the expected miss on __EFMigrationsHistory when migrating an empty PostgreSQL.
        builder.Logging.AddFilter("Microsoft.EntityFrameworkCore.Database.Command", LogLevel.None);
        builder.Logging.AddFilter("Microsoft.AspNetCore", LogLevel.Warning);
        builder.Logging.AddFilter("Microsoft.Hosting.Lifetime", LogLevel.Information);
        // Data protection comes with the authentication services; Vigil encrypts nothing with it.
        builder.Logging.AddFilter("Microsoft.AspNetCore.DataProtection", LogLevel.Error);
        // Denials are in the audit log; one info line per 401 would only repeat it.
        builder.Logging.AddFilter(typeof(BearerAuthenticationHandler).FullName, LogLevel.Warning);
        logging?.Invoke(builder.Logging);

        var state = new WorkspaceState(options.Time);
        state.Apply(initial);

        builder.Services.AddSingleton(options with { WorkspaceDirectory = workspaceDirectory });
        builder.Services.AddSingleton(options.Time);
        builder.Services.AddSingleton(state);
        builder.Services.ConfigureHttpJsonOptions(j => Json.Configure(j.SerializerOptions));
        builder.Services.AddProblemDetails();
        builder.Services.AddVigilStorage(storage);
        builder.Services.AddSingleton<WalCheckpointer>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<WalCheckpointer>());
        builder.Services.AddVigilWorkspaceReload();
        builder.Services.AddVigilSecurity();
        builder.Services.AddVigilOpenApi();
        // Hosted services stop in the reverse order: the heartbeats (pings and the late sweep, which publish results) and
        // the demo (which pings) stop before the check engine's writer they publish to.
        builder.Services.AddVigilChecks();
        builder.Services.AddVigilHeartbeats();
        if (options.Demo) builder.Services.AddVigilDemo();
        builder.Services.AddVigilIncidents();
        builder.Services.AddVigilAlerts();
        builder.Services.AddVigilInbound();
        builder.Services.AddVigilOnCall();
        builder.Services.AddVigilNotifications();
        builder.Services.AddVigilRunbooks();
        options.ConfigureServices?.Invoke(builder.Services);

        var app = builder.Build();
        app.UseVigilErrors();
        app.UseInboundFastPath();
        app.UseRouting();
        app.UseVigilMetrics();
        app.UseAuthentication();
        app.UseAuthorization();

        app.MapHealthApi();
        app.MapVigilOpenApi();
        app.MapWorkspaceApi();
        app.MapTokensApi();
        app.MapAuditApi();
        app.MapServicesApi();
        app.MapHeartbeatsApi();
        if (options.Demo) app.MapDemoServices();
        app.MapChecksApi();
        app.MapIncidentsApi();
        app.MapSilencesApi();
        app.MapInboundApi();
        app.MapOnCallApi();
        app.MapNotificationsApi();
        app.MapRunbooksApi();
        app.MapIncidentRunbookApi();
        app.MapExecutionsApi();
        return app;
    }

    /// <summary>Applies migrations and creates the bootstrap token; run before the server accepts requests.</summary>
    public static async Task PrepareAsync(WebApplication app, CancellationToken cancellationToken = default)
    {
        var log = app.Services.GetRequiredService<ILoggerFactory>().CreateLogger("Vigil");
        var storage = app.Services.GetRequiredService<StorageProvider>();
        log.LogInformation("Storage: {Storage}", storage.Describe());
        await VigilStorage.MigrateAsync(app.Services, cancellationToken);
        await BootstrapToken.EnsureAsync(app.Services, cancellationToken);
        var w = app.Services.GetRequiredService<WorkspaceState>().Current;
        log.LogInformation("Workspace '{Name}' loaded from {Directory}: {Services} services, {Checks} checks", w.Name, w.Directory, w.Services.Count, w.Services.Sum(s => s.Checks.Count));
    }
}

/// <summary>JSON as the API speaks it: snake_case names and enum values, no nulls dropped.</summary>
public static class Json
{
    public static void Configure(JsonSerializerOptions o)
    {
        o.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        o.DictionaryKeyPolicy = null;
        o.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower));
    }

    public static readonly JsonSerializerOptions Options = Create();

    private static JsonSerializerOptions Create()
    {
        var o = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Configure(o);
        return o;
    }
}
