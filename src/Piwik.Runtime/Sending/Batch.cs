using System.Buffers;

namespace Piwik.Sending;

/// <summary>
/// Encoded entries of one bulk request, all of one lane (so of a set of visitors whose order it keeps). The
/// entries live in one reusable buffer, each with its event time and whether it carries <c>cip</c>; the batch is reset
/// and reused once delivered.
/// </summary>
internal sealed class Batch
{
    /// <summary>
    /// Entry bytes at which a batch is closed whatever <see cref="PiwikOptions.BatchSize"/> says: a bulk body then stays
    /// under this plus one entry, well within the 1 MiB that proxies in front of Matomo commonly allow.
    /// </summary>
    public const int MaxBytes = 512 * 1024;

    private ArrayBufferWriter<byte> _entries = new(16 * 1024);
    private List<int> _ends = new();
    private List<long> _ticks = new();
    private List<bool> _hasIp = new();

    public int Count => _ends.Count;

    /// <summary><see cref="TimeProvider.GetTimestamp"/> when the first entry was added.</summary>
    public long StartedTimestamp { get; private set; }

    /// <summary>Oldest event time (UTC ticks) in the batch.</summary>
    public long OldestEventTicks { get; private set; } = long.MaxValue;

    /// <summary>Newest event time (UTC ticks) in the batch.</summary>
    public long NewestEventTicks { get; private set; } = long.MinValue;

    /// <summary>Bytes of all entries.</summary>
    public int ByteCount => _entries.WrittenCount;

    public ArrayBufferWriter<byte> Writer => _entries;

    /// <summary>The spool record this batch was loaded from or written to, when the spool is on.</summary>
    public Spool.SpoolRecord? Record { get; set; }

    /// <summary>Starts the batch's clock when it is empty: the clock is read once per batch, not once per entry.</summary>
    public void Begin(TimeProvider time)
    {
        if (_ends.Count == 0)
        {
            StartedTimestamp = time.GetTimestamp();
        }
    }

    /// <summary>Closes the entry written into <see cref="Writer"/> since the last call.</summary>
    public void EndEntry(long eventTicks, bool hasIp = false)
    {
        _ends.Add(_entries.WrittenCount);
        _ticks.Add(eventTicks);
        _hasIp.Add(hasIp);
        if (eventTicks < OldestEventTicks)
        {
            OldestEventTicks = eventTicks;
        }

        if (eventTicks > NewestEventTicks)
        {
            NewestEventTicks = eventTicks;
        }
    }

    /// <summary>Adds a whole, already encoded entry.</summary>
    public void Add(ReadOnlySpan<byte> entry, long eventTicks, bool hasIp)
    {
        _entries.Write(entry);
        EndEntry(eventTicks, hasIp);
    }

    /// <summary>Removes the bytes written since the last closed entry (an entry that failed to encode).</summary>
    public void AbandonEntry()
    {
        var keep = _ends.Count == 0 ? 0 : _ends[^1];
        if (_entries.WrittenCount == keep)
        {
            return;
        }

        var copy = _entries.WrittenSpan[..keep].ToArray();
        _entries.ResetWrittenCount();
        _entries.Write(copy);
    }

    /// <summary>Adds every entry of <paramref name="other"/>, in one copy of their bytes.</summary>
    public void AddAll(Batch other)
    {
        var offset = _entries.WrittenCount;
        _entries.Write(other._entries.WrittenSpan);
        foreach (var end in other._ends)
        {
            _ends.Add(offset + end);
        }

        _ticks.AddRange(other._ticks);
        _hasIp.AddRange(other._hasIp);
        if (other.OldestEventTicks < OldestEventTicks)
        {
            OldestEventTicks = other.OldestEventTicks;
        }

        if (other.NewestEventTicks > NewestEventTicks)
        {
            NewestEventTicks = other.NewestEventTicks;
        }
    }

    /// <summary>
    /// Exchanges contents with <paramref name="other"/> (its entries, their buffers and its state): the entries of one
    /// batch move to the other without copying a byte. Neither may be in use elsewhere.
    /// </summary>
    public void SwapWith(Batch other)
    {
        (_entries, other._entries) = (other._entries, _entries);
        (_ends, other._ends) = (other._ends, _ends);
        (_ticks, other._ticks) = (other._ticks, _ticks);
        (_hasIp, other._hasIp) = (other._hasIp, _hasIp);
        (StartedTimestamp, other.StartedTimestamp) = (other.StartedTimestamp, StartedTimestamp);
        (OldestEventTicks, other.OldestEventTicks) = (other.OldestEventTicks, OldestEventTicks);
        (NewestEventTicks, other.NewestEventTicks) = (other.NewestEventTicks, NewestEventTicks);
        (Record, other.Record) = (other.Record, Record);
    }

    public ReadOnlySpan<byte> Entry(int index)
    {
        var start = index == 0 ? 0 : _ends[index - 1];
        return _entries.WrittenSpan[start.._ends[index]];
    }

    /// <summary>UTC ticks of the event of entry <paramref name="index"/>.</summary>
    public long EventTicks(int index) => _ticks[index];

    /// <summary>Whether entry <paramref name="index"/> carries <c>cip</c>.</summary>
    public bool HasIp(int index) => _hasIp[index];

    public void Reset()
    {
        _entries.ResetWrittenCount();
        _ends.Clear();
        _ticks.Clear();
        _hasIp.Clear();
        OldestEventTicks = long.MaxValue;
        NewestEventTicks = long.MinValue;
        Record = null;
    }
}
