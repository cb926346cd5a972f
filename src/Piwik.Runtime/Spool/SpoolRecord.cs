using Piwik.Sending;

namespace Piwik.Spool;

/// <summary>Where a spooled batch is in its life.</summary>
internal enum RecordState
{
    /// <summary>Durable, waiting for its lane.</summary>
    Pending,

    /// <summary>Taken by its lane, its fate not known yet.</summary>
    InFlight,

    /// <summary>Every entry has a final fate.</summary>
    Finished,

    /// <summary>Written, its fsync not over: not takeable yet.</summary>
    Writing,
}

/// <summary>
/// Where one spooled batch is, and how far its delivery got. A batch the spool could not keep on disk (a write or an
/// fsync failed) is kept in memory instead, in its place in its lane: <see cref="InMemory"/>, no segment.
/// </summary>
internal sealed class SpoolRecord(SpoolSegment? segment, long offset, int length, int count, int lane, long oldestEventTicks)
{
    /// <summary>The segment file holding the record; null for a batch kept in memory.</summary>
    public SpoolSegment? Segment { get; private set; } = segment;

    private Batch? _readCache;

    public long Offset { get; } = offset;

    public int Length { get; } = length;

    public int Count { get; } = count;

    public int Lane { get; } = lane;

    public long OldestEventTicks { get; } = oldestEventTicks;

    /// <summary>Entries, from the first, whose fate is final.</summary>
    public int Done { get; set; }

    /// <summary>Written by an earlier process.</summary>
    public bool Restored { get; init; }

    public RecordState State { get; set; }

    /// <summary>A copy of the batch when it is not on disk: delivered from here, lost (and counted) at shutdown.</summary>
    public Batch? InMemory { get; private set; }

    /// <summary>
    /// The batch this record was just written from, while its lane has few records ahead of it: the lane then loads
    /// the record from memory instead of reading it back from disk (<see cref="BatchSpool.TakeAsync"/>), and gets the
    /// batch back for reuse (<see cref="TakeReadCache"/>). The record is on disk all the same.
    /// </summary>
    public Batch? ReadCache
    {
        get => Volatile.Read(ref _readCache);
        set => Volatile.Write(ref _readCache, value);
    }

    /// <summary>Takes the read cache away (the lane reuses its batch): later loads read the disk.</summary>
    public Batch? TakeReadCache() => Interlocked.Exchange(ref _readCache, null);

    /// <summary>Detaches the record from its segment: from now on the batch is delivered from <paramref name="copy"/>.</summary>
    public void KeepInMemory(Batch copy)
    {
        InMemory = copy;
        Segment = null;
    }
}
