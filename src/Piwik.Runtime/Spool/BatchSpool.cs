using System.Globalization;
using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;

namespace Piwik.Spool;

/// <summary>
/// The durable spool: every batch is appended to a segment file (and flushed to disk with fsync) before it is sent,
/// and acknowledged once its fate is final, so a batch Matomo confirmed is never sent again and a batch it did not is
/// replayed, in order, by this process or the next one. An acknowledgement is written to the OS at once (a killed
/// process loses none) but flushed to disk lazily, at most <see cref="AckSyncInterval"/> later, before its segment is
/// deleted, and at dispose: it only prevents a duplicate, so only an OS crash or power loss in that window can replay
/// (never lose) a batch. Each delivery lane takes its batches first in,
/// first out; batches found at start (written by an earlier process) all go before any new batch.
/// <para>
/// Bounds: the segment files never exceed <see cref="PiwikOptions.SpoolMaxBytes"/> (the oldest unsent batches are
/// dropped first, counted as <see cref="DropReason.SpoolFull"/>), and a batch whose oldest event is older than
/// <see cref="PiwikOptions.SpoolMaxAge"/> is dropped when its turn comes (<see cref="DropReason.SpoolExpired"/>).
/// Accounting: events are counted as spooled from their append until their fate is final.
/// </para>
/// All I/O runs on the background sender; the request path never touches the spool.
/// </summary>
internal sealed partial class BatchSpool : IDisposable
{
    private const string SegmentExtension = ".spool";
    private const string AckExtension = ".acks";

    /// <summary>How long an acknowledgement may stay in the OS's cache before it is flushed to disk.</summary>
    internal static readonly TimeSpan AckSyncInterval = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How many of a lane's next records keep the batch they were written from (<see cref="SpoolRecord.ReadCache"/>),
    /// so a lane that keeps up delivers what it just spooled without reading it back: at most this many batches per lane.
    /// </summary>
    internal const int ReadCacheDepth = 2;

    private readonly object _gate = new();
    private readonly string _directory;
    private readonly long _maxBytes;
    private readonly long _maxAgeTicks;
    private readonly long _segmentLimit;
    private readonly PiwikMetrics _metrics;
    private readonly ILogger _logger;
    private readonly TimeProvider _time;
    private readonly List<SpoolSegment> _segments = new();
    private readonly Queue<SpoolRecord>[] _lanes;
    private readonly SemaphoreSlim[] _laneSignals;
    private readonly SpoolRecord?[] _released;
    private readonly int[] _inMemory;
    private readonly TaskCompletionSource _restoredDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<SpoolSegment> _unsyncedAcks = new();
    private readonly List<SpoolSegment> _retired = new();
    private readonly ITimer _ackTimer;
    private bool _ackTimerArmed;
    private long _ackSyncs;
    private long _recordSyncs;
    private long _coveredAppends;
    private long _lastRecordSync; // when the last fsync of records ended (a TimeProvider timestamp; 0: none yet)
    private long _readBack;
    private SpoolSegment? _current;
    private long _nextSequence = 1;
    private long _fileBytes;
    private long _deletingBytes;
    private int _restoredOutstanding;
    private bool _completed;
    private bool _disposed;
    private long _faults;
    private long _faultsSinceLog;
    private long _nextFaultLog;

