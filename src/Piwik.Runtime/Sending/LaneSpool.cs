using System.Threading.Channels;
using Piwik.Spool;

namespace Piwik.Sending;

/// <summary>
/// The lane's side of the spool: full batches go to disk first, and are delivered once durable: from memory while the
/// lane keeps up (the spool keeps its next few batches as read caches), else read back from disk.
/// </summary>
internal sealed partial class Lane
{
    // With the spool: full batches on their way to disk. The read loop hands a batch over and goes on reading while
    // the lane's appender writes and fsyncs it. The appender commits in groups: after a batch arrives it waits up to
    // SpoolCommitDelay (or until SpoolHandOff batches wait) and writes them all with one fsync (BatchSpool.AppendAll);
    // the lanes' appenders share fsyncs too (BatchSpool's group commit: an fsync waits until SpoolCommitDelay has passed
    // since the last one, and covers what the other lanes wrote meanwhile). An fsync costs the app hundreds of
    // microseconds of CPU on a virtual disk: one per 100-event batch was most of the spool's cost under load
    // (bench/NOTES.md). The batches waiting meanwhile are in memory, as the batch being filled is, and are sent only
    // once on disk, as before.
    private const int SpoolHandOff = 16;
    private static readonly TimeSpan SpoolCommitDelay = TimeSpan.FromMilliseconds(100);
    private readonly Channel<Batch> _toSpool = Channel.CreateBounded<Batch>(new BoundedChannelOptions(SpoolHandOff) { SingleReader = true, SingleWriter = true });
    private readonly object _groupGate = new();
    private bool _groupReady;
    private volatile bool _toDisk;

    /// <summary>
    /// Appends this lane's full batches to the spool, in order, on a thread of its own: an append blocks for its
    /// fsync (about a millisecond, more on a busy disk), which should hold up neither the read loop nor a
    /// thread-pool thread. Ends when <see cref="Complete"/> was called and every batch handed over is appended.
    /// </summary>
    public Task StartAppender(BatchSpool spool)
    {
        _toDisk = true;
        var done = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            var reader = _toSpool.Reader;
            var batches = new Batch?[SpoolHandOff];
            try
            {
                while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    WaitForGroup(reader);
                    var count = 0;
                    while (count < batches.Length && reader.TryRead(out var batch))
                    {
                        batches[count++] = batch;
                    }

                    try
                    {
                        // Counts its own drops (spool_full, and spool_failed for what it could not take on when it
                        // throws); a disk fault keeps the batch in memory. Clears the slots of the batches it keeps as
                        // read caches: they come back once delivered (RunFromSpoolAsync).
                        spool.AppendAll(batches.AsSpan(0, count), _index, keepReadCaches: true, SpoolCommitDelay, _deadline);
                    }
                    catch (OperationCanceledException) when (_deadline.IsCancellationRequested)
                    {
                        // The shutdown deadline came while the spool waited for memory: counted by AppendAll.
                    }
                    catch (Exception ex)
                    {
                        SenderLog.SenderFailed(_logger, ex);
                    }

                    foreach (var batch in batches.AsSpan(0, count))
                    {
                        if (batch is not null)
                        {
                            Recycle(batch);
                        }
                    }

                    Array.Clear(batches);
                }
            }
            finally
            {
                done.TrySetResult();
            }
        })
        {
            IsBackground = true,
            Name = "Piwik spool " + _index.ToString(System.Globalization.CultureInfo.InvariantCulture),
        };
        thread.Start();
        return done.Task;
    }

    /// <summary>
    /// A batch is waiting: gives the read loop <see cref="SpoolCommitDelay"/> to hand over more (less if the hand-off
    /// fills or the lane completes), so that one fsync covers them all.
    /// </summary>
    private void WaitForGroup(ChannelReader<Batch> reader)
    {
        lock (_groupGate)
        {
            if (!_groupReady && reader.Count < SpoolHandOff && !_completing)
            {
                Monitor.Wait(_groupGate, SpoolCommitDelay);
            }

            _groupReady = false;
        }
    }

    /// <summary>After a hand-off: wakes the appender at once when its group is full.</summary>
    private void NoteHandedToSpool()
    {
        if (_toSpool.Reader.Count >= SpoolHandOff)
        {
            SignalGroup();
        }
    }

    private void SignalGroup()
    {
        lock (_groupGate)
        {
            _groupReady = true;
            Monitor.Pulse(_groupGate);
        }
    }

    /// <summary>Delivers this lane's batches from the spool, oldest first, until the spool is completed or the deadline comes.</summary>
    public async Task RunFromSpoolAsync(BatchSpool spool)
    {
        var batch = new Batch();
        var failures = 0;
        while (true)
        {
            SpoolRecord? record;
            try
            {
                record = await spool.TakeAsync(_index, batch, _deadline).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return;
            }

            if (record is null)
            {
                return;
            }

            if (record.TakeReadCache() is { } cached)
            {
                Recycle(cached); // its entries were swapped into the batch (not read from disk); a retry after a release reads the disk
            }

            try
            {
                var done = await _delivery.DeliverAsync(batch, record.Done, _writer, n => spool.Commit(record, n)).ConfigureAwait(false);
                if (done < batch.Count)
                {
                    spool.Release(record); // kept on disk for the next start
                    return;
                }

                failures = 0;
            }
            catch (Exception ex)
            {
                // Kept, and taken again after a pause: the same failure at once would repeat in a busy loop.
                spool.Release(record);
                SenderLog.SenderFailed(_logger, ex);
                if (!await _delivery.PauseAfterFailureAsync(++failures).ConfigureAwait(false))
                {
                    return;
                }
            }
        }
    }
}
