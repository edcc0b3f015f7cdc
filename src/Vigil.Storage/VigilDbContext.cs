using System.Text;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;

namespace Vigil.Storage;

/// <summary>
/// Vigil's database: one model for SQLite and PostgreSQL. Table and column names are snake_case on both;
/// migrations live in Vigil.Storage.Sqlite and Vigil.Storage.PostgreSql (see <see cref="VigilStorage.Configure"/>).
/// </summary>
public sealed class VigilDbContext(DbContextOptions<VigilDbContext> options) : DbContext(options)
{
    public DbSet<ApiToken> ApiTokens => Set<ApiToken>();

    public DbSet<AuditEvent> AuditEvents => Set<AuditEvent>();

    public DbSet<CheckResult> CheckResults => Set<CheckResult>();

    public DbSet<CheckRollup> CheckRollups => Set<CheckRollup>();

    public DbSet<CheckState> CheckStates => Set<CheckState>();

    public DbSet<Heartbeat> Heartbeats => Set<Heartbeat>();

    public DbSet<HeartbeatPing> HeartbeatPings => Set<HeartbeatPing>();

    public DbSet<Alert> Alerts => Set<Alert>();

    public DbSet<Incident> Incidents => Set<Incident>();

    public DbSet<IncidentTimelineEntry> IncidentTimeline => Set<IncidentTimelineEntry>();

    public DbSet<Escalation> Escalations => Set<Escalation>();

    public DbSet<OutboxMessage> Outbox => Set<OutboxMessage>();

    public DbSet<InboundEvent> InboundEvents => Set<InboundEvent>();

    public DbSet<ScheduleOverride> ScheduleOverrides => Set<ScheduleOverride>();

    public DbSet<Silence> Silences => Set<Silence>();

    public DbSet<StepExecution> StepExecutions => Set<StepExecution>();

    public DbSet<MaintenanceRun> MaintenanceRuns => Set<MaintenanceRun>();

    public DbSet<Postmortem> Postmortems => Set<Postmortem>();

    public DbSet<IntegrationKey> IntegrationKeys => Set<IntegrationKey>();

    public DbSet<ServerKey> ServerKeys => Set<ServerKey>();

    public DbSet<ServerInstance> Instances => Set<ServerInstance>();

    public DbSet<Lease> Leases => Set<Lease>();

    public override int SaveChanges(bool acceptAllChangesOnSuccess)
    {
        var detecting = BeforeSave();
        try
        {
            return base.SaveChanges(acceptAllChangesOnSuccess);
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = detecting;
        }
    }

    public override async Task<int> SaveChangesAsync(bool acceptAllChangesOnSuccess, CancellationToken cancellationToken = default)
    {
        var detecting = BeforeSave();
        try
        {
            return await base.SaveChangesAsync(acceptAllChangesOnSuccess, cancellationToken);
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = detecting;
        }
    }

    /// <summary>
    /// When set, outbox rows added to this context are inserted already claimed (<c>sending</c>, <c>claimed_by</c>,
    /// <c>claimed_until</c>): a writer hands them to its instance's dispatcher after the commit, and an UPDATE to claim them
    /// afterwards would cost the writer a statement per batch.
    /// </summary>
    public (string By, DateTimeOffset Until)? ClaimAddedOutboxRows { get; set; }

    /// <summary>Claims an outbox row about to be inserted, when <see cref="ClaimAddedOutboxRows"/> says to.</summary>
    public void ClaimIfSet(OutboxMessage row)
    {
        if (ClaimAddedOutboxRows is not { } claim) return;
        row.State = OutboxMessage.Sending;
        row.ClaimedBy = claim.By;
        row.ClaimedUntil = claim.Until;
    }

    /// <summary>
    /// Runs <paramref name="work"/> with EF's automatic change detection off (as it was, after). Each look at the tracked
    /// entries (<c>Entries()</c>, <c>Local</c>) otherwise first compares every tracked entity with its snapshot, and a
    /// writer's batch tracks hundreds: for work that only adds rows, or that runs right after a save or a detection.
    /// </summary>
    public T WithoutChangeDetection<T>(Func<T> work)
    {
        var detecting = ChangeTracker.AutoDetectChangesEnabled;
        ChangeTracker.AutoDetectChangesEnabled = false;
        try
        {
            return work();
        }
        finally
        {
            ChangeTracker.AutoDetectChangesEnabled = detecting;
        }
    }

    /// <inheritdoc cref="WithoutChangeDetection{T}(Func{T})"/>
    public void WithoutChangeDetection(Action work) => WithoutChangeDetection(() =>
    {
        work();
        return true;
    });

