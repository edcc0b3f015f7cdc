using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Vigil.Core.Alerts.Inbound;
using Vigil.Storage;
using Vigil.Web.Incidents;

namespace Vigil.Web.Alerts;

/// <summary>An accepted inbound event waiting to be stored: its raw body and what was read from it.</summary>
public sealed class InboundItem(Core.Workspace.Integration integration, string format, string payload, string? dedupKey, PagerDutyEvent? pagerDuty, AlertmanagerNotification? alertmanager)
{
    public Core.Workspace.Integration Integration { get; } = integration;
    public string Format { get; } = format;
    public string Payload { get; } = payload;
    public string? DedupKey { get; } = dedupKey;
    public PagerDutyEvent? PagerDuty { get; } = pagerDuty;
    public AlertmanagerNotification? Alertmanager { get; } = alertmanager;

    /// <summary>Completes once the event is committed (the sender may then get its 2xx), or fails.</summary>
    public TaskCompletionSource Stored { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}

/// <summary>
/// The inbound events' batching writer: requests queue their event on a bounded channel and wait; one loop takes what
/// has queued up and, in one transaction, stores every raw event (<c>inbound_events</c>) and applies it to alerts and
/// incidents. Senders get their <c>2xx</c> only after that commit, so an accepted event survives a crash.
/// </summary>
/// <remarks>A batch that fails is retried event by event, each in its own transaction, so one event the database
/// refuses fails alone (its sender gets a 5xx and retries) instead of taking the batch with it.</remarks>
public sealed class InboundWriter(IDbContextFactory<VigilDbContext> dbFactory, IncidentStore incidents, TimeProvider time, ILogger<InboundWriter> log) : BackgroundService
{
    public const int BatchSize = 500;

    private readonly Channel<InboundItem> channel = Channel.CreateBounded<InboundItem>(new BoundedChannelOptions(20_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private long stored;

    /// <summary>Events committed since start.</summary>
    public long Stored => Interlocked.Read(ref stored);

    /// <summary>Queues an event and waits until it is committed.</summary>
    public async Task StoreAsync(InboundItem item, CancellationToken ct)
    {
        await channel.Writer.WriteAsync(item, ct);
        await item.Stored.Task;
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var batch = new List<InboundItem>(BatchSize);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                if (!await channel.Reader.WaitToReadAsync(stoppingToken)) return;
            }
            catch (OperationCanceledException)
            {
                break;
            }
            batch.Clear();
            while (batch.Count < BatchSize && channel.Reader.TryRead(out var item)) batch.Add(item);
            try
            {
                await WriteAsync(batch, stoppingToken);
                Interlocked.Add(ref stored, batch.Count);
                foreach (var item in batch) item.Stored.TrySetResult();
            }
            catch (Exception e) when (!stoppingToken.IsCancellationRequested)
            {
                log.LogWarning(e, "Storing {Count} inbound events together failed; storing them one by one", batch.Count);
                foreach (var item in batch)
                {
                    try
                    {
                        await WriteAsync([item], stoppingToken);
                        Interlocked.Increment(ref stored);
                        item.Stored.TrySetResult();
                    }
                    catch (Exception one) when (!stoppingToken.IsCancellationRequested)
                    {
                        log.LogError(one, "Could not store a {Format} event from integration {Integration}; its sender gets a 503 and may retry", item.Format, item.Integration.Id);
                        item.Stored.TrySetException(one);
                    }
                }
            }
        }
        // Shutting down: nothing queued is lost silently; its senders get an error and retry elsewhere or later.
        while (channel.Reader.TryRead(out var left)) left.Stored.TrySetCanceled(CancellationToken.None);
        foreach (var item in batch) item.Stored.TrySetCanceled(CancellationToken.None);
    }

    private async Task WriteAsync(List<InboundItem> batch, CancellationToken ct)
    {
        await using var db = await dbFactory.CreateDbContextAsync(ct);
        await using var tx = await db.Database.BeginTransactionAsync(ct);
        var now = time.GetUtcNow();
        foreach (var item in batch)
        {
            db.InboundEvents.Add(new InboundEvent { IntegrationId = item.Integration.Id, ReceivedAt = now, Format = item.Format, DedupKey = item.DedupKey, Payload = item.Payload });
        }
        await db.SaveChangesAsync(ct);
        foreach (var item in batch)
        {
            if (item.PagerDuty is { } e) await incidents.ApplyPagerDutyAsync(db, item.Integration, e, item.DedupKey!, ct);
            else if (item.Alertmanager is { } n) await incidents.ApplyAlertmanagerAsync(db, item.Integration, n, ct);
        }
        await tx.CommitAsync(ct);
    }
}
