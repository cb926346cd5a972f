using System.Buffers;
using System.Globalization;
using Microsoft.Extensions.Logging;
using Microsoft.Win32.SafeHandles;
using Piwik.Diagnostics;
using Piwik.Sending;

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
    private readonly TaskCompletionSource _restoredDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<SpoolSegment> _unsyncedAcks = new();
    private readonly List<SpoolSegment> _retired = new();
    private readonly ITimer _ackTimer;
    private bool _ackTimerArmed;
    private long _ackSyncs;
    private long _recordSyncs;
    private long _coveredAppends;
    private SpoolSegment? _current;
    private long _nextSequence = 1;
    private long _fileBytes;
    private int _restoredOutstanding;
    private bool _completed;
    private bool _disposed;

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

    /// <summary>Bytes of segment files on disk.</summary>
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
                return _segments.Sum(s => s.Live);
            }
        }
    }

    /// <summary>Opens (creating it when needed) the spool directory and reads back what an earlier process left.</summary>
    public static BatchSpool Open(PiwikOptions options, int lanes, PiwikMetrics metrics, ILogger logger, TimeProvider time)
    {
        var directory = Path.GetFullPath(options.SpoolDirectory!);
        Directory.CreateDirectory(directory);
        var spool = new BatchSpool(directory, options, lanes, metrics, logger, time);
        spool.Restore();
        return spool;
    }

    private void Restore()
    {
        var sequences = new SortedSet<long>();
        foreach (var path in Directory.EnumerateFiles(_directory, "*" + SegmentExtension))
        {
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence))
            {
                sequences.Add(sequence);
            }
        }

        foreach (var path in Directory.EnumerateFiles(_directory, "*" + AckExtension))
        {
            // Acknowledgements of a segment already deleted (a crash between the two deletions).
            if (long.TryParse(Path.GetFileNameWithoutExtension(path), NumberStyles.None, CultureInfo.InvariantCulture, out var sequence) && !sequences.Contains(sequence))
            {
                File.Delete(path);
            }
        }

        long restored = 0;
        foreach (var sequence in sequences)
        {
            _nextSequence = sequence + 1;
            var segment = new SpoolSegment(sequence, SegmentPath(sequence), AckPath(sequence));
            var data = File.ReadAllBytes(segment.Path);
            segment.Bytes = data.Length;
            var acks = ReadAcks(segment.AckPath);
            var position = 0;
            var skipped = 0;
            while (position < data.Length)
            {
                var rest = data.AsSpan(position);
                if (SpoolFormat.TryReadHeader(rest, data.Length, out var length, out var checksum)
                    && rest.Length >= SpoolFormat.HeaderSize + length
                    && SpoolFormat.TryReadSummary(rest.Slice(SpoolFormat.HeaderSize, length), checksum, out var lane, out var count, out var oldest))
                {
                    var record = new SpoolRecord(segment, position, SpoolFormat.HeaderSize + length, count, lane % _lanes.Length, oldest) { Restored = true };
                    if (acks.TryGetValue((uint)position, out var done))
                    {
                        record.Done = Math.Min(done, count);
                    }

                    segment.Records.Add(record);
                    if (record.Done < count)
                    {
                        segment.Live++;
                        restored += count - record.Done;
                        _restoredOutstanding++;
                        _lanes[record.Lane].Enqueue(record);
                        _laneSignals[record.Lane].Release();
                    }
                    else
                    {
                        record.State = RecordState.Finished;
                    }

                    position += record.Length;
                    continue;
                }

                // A torn tail (the process died mid-write) or a damaged record: find the next record boundary.
                var next = data.AsSpan(position + 1).IndexOf("PWKB"u8);
                var resume = next < 0 ? data.Length : position + 1 + next;
                skipped += resume - position;
                position = resume;
            }

            if (skipped > 0)
            {
                LogDamagedRecord(_logger, segment.Path, skipped);
            }

            if (segment.Live == 0)
            {
                DeleteSegment(segment);
            }
            else
            {
                _segments.Add(segment);
                _fileBytes += segment.Bytes;
            }
        }

        Restored = restored;
        if (_restoredOutstanding == 0)
        {
            _restoredDone.TrySetResult();
        }

        _metrics.AddRestored(restored);
        _metrics.AddSpooled(restored);
        if (restored > 0)
        {
            LogRestored(_logger, restored, _segments.Count);
        }
    }

    private static Dictionary<uint, int> ReadAcks(string path)
    {
        var acks = new Dictionary<uint, int>();
        if (!File.Exists(path))
        {
            return acks;
        }

        var data = File.ReadAllBytes(path);
        for (var position = 0; position + SpoolFormat.AckSize <= data.Length; position += SpoolFormat.AckSize)
        {
            if (SpoolFormat.TryDecodeAck(data.AsSpan(position, SpoolFormat.AckSize), out var offset, out var done))
            {
                acks[offset] = Math.Max(done, acks.GetValueOrDefault(offset));
            }
        }

        return acks;
    }

    /// <summary>
    /// Appends a batch, durably, and queues it on its lane. Returns false when it could not be kept (counted as a drop
    /// by reason); the caller may reuse the batch either way. Safe to call from several threads at once.
    /// <para>
    /// The record is written under the lock, made durable outside it (group commit: one fsync covers every record
    /// written before it began, so a writer whose bytes an earlier fsync covered skips its own), and becomes takeable
    /// by its lane only once durable, in the order records were written. Returns once it is durable.
    /// </para>
    /// </summary>
    public bool Append(Batch batch, int lane) => AppendAll(new ReadOnlySpan<Batch>(ref batch), lane) == 1;

    /// <summary>
    /// Appends several batches of one lane, in order, as <see cref="Append"/> does, with one fsync for all of them (per
    /// segment file they went to). Returns how many were kept; the others are counted as drops by reason.
    /// </summary>
    public int AppendAll(ReadOnlySpan<Batch> batches, int lane)
    {
        var written = new List<SpoolRecord>(batches.Length);
        var kept = 0;
        Exception? unexpected = null;
        try
        {
            foreach (var batch in batches)
            {
                if (batch.Count == 0)
                {
                    kept++;
                }
                else if (Write(batch, lane) is { } record)
                {
                    written.Add(record);
                }
            }
        }
        catch (Exception ex)
        {
            unexpected = ex; // the records already written are still made durable (or dropped) below, never left half-done
        }
        finally
        {
            DeleteRetired(); // segments emptied for room or left by a roll
        }

        if (written.Count == 0)
        {
            unexpected?.Rethrow();
            return kept;
        }

        // One fsync per segment, for its last record: it covers the ones before (they were written first).
        var errors = new Dictionary<SpoolSegment, Exception?>(1);
        for (var i = written.Count - 1; i >= 0; i--)
        {
            var record = written[i];
            if (!errors.ContainsKey(record.Segment))
            {
                errors[record.Segment] = MakeDurable(record.Segment, record.Offset + record.Length);
            }
        }

        lock (_gate)
        {
            foreach (var record in written)
            {
                var segment = record.Segment;
                if (--segment.WriterUsers == 0 && segment != _current)
                {
                    segment.CloseWriter();
                }

                if (errors[segment] is null && record.State == RecordState.Writing)
                {
                    record.State = RecordState.Pending;
                    kept++;
                }
                else if (record.State == RecordState.Writing)
                {
                    // Not known to be on disk: never sent, counted, and acknowledged so a later process skips it too.
                    if (segment == _current)
                    {
                        DropWriter(); // a file whose fsync failed is not written again
                    }

                    Drop(record, DropReason.SpoolFailed);
                }
            }
        }

        foreach (var (_, error) in errors)
        {
            if (error is not null)
            {
                LogSpoolWriteFailed(_logger, written.Where(r => errors[r.Segment] == error).Sum(r => r.Count), error);
            }
        }

        DeleteRetired();
        _laneSignals[lane].Release(written.Count);
        unexpected?.Rethrow();
        return kept;
    }

    /// <summary>Writes one batch's record to the OS, under the lock, and queues it (not takeable yet) on its lane; null when it was dropped.</summary>
    private SpoolRecord? Write(Batch batch, int lane)
    {
        // A pooled buffer: a new array per batch (about 50 KB per 100 events) was garbage at every append.
        var rented = ArrayPool<byte>.Shared.Rent(SpoolFormat.RecordLength(batch));
        try
        {
            ReadOnlySpan<byte> bytes = rented.AsSpan(0, SpoolFormat.EncodeBatch(batch, lane, rented));
            lock (_gate)
            {
                MakeRoom(bytes.Length);
                if (_fileBytes + bytes.Length > _maxBytes)
                {
                    _metrics.AddDropped(DropReason.SpoolFull, batch.Count);
                    LogSpoolFull(_logger, batch.Count, _maxBytes);
                    return null;
                }

                try
                {
                    if (_current?.Writer is null || _current.Bytes + bytes.Length > _segmentLimit)
                    {
                        Roll();
                    }

                    var segment = _current!;
                    var offset = segment.Bytes;
                    RandomAccess.Write(segment.Writer!, bytes, offset); // to the OS: a killed process loses nothing from here on
                    Volatile.Write(ref segment.WrittenBytes, offset + bytes.Length);
                    segment.Bytes += bytes.Length;
                    _fileBytes += bytes.Length;
                    var record = new SpoolRecord(segment, offset, bytes.Length, batch.Count, lane, batch.OldestEventTicks) { State = RecordState.Writing };
                    segment.Records.Add(record);
                    segment.Live++;
                    segment.WriterUsers++; // the writer stays open until this record's fsync is over
                    _metrics.AddSpooled(batch.Count);
                    _lanes[lane].Enqueue(record); // in write order; not takeable before it is durable
                    return record;
                }
                catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
                {
                    DropWriter();
                    _metrics.AddDropped(DropReason.SpoolFailed, batch.Count);
                    LogSpoolWriteFailed(_logger, batch.Count, ex);
                    return null;
                }
            }
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Makes a segment durable up to <paramref name="end"/>: fsync, outside <see cref="_gate"/>, unless another
    /// writer's fsync already covered it. fsyncs of one segment take turns, so a writer that waited for one usually
    /// finds its bytes covered. Returns the failure, or null.
    /// </summary>
    private Exception? MakeDurable(SpoolSegment segment, long end)
    {
        lock (segment.SyncGate)
        {
            if (segment.SyncError is { } failed)
            {
                return failed; // an fsync that failed may have lost these bytes; a retry could wrongly succeed
            }

            if (segment.DurableBytes >= end)
            {
                Interlocked.Increment(ref _coveredAppends);
                return null;
            }

            if (!segment.NameDurable)
            {
                // The new file's name made durable before the first record's fsync is relied on: otherwise a crash
                // could lose the whole segment, fsynced records and all. Once per segment, not per batch.
                if (DirectorySync.Flush(_directory) is var error and not 0)
                {
                    LogDirectorySyncFailed(_logger, _directory, error);
                }

                segment.NameDurable = true;
            }

            var target = Volatile.Read(ref segment.WrittenBytes); // every write up to here has completed
            try
            {
                RandomAccess.FlushToDisk(segment.Writer!);
                Interlocked.Increment(ref _recordSyncs);
                segment.DurableBytes = target;
                return null;
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                segment.SyncError = ex;
                return ex;
            }
        }
    }

    /// <summary>
    /// The next batch of a lane, loaded into <paramref name="batch"/>, or <c>null</c> when the spool is completed and the
    /// lane has nothing left. Expired batches are dropped on the way. The record is then in flight until
    /// <see cref="Commit"/> finishes it or <see cref="Release"/> gives it back.
    /// </summary>
    public async Task<SpoolRecord?> TakeAsync(int lane, Batch batch, CancellationToken cancellationToken)
    {
        while (true)
        {
            SpoolRecord? record = null;
            var waitForRestored = false;
            lock (_gate)
            {
                if (_lanes[lane].TryPeek(out var head))
                {
                    if (head.State == RecordState.Finished)
                    {
                        _lanes[lane].Dequeue();
                        continue;
                    }

                    if (head.State == RecordState.Writing)
                    {
                        // Not durable yet: its appender signals the lane when it is (or when it failed).
                    }
                    else if (!head.Restored && _restoredOutstanding > 0)
                    {
                        // Batches of an earlier process go first, on every lane, before any new one.
                        waitForRestored = true;
                    }
                    else
                    {
                        _lanes[lane].Dequeue();
                        record = head;
                        record.State = RecordState.InFlight;
                    }
                }
                else if (_completed)
                {
                    return null;
                }
            }

            if (record is null)
            {
                if (waitForRestored)
                {
                    await _restoredDone.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
                }
                else
                {
                    await _laneSignals[lane].WaitAsync(cancellationToken).ConfigureAwait(false);
                }

                continue;
            }

            if (record.OldestEventTicks < _time.GetUtcNow().UtcTicks - _maxAgeTicks)
            {
                lock (_gate)
                {
                    Drop(record, DropReason.SpoolExpired);
                }

                DeleteRetired();
                LogExpired(_logger, record.Count);
                continue;
            }

            batch.Reset();
            if (!Load(record, batch))
            {
                lock (_gate)
                {
                    Drop(record, DropReason.SpoolFailed);
                }

                DeleteRetired();
                continue;
            }

            batch.Record = record;
            return record;
        }
    }

    private bool Load(SpoolRecord record, Batch batch)
    {
        // Pooled: the entries are copied into the batch, the buffer is not kept.
        var rented = ArrayPool<byte>.Shared.Rent(record.Length);
        var buffer = rented.AsSpan(0, record.Length);
        try
        {
            using (var handle = File.OpenHandle(record.Segment.Path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete))
            {
                if (RandomAccess.Read(handle, buffer, record.Offset) != buffer.Length)
                {
                    return false;
                }
            }

            if (!SpoolFormat.TryReadHeader(buffer, buffer.Length, out var length, out var checksum)
                || !SpoolFormat.TryReadSummary(buffer.Slice(SpoolFormat.HeaderSize, length), checksum, out _, out _, out _))
            {
                LogDamagedRecord(_logger, record.Segment.Path, record.Length);
                return false;
            }

            SpoolFormat.DecodeBatch(buffer.Slice(SpoolFormat.HeaderSize, length), batch);
            return true;
        }
        catch (IOException ex)
        {
            LogSpoolReadFailed(_logger, ex);
            return false;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    /// <summary>
    /// Records that the first <paramref name="done"/> entries of a batch have a final fate (already counted by the
    /// caller as sent, rejected or dropped): acknowledged (written to the OS now, flushed to disk lazily), taken out
    /// of the spooled count, and the batch finished when all its entries are done.
    /// </summary>
    public void Commit(SpoolRecord record, int done)
    {
        lock (_gate)
        {
            if (record.State == RecordState.Finished || done <= record.Done)
            {
                return;
            }

            done = Math.Min(done, record.Count);
            _metrics.RemoveSpooled(done - record.Done);
            record.Done = done;
            WriteAck(record);
            if (done == record.Count)
            {
                Finish(record);
            }
        }

        DeleteRetired();
    }

    /// <summary>Gives an in-flight batch back to the head of its lane (shutdown came before its fate was known).</summary>
    public void Release(SpoolRecord record)
    {
        lock (_gate)
        {
            if (record.State == RecordState.InFlight)
            {
                record.State = RecordState.Pending;
            }
        }
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
        _metrics.RemoveSpooled(remaining);
        _metrics.AddDropped(reason, remaining);
        record.Done = record.Count;
        WriteAck(record);
        Finish(record);
    }

    private void Finish(SpoolRecord record)
    {
        var wasRestored = record.Restored && record.State != RecordState.Finished;
        record.State = RecordState.Finished;
        var segment = record.Segment;
        segment.Live--;
        if (wasRestored && --_restoredOutstanding == 0)
        {
            _restoredDone.TrySetResult();
        }

        if (segment.Live == 0 && segment != _current)
        {
            Retire(segment);
        }
    }

    /// <summary>Takes a segment whose batches are all done out of the spool; its files go in <see cref="DeleteRetired"/>, outside the lock.</summary>
    private void Retire(SpoolSegment segment)
    {
        _segments.Remove(segment);
        _fileBytes -= segment.Bytes;
        _unsyncedAcks.Remove(segment); // flushed before the segment is deleted, see DeleteSegment
        _retired.Add(segment);
    }

    /// <summary>Deletes the files of retired segments. Called after <see cref="_gate"/> is released, never under it.</summary>
    private void DeleteRetired()
    {
        SpoolSegment[] retired;
        lock (_gate)
        {
            if (_retired.Count == 0)
            {
                return;
            }

            retired = _retired.ToArray();
            _retired.Clear();
        }

        foreach (var segment in retired)
        {
            DeleteSegment(segment);
        }
    }

    /// <summary>Drops the oldest batches that are not in flight until <paramref name="needed"/> more bytes fit.</summary>
    private void MakeRoom(long needed)
    {
        if (_fileBytes + needed <= _maxBytes)
        {
            return;
        }

        long dropped = 0;
        foreach (var segment in _segments.ToArray())
        {
            if (_fileBytes + needed <= _maxBytes)
            {
                break;
            }

            if (segment == _current)
            {
                // Start a fresh segment so the current one can be dropped whole as well.
                DropWriter();
            }

            foreach (var record in segment.Records)
            {
                if (record.State == RecordState.Pending)
                {
                    dropped += record.Count - record.Done;
                    Drop(record, DropReason.SpoolFull);
                }
            }
        }

        if (dropped > 0)
        {
            LogSpoolFull(_logger, dropped, _maxBytes);
        }
    }

    /// <summary>
    /// Writes an acknowledgement to the OS (one <c>pwrite</c>: a killed process loses none) and leaves its fsync to
    /// <see cref="SyncAcknowledgements"/>, at most <see cref="AckSyncInterval"/> later. Under <see cref="_gate"/>.
    /// </summary>
    private void WriteAck(SpoolRecord record)
    {
        Span<byte> ack = stackalloc byte[SpoolFormat.AckSize];
        SpoolFormat.EncodeAck(ack, (uint)record.Offset, record.Done);
        var segment = record.Segment;
        try
        {
            if (segment.AckHandle is null)
            {
                segment.AckHandle = File.OpenHandle(segment.AckPath, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read);

                // After a torn acknowledgement (power loss mid-write) the next ones start on a 12-byte boundary again,
                // where the reader looks for them.
                segment.AckBytes = RandomAccess.GetLength(segment.AckHandle) / SpoolFormat.AckSize * SpoolFormat.AckSize;
            }

            RandomAccess.Write(segment.AckHandle, ack, segment.AckBytes);
            segment.AckBytes += SpoolFormat.AckSize;
            segment.UnsyncedAckEvents += record.Count;
            if (!_unsyncedAcks.Contains(segment))
            {
                _unsyncedAcks.Add(segment);
            }

            if (!_ackTimerArmed && !_disposed)
            {
                _ackTimerArmed = true;
                _ackTimer.Change(AckSyncInterval, Timeout.InfiniteTimeSpan);
            }
        }
        catch (IOException ex)
        {
            // The fate is counted; without the acknowledgement a later process may replay the batch (at least once).
            LogSpoolWriteFailed(_logger, record.Count, ex);
        }
    }

    /// <summary>
    /// Flushes the acknowledgements written since the last call to disk (fsync, outside <see cref="_gate"/>). Run by a
    /// timer at most <see cref="AckSyncInterval"/> after an acknowledgement is written, and at dispose.
    /// </summary>
    internal void SyncAcknowledgements()
    {
        (SafeFileHandle Handle, long Events)[] pending;
        lock (_gate)
        {
            _ackTimerArmed = false;
            if (_unsyncedAcks.Count == 0)
            {
                return;
            }

            pending = new (SafeFileHandle, long)[_unsyncedAcks.Count];
            for (var i = 0; i < pending.Length; i++)
            {
                var segment = _unsyncedAcks[i];
                pending[i] = (segment.AckHandle!, segment.UnsyncedAckEvents);
                segment.UnsyncedAckEvents = 0;
            }

            _unsyncedAcks.Clear();
        }

        foreach (var (handle, events) in pending)
        {
            SyncAckFile(handle, events);
        }
    }

    private void SyncAckFile(SafeFileHandle handle, long events)
    {
        try
        {
            RandomAccess.FlushToDisk(handle);
            Interlocked.Increment(ref _ackSyncs);
        }
        catch (ObjectDisposedException)
        {
            // Its segment was deleted meanwhile, after its own flush (DeleteSegment): nothing left to protect.
        }
        catch (IOException ex)
        {
            // The fates are counted; an OS crash before the acknowledgements reach the disk may replay these batches.
            LogSpoolWriteFailed(_logger, (int)Math.Min(events, int.MaxValue), ex);
        }
    }

    private void Roll()
    {
        DropWriter();
        var sequence = _nextSequence++;
        var segment = new SpoolSegment(sequence, SegmentPath(sequence), AckPath(sequence));
        segment.Writer = File.OpenHandle(segment.Path, FileMode.CreateNew, FileAccess.Write, FileShare.Read | FileShare.Delete);
        _current = segment;
        _segments.Add(segment);

        // The directory is flushed (its new name made durable) by the first fsync of a record, outside the lock.
    }

    /// <summary>Stops writing to the current segment. Its file is closed once no append still has to fsync it.</summary>
    private void DropWriter()
    {
        var current = _current;
        if (current is not null && current.WriterUsers == 0)
        {
            current.CloseWriter();
        }

        _current = null;
        if (current is not null && current.Live == 0)
        {
            Retire(current);
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
        catch (IOException ex)
        {
            LogSpoolWriteFailed(_logger, 0, ex);
        }
    }

    private string SegmentPath(long sequence) => Path.Combine(_directory, sequence.ToString("D12", CultureInfo.InvariantCulture) + SegmentExtension);

    private string AckPath(long sequence) => Path.Combine(_directory, sequence.ToString("D12", CultureInfo.InvariantCulture) + AckExtension);

    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
        }

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

    [LoggerMessage(EventId = 1201, Level = LogLevel.Warning, Message = "Piwik spool: skipped {Bytes} damaged byte(s) in {Path} (a write torn by a crash or power loss); the other batches are kept.")]
    private static partial void LogDamagedRecord(ILogger logger, string path, int bytes);

    [LoggerMessage(EventId = 1202, Level = LogLevel.Warning, Message = "Piwik spool is full (Piwik:SpoolMaxBytes = {MaxBytes}): dropped the {Count} oldest unsent event(s).")]
    private static partial void LogSpoolFull(ILogger logger, long count, long maxBytes);

    [LoggerMessage(EventId = 1203, Level = LogLevel.Warning, Message = "Piwik spool: dropped {Count} event(s) older than Piwik:SpoolMaxAge.")]
    private static partial void LogExpired(ILogger logger, int count);

    [LoggerMessage(EventId = 1204, Level = LogLevel.Error, Message = "Piwik spool could not be written; {Count} event(s) are affected.")]
    private static partial void LogSpoolWriteFailed(ILogger logger, int count, Exception exception);

    [LoggerMessage(EventId = 1205, Level = LogLevel.Error, Message = "Piwik spool could not be read.")]
    private static partial void LogSpoolReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(EventId = 1206, Level = LogLevel.Warning, Message = "Piwik spool: the directory {Directory} could not be flushed to disk (errno {Error}); a new segment file may not survive a crash.")]
    private static partial void LogDirectorySyncFailed(ILogger logger, string directory, int error);
}

internal static class ExceptionExtensions
{
    public static void Rethrow(this Exception exception) => System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(exception);
}

internal enum RecordState
{
    Pending,
    InFlight,
    Finished,

    /// <summary>Written, its fsync not over: not takeable yet.</summary>
    Writing,
}

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