    /// <summary>
    /// Bumps modified incidents' versions and claims added outbox rows (<see cref="ClaimAddedOutboxRows"/>), in one pass
    /// after one look for changes. Leaves automatic change detection off for the save itself, which would otherwise look
    /// again (every tracked entity compared with its snapshot, twice per save): a version is bumped through the tracker, so
    /// it is seen without a look. Returns whether detection was on, for the caller to restore.
    /// </summary>
    private bool BeforeSave()
    {
        var detecting = ChangeTracker.AutoDetectChangesEnabled;
        if (detecting) ChangeTracker.DetectChanges();
        ChangeTracker.AutoDetectChangesEnabled = false;
        foreach (var entry in ChangeTracker.Entries())
        {
            if (entry.Entity is Incident incident && entry.State == EntityState.Modified)
            {
                entry.Property(nameof(Incident.Version)).CurrentValue = incident.Version + 1;
            }
            else if (entry.Entity is OutboxMessage row && entry.State == EntityState.Added)
            {
                // Added: inserted with every current value, so a plain assignment is saved.
                ClaimIfSet(row);
            }
        }
        return detecting;
    }

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        // SQLite has no date type and EF cannot translate comparisons or ORDER BY of DateTimeOffset there.
        // Unix milliseconds in an INTEGER column sort and compare correctly and index well;
        // sub-millisecond precision is dropped, which no timestamp in Vigil needs.
        if (Database.IsSqlite())
        {
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UnixMillisecondsConverter>();
        }
        else
        {
            // PostgreSQL's timestamptz takes UTC only (Npgsql refuses any other offset): a deadline worked out in a
            // schedule's own time zone (a heartbeat's `schedule` in Europe/Berlin) is stored as the same instant in UTC.
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcConverter>();
        }
    }

    protected override void OnModelCreating(ModelBuilder modelBuilder)
    {
        modelBuilder.Entity<ApiToken>(e =>
        {
            e.HasIndex(x => x.TokenHash).IsUnique();
        });

        modelBuilder.Entity<AuditEvent>(e =>
        {
            e.HasIndex(x => x.At);
            e.HasIndex(x => x.Action);
            e.HasIndex(x => x.Actor);
        });

        modelBuilder.Entity<CheckResult>(e =>
        {
            e.HasIndex(x => new { x.ServiceId, x.CheckId, x.At });
            // Rollups read a time range across all checks and retention deletes the oldest rows: both by time alone.
            e.HasIndex(x => x.At);
        });

        modelBuilder.Entity<CheckRollup>(e =>
        {
            e.HasKey(x => new { x.ServiceId, x.CheckId, x.Granularity, x.BucketStart });
            // Retention deletes the oldest buckets of a granularity across all checks; without this it scans them all.
            e.HasIndex(x => new { x.Granularity, x.BucketStart });
        });

        modelBuilder.Entity<CheckState>(e =>
        {
            e.HasKey(x => new { x.ServiceId, x.CheckId });
            // The scheduler looks for checks whose next run is due.
            e.HasIndex(x => x.NextRunAt);
        });

        modelBuilder.Entity<Heartbeat>(e =>
        {
            e.HasKey(x => x.Key);
            e.HasIndex(x => new { x.ServiceId, x.CheckId }).IsUnique();
            // The deadline sweeper looks for heartbeats past due.
            e.HasIndex(x => x.NextDueAt);
        });

        modelBuilder.Entity<HeartbeatPing>(e =>
        {
            e.HasOne<Heartbeat>().WithMany().HasForeignKey(x => x.Key).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.Key, x.At });
        });

        modelBuilder.Entity<Alert>(e =>
        {
            e.HasIndex(x => new { x.Source, x.IntegrationId, x.Fingerprint }).IsUnique();
            e.HasIndex(x => x.DedupKey);
            e.HasOne(x => x.Incident).WithMany().HasForeignKey(x => x.IncidentId).OnDelete(DeleteBehavior.SetNull);
        });

        modelBuilder.Entity<Incident>(e =>
        {
            e.Property(x => x.Version).IsConcurrencyToken();
            e.HasIndex(x => x.DedupKey);
            // The grouping invariant, enforced by the database so two instances cannot both open an incident
            // for the same dedup key. Both SQLite and PostgreSQL support partial indexes with this predicate.
            e.HasIndex(x => x.DedupKey, "ux_incidents_open_dedup_key").IsUnique().HasFilter("\"status\" <> 'resolved'");
            e.HasIndex(x => new { x.Status, x.OpenedAt });
            e.HasMany(x => x.Timeline).WithOne().HasForeignKey(x => x.IncidentId).OnDelete(DeleteBehavior.Cascade);
        });

        modelBuilder.Entity<IncidentTimelineEntry>(e =>
        {
            e.HasIndex(x => new { x.IncidentId, x.At });
        });

        modelBuilder.Entity<Escalation>(e =>
        {
            e.HasOne<Incident>().WithMany().HasForeignKey(x => x.IncidentId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.State, x.DueAt });
            // One escalation per incident: two instances cannot both start one.
            e.HasIndex(x => x.IncidentId).IsUnique();
        });

        modelBuilder.Entity<ServerKey>(e => e.HasKey(x => x.Name));

        modelBuilder.Entity<OutboxMessage>(e =>
        {
            e.HasIndex(x => x.EventKey).IsUnique();
            e.HasIndex(x => new { x.State, x.NextAttemptAt });
        });

        modelBuilder.Entity<InboundEvent>(e =>
        {
            e.HasIndex(x => new { x.IntegrationId, x.ReceivedAt });
        });

        modelBuilder.Entity<ScheduleOverride>(e =>
        {
            e.HasIndex(x => new { x.ScheduleId, x.EndsAt });
        });

        modelBuilder.Entity<Silence>(e =>
        {
            e.HasIndex(x => x.EndsAt);
        });

        modelBuilder.Entity<StepExecution>(e =>
        {
            e.HasOne<Incident>().WithMany().HasForeignKey(x => x.IncidentId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => new { x.IncidentId, x.StepId });
            e.HasIndex(x => x.State);
            // One run of a step per incident at a time, held by the database: two responders pressing "run" at once
            // cannot both start it.
            e.HasIndex(x => new { x.IncidentId, x.StepId }, "ux_step_executions_running").IsUnique().HasFilter("\"state\" = 'running'");
        });

        modelBuilder.Entity<MaintenanceRun>(e =>
        {
            e.HasIndex(x => new { x.TaskId, x.DueAt }).IsUnique();
            e.HasIndex(x => new { x.State, x.DueAt });
        });

        modelBuilder.Entity<Postmortem>(e =>
        {
            e.HasOne<Incident>().WithOne().HasForeignKey<Postmortem>(x => x.IncidentId).OnDelete(DeleteBehavior.Cascade);
            e.HasIndex(x => x.IncidentId).IsUnique();
        });

        modelBuilder.Entity<IntegrationKey>(e =>
        {
            e.HasKey(x => x.IntegrationId);
            // Inbound requests are authenticated by looking the presented key up.
            e.HasIndex(x => x.Key).IsUnique();
        });

        modelBuilder.Entity<ServerInstance>(e =>
        {
            e.HasIndex(x => x.HeartbeatAt);
        });

        modelBuilder.Entity<Lease>(e =>
        {
            e.HasKey(x => x.Name);
        });

        ApplySnakeCaseNames(modelBuilder);
    }

    /// <summary>
    /// snake_case for every table, column, key, foreign key and index, so hand-written SQL (and psql sessions)
    /// need no quoting on PostgreSQL. Runs last, after every name EF derives by default is known.
    /// </summary>
    private static void ApplySnakeCaseNames(ModelBuilder modelBuilder)
    {
        foreach (var entity in modelBuilder.Model.GetEntityTypes())
        {
            entity.SetTableName(ToSnakeCase(entity.GetTableName()!));
            foreach (var property in entity.GetProperties())
            {
                property.SetColumnName(ToSnakeCase(property.Name));
            }
            foreach (var key in entity.GetKeys())
            {
                key.SetName(key.GetName()!.ToLowerInvariant());
            }
            foreach (var foreignKey in entity.GetForeignKeys())
            {
                foreignKey.SetConstraintName(foreignKey.GetConstraintName()!.ToLowerInvariant());
            }
            foreach (var index in entity.GetIndexes())
            {
                index.SetDatabaseName(index.GetDatabaseName()!.ToLowerInvariant());
            }
        }
    }

    /// <summary>PascalCase to snake_case: <c>LatencyP50</c> → <c>latency_p50</c>, <c>ApiTokens</c> → <c>api_tokens</c>.</summary>
    internal static string ToSnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 8);
        for (var i = 0; i < name.Length; i++)
        {
            var c = name[i];
            if (char.IsUpper(c))
            {
                var previousIsWordEnd = i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]));
                // The last capital of an acronym starts the next word: "HTTPStatus" → "http_status".
                var endsAcronym = i > 0 && char.IsUpper(name[i - 1]) && i + 1 < name.Length && char.IsLower(name[i + 1]);
                if (previousIsWordEnd || endsAcronym)
                {
                    builder.Append('_');
                }
                builder.Append(char.ToLowerInvariant(c));
            }
            else
            {
                builder.Append(c);
            }
        }
        return builder.ToString();
    }

    private sealed class UtcConverter() : ValueConverter<DateTimeOffset, DateTimeOffset>(
        value => value.ToUniversalTime(),
        value => value);

    private sealed class UnixMillisecondsConverter() : ValueConverter<DateTimeOffset, long>(
        value => value.ToUnixTimeMilliseconds(),
        value => DateTimeOffset.FromUnixTimeMilliseconds(value));
}
