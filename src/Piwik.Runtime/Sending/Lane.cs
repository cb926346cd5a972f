using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;

namespace Piwik.Sending;

/// <summary>
/// One lane of delivery (there are <see cref="PiwikOptions.MaxConcurrentBatches"/>): a batch being filled, and a
/// hand-off to the lane's delivery loop (or, with the spool, to its appender; see <c>LaneSpool.cs</c>). A visitor's
/// events always take the same lane, and a lane delivers one batch at a time, so they reach Matomo in order.
/// <para>
/// Without the spool the lanes share one bound on the full batches handed over and not yet delivered
/// (<see cref="HandOffPerLane"/> per lane), not a bound each: the read loop fills every lane's batch from one queue,
/// and with a bound of two per lane it waited on whichever lane had two batches out while other lanes ran dry
/// (head-of-line blocking: under a burst, lanes sat idle with their next batch still in the queue; bench/NOTES.md).
/// A lane may now hold more while another holds fewer.
/// </para>
/// </summary>
internal sealed partial class Lane
{
    private readonly int _index;
    private readonly BatchDelivery _delivery;
    private readonly PiwikMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationToken _deadline;
    private readonly Channel<Batch> _ready = Channel.CreateUnbounded<Batch>(new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });
    private readonly SemaphoreSlim _handOff;
    private readonly Stack<Batch> _free = new();
    private readonly BulkRequestWriter _writer = new();
    private readonly int _batchSize;
    private volatile bool _completing;

    /// <param name="index">The lane's number.</param>
    /// <param name="batchSize">The configured batch size.</param>
    /// <param name="delivery">Delivers a batch.</param>
    /// <param name="metrics">The metrics.</param>
    /// <param name="logger">The sender's logger.</param>
    /// <param name="handOff">The lanes' shared bound on full batches handed over and not yet delivered (no spool).</param>
    /// <param name="deadline">The shutdown deadline.</param>
    public Lane(int index, int batchSize, BatchDelivery delivery, PiwikMetrics metrics, ILogger logger, SemaphoreSlim handOff, CancellationToken deadline)
    {
        _index = index;
        _handOff = handOff;
        _batchSize = batchSize;
        Target = batchSize;
        _delivery = delivery;
        _metrics = metrics;
        _logger = logger;
        _deadline = deadline;
        Current = new Batch();
    }

    /// <summary>Full batches handed over and not yet delivered, per lane, that the lanes share (no spool).</summary>
    public const int HandOffPerLane = 4;

    public Batch Current { get; private set; }

    /// <summary>
    /// How many events make this lane's batch full: <see cref="PiwikOptions.BatchSize"/> while traffic is light, more
    /// under sustained traffic (<see cref="NoteFull"/>). The cost of a batch to the app is mostly fixed (a spool record
    /// and its share of an fsync, a request, an answer, the thread hops between them): with 100 events a batch it was
    /// most of what tracking cost a busy app (bench/NOTES.md, "Batches that grow under load").
    /// </summary>
    public int Target { get; private set; }

    /// <summary>
    /// The current batch is full: a batch filled within <paramref name="fillGoal"/> doubles the next one, up to
    /// <paramref name="cap"/>; one that took more than four times that halves it, down to the batch size. Filled means
    /// both: its events were recorded within that time (the read loop takes events in bursts, once per batch or so,
    /// which alone would make any batch look filled at once), and the read loop filled it within that time (it waits
    /// while Matomo holds the lanes back, so a backlog, all recorded at once, does not grow batches Matomo is slow to take).
    /// </summary>
    /// <param name="loopTook">How long the read loop took from the batch's first event to its last.</param>
    /// <param name="fillGoal">The fill goal.</param>
    /// <param name="cap">The largest batch Matomo answers in time.</param>
    public void NoteFull(TimeSpan loopTook, TimeSpan fillGoal, int cap)
    {
        var took = Math.Max(loopTook.Ticks, Current.NewestEventTicks - Current.OldestEventTicks);
        var goal = fillGoal.Ticks;
        var next = took < goal ? Target * 2 : took > 4 * goal ? Target / 2 : Target;
        Target = Math.Clamp(next, _batchSize, Math.Max(_batchSize, cap));
    }

    /// <summary>
    /// The flush timer sent a batch that did not reach <see cref="Target"/>: with at least the batch size in it (it waited
    /// twice the fill goal) traffic slowed, and the next target is halved; with fewer, traffic is light, and the next
    /// batch is the batch size again.
    /// </summary>
    public void NoteFlushedByTimer() => Target = Current.Count >= _batchSize ? Math.Max(_batchSize, Target / 2) : _batchSize;

    /// <summary>The lane of a visitor: the same in every process, so batches an earlier process spooled keep their lane.</summary>
    public static int For(string visitorId, int laneCount) => StableHash(visitorId) % laneCount;

    /// <summary>A hash of the visitor id that is the same in every process (string hashes are randomised per process).</summary>
    private static int StableHash(string visitorId)
    {
        var hash = 2166136261u;
        foreach (var c in visitorId)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & int.MaxValue);
    }

    public async ValueTask FlushAsync(CancellationToken cancellationToken)
    {
        if (Current.Count == 0)
        {
            return;
        }

        // With the spool: on disk before it is sent (a lane that keeps up then sends it from memory, one with a backlog
        // reads it back from disk), and memory stays bounded during an outage, since appending never waits for Matomo.
        if (_toDisk)
        {
            await _toSpool.Writer.WriteAsync(Current, cancellationToken).ConfigureAwait(false);
            NoteHandedToSpool();
        }
        else
        {
            // A place among the lanes' batches handed over (released once delivered): waits only when every lane
            // together has HandOffPerLane each out, not when this one has.
            await _handOff.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (!_ready.Writer.TryWrite(Current))
            {
                _handOff.Release();
                throw new ChannelClosedException(); // completed: the sender is past its final flush
            }
        }

        lock (_free)
        {
            Current = _free.Count > 0 ? _free.Pop() : new Batch();
        }
    }

    public void Complete()
    {
        _ready.Writer.TryComplete();
        _completing = true;
        _toSpool.Writer.TryComplete();
        SignalGroup(); // what waits for its group is written now
    }

    /// <summary>Counts and forgets what was never delivered.</summary>
    public long DiscardPending()
    {
        long count = Current.Count;
        Current.Reset();
        while (_ready.Reader.TryRead(out var batch))
        {
            count += batch.Count;
            batch.Reset();
            _handOff.Release();
        }

        return count;
    }

    /// <summary>Delivers this lane's batches, handed over in memory (no spool), until <see cref="Complete"/> or the deadline.</summary>
    public async Task RunAsync()
    {
        await foreach (var batch in _ready.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                var done = await _delivery.DeliverAsync(batch, 0, _writer, null).ConfigureAwait(false);
                _metrics.AddDropped(DropReason.ShutdownDeadline, batch.Count - done);
            }
            catch (Exception ex)
            {
                _metrics.AddDropped(DropReason.RetriesExhausted, batch.Count);
                SenderLog.SenderFailed(_logger, ex);
            }

            Recycle(batch);
            _handOff.Release();
            if (_deadline.IsCancellationRequested)
            {
                break;
            }
        }
    }

    private void Recycle(Batch batch)
    {
        batch.Reset();
        lock (_free)
        {
            _free.Push(batch);
        }
    }
}
