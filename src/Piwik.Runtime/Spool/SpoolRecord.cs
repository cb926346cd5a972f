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

/// <summary>Where one spooled batch is, and how far its delivery got.</summary>
internal sealed class SpoolRecord(SpoolSegment segment, long offset, int length, int count, int lane, long oldestEventTicks)
{
    public SpoolSegment Segment { get; } = segment;

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
}