    private BatchSpool(string directory, PiwikOptions options, int lanes, PiwikMetrics metrics, ILogger logger, TimeProvider time)
    {
        _directory = directory;
        _maxBytes = options.SpoolMaxBytes;
        _maxAgeTicks = options.SpoolMaxAge.Ticks;
        _segmentLimit = Math.Clamp(_maxBytes / 16, 256 * 1024, 16 * 1024 * 1024);
        _metrics = metrics;
        _logger = logger;
        _time = time;
        _lanes = new Queue<SpoolRecord>[lanes];
        _laneSignals = new SemaphoreSlim[lanes];
        _released = new SpoolRecord?[lanes];
        _inMemory = new int[lanes];
        for (var i = 0; i < lanes; i++)
        {
            _lanes[i] = new Queue<SpoolRecord>();
            _laneSignals[i] = new SemaphoreSlim(0);
        }

        _ackTimer = time.CreateTimer(static state => ((BatchSpool)state!).SyncAcknowledgements(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <summary>fsync calls made on acknowledgement files so far (lazily: see <see cref="AckSyncInterval"/>).</summary>
    public long AckSyncs => Interlocked.Read(ref _ackSyncs);

    /// <summary>fsync calls made on segment files so far (one per append, less those covered by another's).</summary>
    public long RecordSyncs => Interlocked.Read(ref _recordSyncs);

    /// <summary>Appends whose record an fsync of another append had already made durable.</summary>
    public long CoveredAppends => Interlocked.Read(ref _coveredAppends);

    /// <summary>Events found in the spool at start.</summary>
    public long Restored { get; private set; }

    /// <summary>Bytes of segment files on disk (retired ones included until their file is deleted).</summary>
    public long FileBytes
    {
        get
        {
            lock (_gate)
            {
                return _fileBytes;
            }
        }
    }

    /// <summary>Batches not yet finished.</summary>
    public int PendingRecords
    {
        get
        {
            lock (_gate)
            {
                return _segments.Sum(s => s.Live) + _inMemory.Sum();
            }
        }
    }

    /// <summary>Opens (creating it when needed) the spool directory and reads back what an earlier process left.</summary>
    public static BatchSpool Open(PiwikOptions options, int lanes, PiwikMetrics metrics, ILogger logger, TimeProvider time)
    {
        var directory = Path.GetFullPath(options.SpoolDirectory!);
        OwnerOnly.CreateDirectory(directory);
        var spool = new BatchSpool(directory, options, lanes, metrics, logger, time);
        spool.Restore();
        return spool;
    }

    /// <summary>No more batches will be appended: lanes end once they have taken what is left.</summary>
    public void Complete()
    {
        lock (_gate)
        {
            _completed = true;
        }

        foreach (var signal in _laneSignals)
        {
            signal.Release();
        }
    }

    private void Drop(SpoolRecord record, DropReason reason)
    {
        var remaining = record.Count - record.Done;
        if (record.Segment is not null)
        {
            _metrics.RemoveSpooled(remaining);
        }

        _metrics.AddDropped(reason, remaining);
        record.Done = record.Count;
        WriteAck(record);
        Finish(record);
    }

    private void Finish(SpoolRecord record)
    {
        var wasRestored = record.Restored && record.State != RecordState.Finished;
        record.State = RecordState.Finished;
        if (wasRestored && --_restoredOutstanding == 0)
        {
            _restoredDone.TrySetResult();
        }

        if (record.Segment is not { } segment)
        {
            _inMemory[record.Lane]--;
            Monitor.PulseAll(_gate); // an append waiting for this lane's batches in memory (WaitForMemory)
            return;
        }

        segment.Live--;

        if (segment.Live == 0 && segment != _current)
        {
            Retire(segment);
        }
    }

    /// <summary>
    /// Takes a segment whose batches are all done out of the spool; its files go in <see cref="DeleteRetired"/>, outside
    /// the lock. Its bytes count in <see cref="FileBytes"/> until its file is deleted: the bound is on the disk.
    /// </summary>
    private void Retire(SpoolSegment segment)
    {
        _segments.Remove(segment);
        _unsyncedAcks.Remove(segment); // flushed before the segment is deleted, see DeleteSegment
        _retired.Add(segment);
    }

    /// <summary>Deletes the files of retired segments. Called after <see cref="_gate"/> is released, never under it.</summary>
    private void DeleteRetired()
    {
        SpoolSegment[] retired;
        long bytes = 0;
        lock (_gate)
        {
            if (_retired.Count == 0)
            {
                return;
            }

            retired = _retired.ToArray();
            _retired.Clear();
            foreach (var segment in retired)
            {
                bytes += segment.Bytes;
            }

            _deletingBytes += bytes;
        }

        foreach (var segment in retired)
        {
            DeleteSegment(segment);
        }

        lock (_gate)
        {
            _deletingBytes -= bytes;
            _fileBytes -= bytes;
            Monitor.PulseAll(_gate); // an append waiting for room (MakeRoom)
        }
    }

    /// <summary>Deletes a segment's files. Never under <see cref="_gate"/> (it may fsync), except at start and dispose.</summary>
    private void DeleteSegment(SpoolSegment segment)
    {
        if (segment.AckHandle is { } acks)
        {
            // Acknowledgements not yet on disk go first: should an OS crash undo the deletion below, the segment must
            // not come back without them (its batches would all be sent again). Once per segment.
            SyncAckFile(acks, segment.UnsyncedAckEvents);

            acks.Dispose();
            segment.AckHandle = null;
        }

        try
        {
            // The batches first: acknowledgements left without their segment are harmless, the reverse would replay.
            File.Delete(segment.Path);
            File.Delete(segment.AckPath);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            NoteFault("delete a segment file", ex);
        }
    }

    private string SegmentPath(long sequence) => Path.Combine(_directory, sequence.ToString("D12", CultureInfo.InvariantCulture) + SegmentExtension);

    private string AckPath(long sequence) => Path.Combine(_directory, sequence.ToString("D12", CultureInfo.InvariantCulture) + AckExtension);

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate); // an append waiting for memory (WaitForMemory) gives up
        }

        DiscardInMemory();
        _ackTimer.Dispose();
        DeleteRetired();
        SyncAcknowledgements(); // what the timer had not flushed yet
        lock (_gate)
        {
            DropWriter(); // closes the current segment (or leaves that to its last fsync), and retires it when empty
            foreach (var segment in _segments)
            {
                segment.AckHandle?.Dispose();
                segment.AckHandle = null;
            }
        }

        DeleteRetired();

        foreach (var signal in _laneSignals)
        {
            signal.Dispose();
        }
    }

    [LoggerMessage(EventId = 1200, Level = LogLevel.Information, Message = "Piwik spool: {Count} event(s) in {Segments} segment file(s) left by an earlier run will be sent first.")]
    private static partial void LogRestored(ILogger logger, long count, int segments);

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Piwik spool: skipped {Bytes} damaged byte(s) in {Path} (a write torn by a crash or power loss, or a record that is not valid); the other batches are kept.")]
    private static partial void LogDamagedRecord(ILogger logger, string path, int bytes);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Piwik spool is full (Piwik:SpoolMaxBytes = {MaxBytes}): dropped the {Count} oldest unsent event(s).")]
    private static partial void LogSpoolFull(ILogger logger, long count, long maxBytes);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Piwik spool: dropped {Count} event(s) older than Piwik:SpoolMaxAge.")]
    private static partial void LogExpired(ILogger logger, int count);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Error, Message = "Piwik spool could not be read.")]
    private static partial void LogSpoolReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "Piwik spool: the directory {Directory} could not be flushed to disk (errno {Error}); a new segment file may not survive a crash.")]
    private static partial void LogDirectorySyncFailed(ILogger logger, string directory, int error);

    [LoggerMessage(EventId = 1207, Level = LogLevel.Error, Message = "Piwik spool: {Path} could not be read and is left where it is; the other segment files are replayed.")]
    private static partial void LogSegmentUnreadable(ILogger logger, string path, Exception exception);
}
