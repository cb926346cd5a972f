using Microsoft.Win32.SafeHandles;
using Piwik.Diagnostics;

namespace Piwik.Spool;

/// <summary>The spool's acknowledgements: how far each batch's delivery got, written at once and flushed lazily.</summary>
internal sealed partial class BatchSpool
{
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
            if (record.Segment is not null)
            {
                _metrics.RemoveSpooled(done - record.Done); // a batch kept in memory was never counted as spooled
            }

            record.Done = done;
            WriteAck(record);
            if (done == record.Count)
            {
                Finish(record);
            }
        }

        DeleteRetired();
    }

    /// <summary>
    /// Gives an in-flight batch back to the head of its lane (its fate is not known: shutdown came, or its delivery
    /// failed unexpectedly): the lane's next take gets it again, before anything queued behind it.
    /// </summary>
    public void Release(SpoolRecord record)
    {
        lock (_gate)
        {
            if (record.State != RecordState.InFlight)
            {
                return;
            }

            record.State = RecordState.Pending;
            _released[record.Lane] = record; // a lane has one batch in flight, so one slot is its head
        }

        _laneSignals[record.Lane].Release();
    }

    /// <summary>Acknowledges how far a record's delivery got; nothing for a batch kept in memory. Under <see cref="_gate"/>.</summary>
    private void WriteAck(SpoolRecord record)
    {
        if (record.Segment is { } segment)
        {
            WriteAck(segment, record.Offset, record.Done, record.Count);
        }
    }

    /// <summary>
    /// Writes an acknowledgement to the OS (one <c>pwrite</c>: a killed process loses none) and leaves its fsync to
    /// <see cref="SyncAcknowledgements"/>, at most <see cref="AckSyncInterval"/> later. Under <see cref="_gate"/>.
    /// </summary>
    private void WriteAck(SpoolSegment segment, long offset, int done, int events)
    {
        Span<byte> ack = stackalloc byte[SpoolFormat.AckSize];
        SpoolFormat.EncodeAck(ack, (uint)offset, done);
        try
        {
            if (segment.AckHandle is null)
            {
                segment.AckHandle = OwnerOnly.OpenForWrite(segment.AckPath, FileMode.OpenOrCreate, FileShare.Read);

                // After a torn acknowledgement (power loss mid-write) the next ones start on a 12-byte boundary again,
                // where the reader looks for them.
                segment.AckBytes = RandomAccess.GetLength(segment.AckHandle) / SpoolFormat.AckSize * SpoolFormat.AckSize;
            }

            RandomAccess.Write(segment.AckHandle, ack, segment.AckBytes);
            segment.AckBytes += SpoolFormat.AckSize;
            segment.UnsyncedAckEvents += events;
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
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The fate is counted and the batch finishes all the same: delivery goes on. Without the acknowledgement a
            // later process may send the batch again (at least once), unless its segment is deleted first.
            NoteFault("write an acknowledgement", ex);
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
            FlushAcknowledgements(handle);
            Interlocked.Increment(ref _ackSyncs);
        }
        catch (ObjectDisposedException)
        {
            // Its segment was deleted meanwhile, after its own flush (DeleteSegment): nothing left to protect.
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            // The fates are counted; an OS crash before the acknowledgements reach the disk may replay these batches.
            NoteFault("flush acknowledgements to disk", ex);
        }
    }
}
