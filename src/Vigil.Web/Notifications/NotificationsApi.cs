using Microsoft.EntityFrameworkCore;
using Vigil.Core.Workspace;
using Vigil.Storage;
using Vigil.Web.Http;
using Vigil.Web.Escalation;
using Vigil.Web.Security;

namespace Vigil.Web.Notifications;

/// <summary>A channel and how its deliveries go: counts by outbox state, and this instance's latest outcomes. No URL or secret.</summary>
public sealed record ChannelDto(string Id, string Type, IReadOnlyList<string> Events, int Pending, int Retrying, int Sent, int Dead,
    bool Failing, int ConsecutiveFailures, DateTimeOffset? LastSentAt, DateTimeOffset? LastErrorAt, string? LastError);

public static class NotificationsApi
{
    public static IServiceCollection AddVigilNotifications(this IServiceCollection services)
    {
        services.AddSingleton<ChannelSenders>();
        services.AddSingleton<ActionLinks>();
        services.AddSingleton<OutboxDispatcher>();
        services.AddHostedService(sp => sp.GetRequiredService<OutboxDispatcher>());
        services.AddSingleton<Escalation.EscalationEngine>();
        services.AddHostedService(sp => sp.GetRequiredService<Escalation.EscalationEngine>());
        services.AddSingleton<Paging>();
        return services;
    }

    public static IEndpointRouteBuilder MapNotificationsApi(this IEndpointRouteBuilder app)
    {
        app.MapGet("/api/v1/channels", async Task<IResult> (WorkspaceState workspace, IDbContextFactory<VigilDbContext> dbFactory, OutboxDispatcher dispatcher, CancellationToken ct) =>
        {
            await using var db = await dbFactory.CreateDbContextAsync(ct);
            var counts = (await db.Outbox.AsNoTracking().GroupBy(o => new { o.ChannelId, o.State }).Select(g => new { g.Key.ChannelId, g.Key.State, Count = g.Count() }).ToListAsync(ct))
                .ToDictionary(x => (x.ChannelId, x.State), x => x.Count);
            int Count(string channel, params string[] states) => states.Sum(s => counts.GetValueOrDefault((channel, s)));
            var items = workspace.Current.Channels.Select(c =>
            {
                var h = dispatcher.Health.GetValueOrDefault(c.Id) ?? new ChannelHealth(0, null, null, null);
                return new ChannelDto(c.Id, c.Type.ToString().ToLowerInvariant(), c.Events,
                    Count(c.Id, Outbox.Pending, Outbox.Sending), Count(c.Id, Outbox.Failed), Count(c.Id, Outbox.Sent), Count(c.Id, Outbox.Dead),
                    OutboxDispatcher.IsFailing(h), h.ConsecutiveFailures, h.LastSentAt, h.LastErrorAt, h.LastError);
            }).ToList();
            return TypedResults.Ok(new Page<ChannelDto>(items, items.Count, null));
        })
        .WithTags("Notifications")
        .RequireRole(Role.Viewer)
        .WithSummary("The notification channels and how their deliveries go; `failing` after three failures in a row")
        .Produces<Page<ChannelDto>>();
        app.MapActionLinks();
        app.MapEscalationApi();
        return app;
    }
}
