namespace Piwik.Capture;

/// <summary>
/// The queue's storage: a small <see cref="EventRing"/> that takes every event while the sender keeps up, and a large
/// one of <c>QueueCapacity</c> events that takes them once the small one is full (the sender stalled, or a burst), so a
/// busy app writes only the small ring's slots. The large ring's bound is exact; the small one holds, besides, what was
/// written into it at the moment the large one began to fill (at most its size, in practice a few events).
/// </summary>
/// <remarks>
/// <para>
/// Why two: the ring is one long-lived array of events holding references to each request's strings, and every write
/// marks the GC card (256 bytes) it lands on. At each gen-0 collection the GC scans every card marked since the last
/// one. A single ring of 10,000 events (3 MB) is written end to end between two collections of an app that allocates,
/// so each collection scanned all of it: half a millisecond more per collection, about 35 ns a request on a request that
/// allocates 1 KB (<c>request-loop</c>'s <c>body</c> shape, bench/request-path.md). The small ring is 2,048 events
/// (400 KB; the sender reads before it holds 1,024), and the large one is written only during a backlog.
/// </para>
/// <para>
/// Order: once the large ring holds an event, writers go to it too, until the reader has taken all of it; the reader
/// takes what the small ring holds first (a write claimed there and not yet finished included), and from the large one
/// only what it held when the small one was seen empty (see <see cref="TryRead"/>). So an event
/// written after another one was accepted (one visitor's requests one after the other) is read after it; only events
/// written at the same time (in flight together) may be read either way.
/// </para>
/// </remarks>
internal sealed class TieredEventRing
{
    /// <summary>
    /// The small ring's size: twice the most events the sender lets wait before it reads (<c>PiwikSender.WakeThreshold</c>),
    /// so a busy app's queue stays in it.
    /// </summary>
    internal const int FirstTierCapacity = 2048;

    private readonly EventRing _first;
    private readonly EventRing? _overflow;
    private long _overflowReadable; // the reader's: positions of the large ring below this may be read

    public TieredEventRing(int capacity)
        : this(capacity, FirstTierCapacity)
    {
    }

    /// <summary>For tests: a small ring of another size.</summary>
    internal TieredEventRing(int capacity, int firstTier)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(capacity, 1);
        Capacity = capacity;
        _first = new EventRing(Math.Min(capacity, firstTier));
        _overflow = capacity > firstTier ? new EventRing(capacity) : null;
    }

    /// <summary>The configured capacity: the large ring's bound (the small ring's alone when it is within it).</summary>
    public int Capacity { get; }

    /// <summary>Events written and not yet read (a moment's view).</summary>
    public int Count => _first.Count + (_overflow?.Count ?? 0);

    /// <summary>Every event ever accepted.</summary>
    public long Accepted => _first.Accepted + (_overflow?.Accepted ?? 0);

    public bool IsClosed => _first.IsClosed;

    /// <summary>Events waiting in the large ring (for tests).</summary>
    internal int InOverflow => _overflow?.Count ?? 0;

    /// <summary>Whether an event can be read now.</summary>
    public bool HasReadable => _first.HasReadable || (_first.Count == 0 && (_overflow?.HasReadable ?? false));

    /// <summary>Offers an event; never waits.</summary>
    public EventRing.WriteResult TryWrite(in TrackedEvent item)
    {
        if (_overflow is not { } overflow)
        {
            return _first.TryWrite(item);
        }

        // While the large ring holds anything (counting writes claimed and not yet published), later events follow them there.
        if (overflow.Count == 0)
        {
            var result = _first.TryWrite(item);
            if (result != EventRing.WriteResult.Full)
            {
                return result;
            }
        }

        return overflow.TryWrite(item);
    }

    /// <summary>
    /// Takes the oldest event: the small ring's, and the large ring's only up to where it stood when the small one was
    /// last seen empty (a write claimed in the small ring and not yet finished counts as not empty). An event the large
    /// ring took after that may follow one written into the small ring meanwhile, so the small ring is looked at again
    /// first. Only one thread may read.
    /// </summary>
    public bool TryRead(out TrackedEvent item)
    {
        if (_first.TryRead(out item))
        {
            return true;
        }

        if (_overflow is not { } overflow)
        {
            return false;
        }

        if (overflow.ReadPosition >= _overflowReadable)
        {
            // The large ring's tail first, then the small ring's emptiness: an event the large ring had accepted by then
            // can only follow (in its writer's order) events the small ring took before that look, all read since it is
            // empty; one written into the small ring after the look precedes only positions past this tail.
            var accepted = overflow.Accepted;
            if (_first.Count != 0)
            {
                return false;
            }

            _overflowReadable = accepted;
            if (overflow.ReadPosition >= accepted)
            {
                return false;
            }
        }

        return overflow.TryRead(out item);
    }

    /// <summary>
    /// Asks the CPU to fetch the strings of the event the reader likely takes next (the small ring's, else the large
    /// one's): a hint, so the order rules of <see cref="TryRead"/> do not matter here. Only the reader calls it.
    /// </summary>
    public void PrefetchNext()
    {
        if (!_first.PrefetchNext())
        {
            _overflow?.PrefetchNext();
        }
    }

    /// <summary>Refuses every later write; what was written before is still read.</summary>
    public void Close()
    {
        _first.Close();
        _overflow?.Close();
    }
}
