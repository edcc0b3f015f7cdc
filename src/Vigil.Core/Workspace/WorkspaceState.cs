namespace Vigil.Core.Workspace;

/// <summary>
/// The workspace the server runs on, shared by every engine. A reload that fails keeps the
/// last good workspace running and records its errors, so a typo never takes monitoring down.
/// </summary>
public sealed class WorkspaceState(TimeProvider time)
{
    private readonly Lock gate = new();
    private Snapshot snapshot = new(null, [], null, null, 0);

    /// <summary>What the server knows about its workspace at one moment.</summary>
    /// <param name="Current">The last good workspace, or null before the first good load.</param>
    /// <param name="Errors">Errors of the latest load attempt (empty when it succeeded).</param>
    /// <param name="LoadedAt">When <paramref name="Current"/> was applied.</param>
    /// <param name="FailedAt">When the latest failed attempt happened, if the latest attempt failed.</param>
    /// <param name="Generation">Increments on every applied workspace.</param>
    public sealed record Snapshot(WorkspaceModel? Current, IReadOnlyList<WorkspaceError> Errors, DateTimeOffset? LoadedAt, DateTimeOffset? FailedAt, long Generation);

    public Snapshot Now => Volatile.Read(ref snapshot);

    /// <summary>The running workspace. Throws before the first good load (the host refuses to start without one).</summary>
    public WorkspaceModel Current => Now.Current ?? throw new InvalidOperationException("no workspace has been loaded");

    /// <summary>Raised after a new workspace is applied.</summary>
    public event Action<WorkspaceModel>? Applied;

    /// <summary>Applies a load result: a good one replaces the workspace, a bad one only records its errors.</summary>
    /// <returns>True when the workspace changed.</returns>
    public bool Apply(WorkspaceLoadResult result)
    {
        WorkspaceModel? applied = null;
        lock (gate)
        {
            var s = snapshot;
            if (result.Ok)
            {
                if (s.Current?.Fingerprint == result.Workspace!.Fingerprint && s.Errors.Count == 0) return false;
                applied = result.Workspace;
                Volatile.Write(ref snapshot, new Snapshot(applied, [], time.GetUtcNow(), null, s.Generation + 1));
            }
            else
            {
                // An error may quote a value that came from ${…}; mask the failed edit's secrets and the running ones.
                var secrets = new SecretSet();
                secrets.AddAll(result.Secrets);
                if (s.Current is not null) secrets.AddAll(s.Current.Secrets);
                var errors = result.Errors.Select(e => e with { Message = secrets.Redact(e.Message), Hint = e.Hint is null ? null : secrets.Redact(e.Hint) }).ToList();
                Volatile.Write(ref snapshot, s with { Errors = errors, FailedAt = time.GetUtcNow() });
            }
        }
        if (applied is not null) Applied?.Invoke(applied);
        return applied is not null;
    }

    /// <summary>Masks the running workspace's secrets in <paramref name="text"/>.</summary>
    public string Redact(string text) => Now.Current?.Secrets.Redact(text) ?? SecretSet.RedactUrlCredentials(text);
}
