using Microsoft.Win32.SafeHandles;

namespace Piwik.Spool;

/// <summary>One segment file and its acknowledgements.</summary>
internal sealed class SpoolSegment(long sequence, string path, string ackPath)
{
    public long Sequence { get; } = sequence;

    public string Path { get; } = path;

    public string AckPath { get; } = ackPath;

    /// <summary>Bytes written (under the spool's lock).</summary>
    public long Bytes { get; set; }

    /// <summary>Bytes whose write has completed, read by fsyncs outside the lock.</summary>
    public long WrittenBytes;

    /// <summary>The segment file while records are appended to it (the current segment), and until their fsyncs are over.</summary>
    public SafeFileHandle? Writer { get; set; }

    /// <summary>Appends between their write and the end of their fsync: the writer is not closed under them.</summary>
    public int WriterUsers { get; set; }

    /// <summary>fsyncs of this segment take turns under it (group commit).</summary>
    public object SyncGate { get; } = new();

    /// <summary>Bytes known to be on disk (under <see cref="SyncGate"/>).</summary>
    public long DurableBytes { get; set; }

    /// <summary>The directory was flushed since this file was created (under <see cref="SyncGate"/>).</summary>
    public bool NameDurable { get; set; }

    /// <summary>An fsync of this file failed: nothing not yet durable in it may be taken as durable (under <see cref="SyncGate"/>).</summary>
    public Exception? SyncError { get; set; }

    public void CloseWriter()
    {
        Writer?.Dispose();
        Writer = null;
    }

    /// <summary>Records not yet finished.</summary>
    public int Live { get; set; }

    public List<SpoolRecord> Records { get; } = new();

    /// <summary>The acknowledgement file, opened at the first acknowledgement.</summary>
    public SafeFileHandle? AckHandle { get; set; }

    /// <summary>Where the next acknowledgement goes.</summary>
    public long AckBytes { get; set; }

    /// <summary>Events acknowledged since the acknowledgement file was last flushed to disk (for the failure log).</summary>
    public long UnsyncedAckEvents { get; set; }
}
