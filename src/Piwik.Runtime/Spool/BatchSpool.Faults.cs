using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;
using Piwik.Sending;

namespace Piwik.Spool;

/// <summary>
/// The spool when its disk fails (full, read-only, files left by another user): no fault stops delivery. A batch that
/// cannot be written or flushed is kept in memory in its place in its lane and delivered from there, in order (as if
/// the spool could not be opened, but only for that batch); an acknowledgement that cannot be written still finishes
/// its batch. Faults are counted (<see cref="Faults"/>, the health check reports Degraded) and logged at most once a
/// minute (1204).
/// </summary>
internal sealed partial class BatchSpool
{
    private static readonly TimeSpan FaultLogInterval = TimeSpan.FromMinutes(1);

    /// <summary>
    /// The fsync of a segment's records (<see cref="RandomAccess.FlushToDisk"/>). Tests replace it with one that fails
    /// now and then: no real disk fails an fsync on demand, and the path taken then is the one that must lose nothing.
    /// </summary>
    internal Action<Microsoft.Win32.SafeHandles.SafeFileHandle> FlushRecords { get; set; } = RandomAccess.FlushToDisk;

    /// <summary>The fsync of an acknowledgement file, replaced by tests as <see cref="FlushRecords"/> is.</summary>
    internal Action<Microsoft.Win32.SafeHandles.SafeFileHandle> FlushAcknowledgements { get; set; } = RandomAccess.FlushToDisk;

    /// <summary>Spool operations that failed (a write, an fsync, an acknowledgement, a deletion, a read) so far.</summary>
    public long Faults => Interlocked.Read(ref _faults);

    /// <summary>Counts a fault and logs it, at most once a minute with the count since the last line.</summary>
    private void NoteFault(string operation, Exception exception)
    {
        Interlocked.Increment(ref _faults);
        Interlocked.Increment(ref _faultsSinceLog);
        var now = _time.GetTimestamp();
        var next = Interlocked.Read(ref _nextFaultLog);
        if (now >= next && Interlocked.CompareExchange(ref _nextFaultLog, now + (long)(FaultLogInterval.TotalSeconds * _time.TimestampFrequency), next) == next)
        {
            LogSpoolFault(_logger, operation, Interlocked.Exchange(ref _faultsSinceLog, 0), exception);
        }
    }

    /// <summary>Under <see cref="_gate"/>: queues a batch that could not be written, in memory, in its place in the lane.</summary>
    private SpoolRecord KeepInMemory(Batch batch, int lane)
    {
        var record = new SpoolRecord(null, 0, 0, batch.Count, lane, batch.OldestEventTicks) { State = RecordState.Pending };
        record.KeepInMemory(Copy(batch));
        _inMemory[lane]++;
        _lanes[lane].Enqueue(record); // behind the records written before it: taken once they are durable
        return record;
    }

    /// <summary>
    /// Under <see cref="_gate"/>: a record written whose fsync failed is taken off the disk's books (acknowledged as
    /// done, so a later process skips it should its bytes be there after all) and kept in memory in its place.
    /// </summary>
    private void MoveToMemory(SpoolRecord record, Batch batch)
    {
        var segment = record.Segment!;
        _metrics.RemoveSpooled(record.Count);
        WriteAck(segment, record.Offset, record.Count, record.Count);
        segment.Records.Remove(record);
        segment.Live--;
        record.KeepInMemory(Copy(batch));
        _inMemory[record.Lane]++;
        if (segment.Live == 0 && segment != _current)
        {
            Retire(segment);
        }
    }

    private static Batch Copy(Batch batch)
    {
        var copy = new Batch();
        copy.AddAll(batch);
        return copy;
    }

    /// <summary>
    /// Waits until the lane has delivered the batches it keeps in memory, so that while the disk fails a lane holds
    /// at most one hand-off of batches in memory (as without the spool). Ends early at <paramref name="cancellationToken"/>.
    /// </summary>
    private void WaitForMemory(int lane, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_inMemory[lane] == 0)
            {
                return;
            }
        }

        using var wake = cancellationToken.Register(() =>
        {
            lock (_gate)
            {
                Monitor.PulseAll(_gate);
            }
        });
        lock (_gate)
        {
            while (_inMemory[lane] > 0 && !cancellationToken.IsCancellationRequested && !_disposed)
            {
                Monitor.Wait(_gate); // Finish pulses when a batch in memory is done
            }
        }
    }

    /// <summary>
    /// Counts the batches still in memory, never delivered, as dropped (<see cref="DropReason.ShutdownDeadline"/>) and
    /// forgets them; returns their events. Called once the lanes have stopped, and at dispose.
    /// </summary>
    public long DiscardInMemory()
    {
        long lost = 0;
        lock (_gate)
        {
            for (var lane = 0; lane < _lanes.Length; lane++)
            {
                foreach (var record in _lanes[lane].Append(_released[lane]))
                {
                    if (record is { InMemory: not null } && record.State != RecordState.Finished)
                    {
                        lost += record.Count - record.Done;
                        Drop(record, DropReason.ShutdownDeadline);
                    }
                }
            }
        }

        return lost;
    }

    [LoggerMessage(EventId = 1204, Level = LogLevel.Warning, Message = "Piwik spool: could not {Operation} ({Faults} fault(s) since the last warning). Delivery goes on: batches the spool cannot keep are sent from memory (not kept across a restart), and the health check reports Degraded.")]
    private static partial void LogSpoolFault(ILogger logger, string operation, long faults, Exception exception);
}
