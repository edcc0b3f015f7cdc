using System.Threading.Channels;

namespace Vigil.Core.Checks.Engine;

/// <summary>
/// The in-process feed of check state changes. The result writer publishes a change only after the batch holding
/// it has committed, so a subscriber (the alerting engine) never acts on a state the database does not have.
/// Each subscriber gets its own queue; state changes are rare, so queues are unbounded.
/// </summary>
public sealed class CheckStateChanges
{
    private readonly Lock gate = new();
    private ImmutableSubscribers subscribers = new([]);

    /// <summary>Starts receiving changes published from now on. Dispose the subscription to stop.</summary>
    public Subscription Subscribe()
    {
        var s = new Subscription(this);
        lock (gate) subscribers = new([.. subscribers.Items, s]);
        return s;
    }

    /// <summary>Delivers changes, in order, to every subscriber.</summary>
    public void Publish(IEnumerable<CheckStateChange> changes)
    {
        var current = Volatile.Read(ref subscribers);
        foreach (var change in changes)
        {
            foreach (var s in current.Items) s.Writer.TryWrite(change);
        }
    }

    private void Remove(Subscription s)
    {
        lock (gate) subscribers = new([.. subscribers.Items.Where(x => x != s)]);
        s.Writer.TryComplete();
    }

    private sealed record ImmutableSubscribers(Subscription[] Items);

    /// <summary>One subscriber's queue of changes.</summary>
    public sealed class Subscription : IDisposable
    {
        private readonly CheckStateChanges owner;
        private readonly Channel<CheckStateChange> channel = Channel.CreateUnbounded<CheckStateChange>(new UnboundedChannelOptions { SingleReader = true });

        internal Subscription(CheckStateChanges owner) => this.owner = owner;

        internal ChannelWriter<CheckStateChange> Writer => channel.Writer;

        public ChannelReader<CheckStateChange> Reader => channel.Reader;

        public IAsyncEnumerable<CheckStateChange> ReadAllAsync(CancellationToken ct = default) => channel.Reader.ReadAllAsync(ct);

        public void Dispose() => owner.Remove(this);
    }
}
