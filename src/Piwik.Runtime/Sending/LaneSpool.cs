using System.Threading.Channels;
using Piwik.Diagnostics;
using Piwik.Spool;

namespace Piwik.Sending;

/// <summary>The lane's side of the spool: full batches go to disk first, and are delivered from there.</summary>
internal sealed partial class Lane
{
    // With the spool: full batches on their way to disk. The read loop hands a batch over and goes on reading while
    // the lane's appender writes and fsyncs it; what piled up meanwhile goes to disk with one fsync next time
    // (BatchSpool.AppendAll), and the lanes' appenders share fsyncs too (BatchSpool's group commit). So the slower
    // the disk, the more batches each fsync covers.
    private const int SpoolHandOff = 4;
    private readonly Channel<Batch> _toSpool = Channel.CreateBounded<Batch>(new BoundedChannelOptions(SpoolHandOff) { SingleReader = true, SingleWriter = true });
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
            var batches = new Batch[SpoolHandOff];
            try
            {
                while (reader.WaitToReadAsync().AsTask().GetAwaiter().GetResult())
                {
                    var count = 0;
                    while (count < batches.Length && reader.TryRead(out var batch))
                    {
                        batches[count++] = batch;
                    }

                    try
                    {
                        spool.AppendAll(batches.AsSpan(0, count), _index, _deadline); // counts its own drops (spool_full); a disk fault keeps the batch in memory
                    }
                    catch (Exception ex)
                    {
                        long lost = 0;
                        for (var i = 0; i < count; i++)
                        {
                            lost += batches[i].Count;
                        }

                        _metrics.AddDropped(DropReason.SpoolFailed, lost);
                        SenderLog.SenderFailed(_logger, ex);
                    }

                    foreach (var batch in batches.AsSpan(0, count))
                    {
                        Recycle(batch);
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

    /// <summary>Delivers this lane's batches from the spool, oldest first, until the spool is completed or the deadline comes.</summary>
    public async Task RunFromSpoolAsync(BatchSpool spool)
    {
        var batch = new Batch();
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

            try
            {
                var done = await _delivery.DeliverAsync(batch, record.Done, _writer, n => spool.Commit(record, n)).ConfigureAwait(false);
                if (done < batch.Count)
                {
                    spool.Release(record); // kept on disk for the next start
                    return;
                }
            }
            catch (Exception ex)
            {
                spool.Release(record);
                SenderLog.SenderFailed(_logger, ex);
            }
        }
    }
}
