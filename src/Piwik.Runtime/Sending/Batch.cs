using System.Buffers;

namespace Piwik.Sending;

/// <summary>
/// Encoded entries of one bulk request, all of one partition (so of a set of visitors whose order it keeps). The
/// entries live in one reusable buffer; the batch is reset and reused once delivered.
/// </summary>
internal sealed class Batch
{
    private readonly ArrayBufferWriter<byte> _entries = new(16 * 1024);
    private readonly List<int> _ends = new();

    public int Count => _ends.Count;

    /// <summary><see cref="TimeProvider.GetTimestamp"/> when the first entry was added.</summary>
    public long StartedTimestamp { get; private set; }

    /// <summary>Oldest event time (UTC ticks) in the batch.</summary>
    public long OldestEventTicks { get; private set; } = long.MaxValue;

    /// <summary>Whether some entry carries <c>cip</c>, which needs the token.</summary>
    public bool HasTokenBoundEntries { get; set; }

    public IBufferWriter<byte> Writer => _entries;

    public void Begin(long timestamp)
    {
        if (_ends.Count == 0)
        {
            StartedTimestamp = timestamp;
        }
    }

    /// <summary>Closes the entry written into <see cref="Writer"/> since the last call.</summary>
    public void EndEntry(long eventTicks)
    {
        _ends.Add(_entries.WrittenCount);
        if (eventTicks < OldestEventTicks)
        {
            OldestEventTicks = eventTicks;
        }
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

    public ReadOnlySpan<byte> Entry(int index)
    {
        var start = index == 0 ? 0 : _ends[index - 1];
        return _entries.WrittenSpan[start.._ends[index]];
    }

    public void Reset()
    {
        _entries.ResetWrittenCount();
        _ends.Clear();
        OldestEventTicks = long.MaxValue;
        HasTokenBoundEntries = false;
    }
}
