using System.Diagnostics;
using Piwik.Testing;

using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;
using Piwik.Sending;
using Piwik.Spool;

namespace Piwik.Reliability.Tests;

/// <summary>The spool's file format and bounds, directly: torn writes, acknowledgements, size and age limits.</summary>
public class SpoolTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly LogCapture _logs = new();
    private readonly List<PiwikMetrics> _metrics = new();

    public void Dispose()
    {
        foreach (var metrics in _metrics)
        {
            metrics.Dispose();
        }

        _directory.Dispose();
    }

    private (BatchSpool Spool, PiwikMetrics Metrics) Open(int lanes = 1, long maxBytes = 100 * 1024 * 1024, TimeSpan? maxAge = null, TimeProvider? time = null)
    {
        var metrics = new PiwikMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        _metrics.Add(metrics);
        var options = new PiwikOptions { SpoolDirectory = _directory.Path, SpoolMaxBytes = maxBytes, SpoolMaxAge = maxAge ?? TimeSpan.FromDays(3) };
        var logger = new LoggerFactory([_logs]).CreateLogger("spool");
        return (BatchSpool.Open(options, lanes, metrics, logger, time ?? TimeProvider.System), metrics);
    }

    private static Batch BatchOf(string prefix, int count, int size = 20, long? ticks = null)
    {
        var batch = new Batch();
        for (var i = 0; i < count; i++)
        {
            var entry = $"?idsite=1&rec=1&e_a={prefix}{i}&pad=" + new string('p', size);
            batch.Add(System.Text.Encoding.ASCII.GetBytes(entry), ticks ?? DateTime.UtcNow.Ticks, hasIp: i % 2 == 0);
        }

        return batch;
    }

    private static async Task<List<string>> TakeAllAsync(BatchSpool spool, int lane = 0, bool commit = true)
    {
        var actions = new List<string>();
        var batch = new Batch();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        while (spool.PendingRecords > 0)
        {
            var record = await spool.TakeAsync(lane, batch, timeout.Token);
            Assert.NotNull(record);
            for (var i = record.Done; i < batch.Count; i++)
            {
                actions.Add(SpoolEntries.Action(batch, i));
            }

            if (!commit)
            {
                break;
            }

            spool.Commit(record, batch.Count);
        }

        return actions;
    }

    private string[] Segments() => Directory.GetFiles(_directory.Path, "*.spool").Order().ToArray();

    [Fact]
    public async Task A_torn_tail_record_is_skipped_and_the_batches_before_it_are_replayed()
    {
        var (spool, _) = Open();
        spool.Append(BatchOf("a", 3), 0);
        spool.Append(BatchOf("b", 3), 0);
        spool.Append(BatchOf("c", 3), 0);
        spool.Dispose();

        // kill -9 in the middle of writing the third record.
        var segment = Assert.Single(Segments());
        var length = new FileInfo(segment).Length;
        using (var file = new FileStream(segment, FileMode.Open))
        {
            file.SetLength(length - 25);
        }

        var (reopened, metrics) = Open();
        Assert.Equal(6, metrics.Restored);
        Assert.Equal(6, metrics.Spooled);
        Assert.Equal(["a0", "a1", "a2", "b0", "b1", "b2"], await TakeAllAsync(reopened));
        Assert.Contains(_logs.Entries, e => e.Id.Id == 1201);
        Assert.Equal(0, metrics.Spooled);
        reopened.Dispose();
    }

    [Fact]
    public async Task A_damaged_record_in_the_middle_is_skipped_and_the_records_after_it_are_kept()
    {
        var (spool, _) = Open();
        spool.Append(BatchOf("a", 2), 0);
        spool.Append(BatchOf("b", 2), 0);
        spool.Append(BatchOf("c", 2), 0);
        spool.Dispose();

        var segment = Assert.Single(Segments());
        var bytes = File.ReadAllBytes(segment);
        var second = System.Text.Encoding.ASCII.GetString(bytes).IndexOf("e_a=b0", StringComparison.Ordinal);
        bytes[second + 4] ^= 0xFF; // a flipped byte inside the second record's payload
        File.WriteAllBytes(segment, bytes);

        var (reopened, metrics) = Open();
        Assert.Equal(4, metrics.Restored);
        Assert.Equal(["a0", "a1", "c0", "c1"], await TakeAllAsync(reopened));
        reopened.Dispose();
    }

    [Fact]
    public async Task Acknowledged_batches_are_never_replayed_and_a_partly_delivered_batch_resumes_where_it_stopped()
    {
        var (spool, metrics) = Open();
        spool.Append(BatchOf("a", 4), 0);
        spool.Append(BatchOf("b", 5), 0);
        var batch = new Batch();
        var first = await spool.TakeAsync(0, batch, CancellationToken.None);
        spool.Commit(first!, 4);
        var second = await spool.TakeAsync(0, batch, CancellationToken.None);
        spool.Commit(second!, 3); // poison isolation got through the first three entries, then the process died
        Assert.Equal(2, metrics.Spooled);
        spool.Dispose();

        var (reopened, again) = Open();
        Assert.Equal(2, again.Restored);
        Assert.Equal(["b3", "b4"], await TakeAllAsync(reopened));
        Assert.Empty(Segments()); // everything acknowledged: the files are gone
        reopened.Dispose();

        var (empty, none) = Open();
        Assert.Equal(0, none.Restored);
        empty.Dispose();
    }

    [Fact]
    public async Task Acknowledgements_reach_the_OS_at_once_and_the_disk_at_most_once_a_second_not_once_each()
    {
        var time = new ManualTimers();
        var (spool, _) = Open(time: time);
        for (var i = 0; i < 20; i++)
        {
            spool.Append(BatchOf("a" + i + "_", 2), 0);
        }

        var batch = new Batch();
        for (var i = 0; i < 10; i++)
        {
            var record = await spool.TakeAsync(0, batch, CancellationToken.None);
            spool.Commit(record!, batch.Count);
        }

        // Written: another reader (a process started after a kill -9) sees all ten; none flushed to disk yet.
        var acks = Assert.Single(Directory.GetFiles(_directory.Path, "*.acks"));
        Assert.Equal(10 * SpoolFormat.AckSize, ReadShared(acks).Length);
        Assert.Equal(0, spool.AckSyncs);
        var timer = Assert.Single(time.Timers);
        Assert.Equal(BatchSpool.AckSyncInterval, timer.DueTime);

        timer.Fire();
        Assert.Equal(1, spool.AckSyncs);
        Assert.Equal(Timeout.InfiniteTimeSpan, timer.DueTime); // nothing new: not armed again

        for (var i = 0; i < 10; i++)
        {
            var record = await spool.TakeAsync(0, batch, CancellationToken.None);
            spool.Commit(record!, 1); // partly done: the segment stays
        }

        Assert.Equal(BatchSpool.AckSyncInterval, timer.DueTime);
        Assert.Equal(1, spool.AckSyncs);
        spool.Dispose(); // flushes what the timer had not
        Assert.Equal(2, spool.AckSyncs);

        var (reopened, metrics) = Open();
        Assert.Equal(10, metrics.Restored); // the second entry of each of the last ten batches
        reopened.Dispose();
    }

    private static byte[] ReadShared(string path)
    {
        using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete);
        var bytes = new byte[file.Length];
        file.ReadExactly(bytes);
        return bytes;
    }

    /// <summary>System time, but timers that fire only when the test says so.</summary>
    private sealed class ManualTimers : TimeProvider
    {
        public List<ManualTimer> Timers { get; } = new();

        public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
        {
            var timer = new ManualTimer(callback, state) { DueTime = dueTime };
            Timers.Add(timer);
            return timer;
        }
    }

    private sealed class ManualTimer(TimerCallback callback, object? state) : ITimer
    {
        public TimeSpan DueTime { get; set; }

        public void Fire()
        {
            Assert.NotEqual(Timeout.InfiniteTimeSpan, DueTime);
            DueTime = Timeout.InfiniteTimeSpan;
            callback(state);
        }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            DueTime = dueTime;
            return true;
        }

        public void Dispose() => DueTime = Timeout.InfiniteTimeSpan;

        public ValueTask DisposeAsync()
        {
            Dispose();
            return ValueTask.CompletedTask;
        }
    }

    [Fact]
    public async Task One_fsync_covers_the_records_written_while_another_was_running_and_none_is_taken_before_it_is_durable()
    {
        var (spool, _) = Open(lanes: 2);
        spool.Append(BatchOf("a", 1), 0);
        var batch = new Batch();
        var first = await spool.TakeAsync(0, batch, CancellationToken.None);
        var segment = first!.Segment!;
        Assert.Equal((1, 0), (spool.RecordSyncs, spool.CoveredAppends));

        var lane0 = spool.TakeAsync(0, batch, CancellationToken.None);
        var lane1 = spool.TakeAsync(1, new Batch(), CancellationToken.None);
        Task<bool> b, c;
        Monitor.Enter(segment.SyncGate); // as if an fsync of this segment were running
        try
        {
            var written = Volatile.Read(ref segment.WrittenBytes);
            b = Task.Run(() => spool.Append(BatchOf("b", 1), 0));
            c = Task.Run(() => spool.Append(BatchOf("c", 1), 1));
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (Volatile.Read(ref segment.WrittenBytes) < written + (2 * first.Length) && DateTime.UtcNow < deadline)
            {
                Thread.Sleep(5); // both written, both waiting for their turn to fsync
            }

            Thread.Sleep(100);
            Assert.False(b.IsCompleted || c.IsCompleted, "an append returned before its record was durable");
            Assert.False(lane0.IsCompleted || lane1.IsCompleted, "a lane took a record before it was durable");
        }
        finally
        {
            Monitor.Exit(segment.SyncGate);
        }

        Assert.True(await b.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.True(await c.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal((2, 1), (spool.RecordSyncs, spool.CoveredAppends)); // the second to get its turn found its bytes on disk
        var taken0 = await lane0.WaitAsync(TimeSpan.FromSeconds(10));
        var taken1 = await lane1.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.True(segment.DurableBytes >= taken0!.Offset + taken0.Length);
        Assert.True(segment.DurableBytes >= taken1!.Offset + taken1.Length);
        spool.Dispose();
    }

    [Fact]
    public async Task With_a_sync_interval_an_early_fsync_waits_and_covers_what_another_lane_writes_meanwhile()
    {
        var (spool, _) = Open(lanes: 2);
        // Long enough that c, started 100 ms after b, is written before b's wait ends even on a loaded machine (with 800 ms,
        // one CI run saw c fsync on its own: (3, 0)).
        var interval = TimeSpan.FromSeconds(2);
        Assert.Equal(1, spool.AppendAll([BatchOf("a", 1)], 0, syncInterval: interval)); // the spool's first fsync does not wait
        Assert.Equal((1, 0), (spool.RecordSyncs, spool.CoveredAppends));

        var started = Stopwatch.StartNew();
        // Threads of their own, as the appenders have (a busy thread pool could start c after b's fsync).
        var b = Task.Factory.StartNew(() => spool.AppendAll([BatchOf("b", 1)], 0, syncInterval: interval), TaskCreationOptions.LongRunning); // too soon after a's: waits
        await Task.Delay(100);
        var c = Task.Factory.StartNew(() => spool.AppendAll([BatchOf("c", 1)], 1, syncInterval: interval), TaskCreationOptions.LongRunning); // written while b waits
        Assert.Equal(1, await b.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal(1, await c.WaitAsync(TimeSpan.FromSeconds(10)));
        Assert.Equal((2, 1), (spool.RecordSyncs, spool.CoveredAppends)); // one fsync for b and c
        Assert.True(started.Elapsed >= TimeSpan.FromMilliseconds(1500), $"b's fsync did not wait: {started.Elapsed}");
        var other = new Batch();
        var taken = await spool.TakeAsync(1, other, CancellationToken.None);
        spool.Commit(taken!, other.Count);
        Assert.Equal(["a0", "b0"], await TakeAllAsync(spool));
        spool.Dispose();
    }

    [Fact]
    public async Task Batches_appended_together_share_one_fsync_and_keep_their_order()
    {
        var (spool, metrics) = Open();
        Assert.Equal(3, spool.AppendAll([BatchOf("a", 2), BatchOf("b", 2), BatchOf("c", 2)], 0));
        Assert.Equal((1, 0), (spool.RecordSyncs, spool.CoveredAppends));
        Assert.Equal(6, metrics.Spooled);
        Assert.Equal(["a0", "a1", "b0", "b1", "c0", "c1"], await TakeAllAsync(spool));
        spool.Dispose();
    }

    [Fact]
    public async Task Concurrent_appends_on_every_lane_across_segment_rolls_are_each_taken_once_in_order_once_durable()
    {
        const int lanes = 4, perLane = 150;
        var (spool, metrics) = Open(lanes: lanes, maxBytes: 16 * 1024 * 1024); // 1 MiB segments: a roll every ~100 appends
        var appends = Enumerable.Range(0, lanes).Select(lane => Task.Run(() =>
        {
            for (var i = 0; i < perLane; i++)
            {
                Assert.True(spool.Append(BatchOf($"L{lane}_{i:D3}_", 10, size: 1000), lane));
            }
        })).ToArray();

        // Delivery lanes take and acknowledge at the same time, so segments are deleted while others are appended and fsynced.
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        var takes = Enumerable.Range(0, lanes).Select(lane => Task.Run(async () =>
        {
            var seen = new List<string>();
            var batch = new Batch();
            while (seen.Count < perLane * 10)
            {
                var record = await spool.TakeAsync(lane, batch, timeout.Token);
                Assert.True(record!.Segment!.DurableBytes >= record.Offset + record.Length, "taken before it was durable");
                for (var i = 0; i < batch.Count; i++)
                {
                    seen.Add(SpoolEntries.Action(batch, i));
                }

                spool.Commit(record, batch.Count);
            }

            return seen;
        })).ToArray();

        await Task.WhenAll(appends).WaitAsync(TimeSpan.FromSeconds(60));
        var taken = await Task.WhenAll(takes).WaitAsync(TimeSpan.FromSeconds(60));
        for (var lane = 0; lane < lanes; lane++)
        {
            var expected = Enumerable.Range(0, perLane).SelectMany(i => Enumerable.Range(0, 10).Select(j => $"L{lane}_{i:D3}_{j}"));
            Assert.Equal(expected, taken[lane]); // each once, in the order appended
        }

        Assert.Equal(lanes * perLane, spool.RecordSyncs + spool.CoveredAppends);
        Assert.Equal(0, metrics.Spooled);
        Assert.Equal(0, metrics.DroppedFor(DropReason.SpoolFailed) + metrics.DroppedFor(DropReason.SpoolFull));
        Assert.DoesNotContain(_logs.Entries, e => e.Id.Id is 1204 or 1205);
        Assert.Equal(0, spool.PendingRecords);
        Assert.True(Segments().Length <= 1, "emptied segments were not deleted: " + Segments().Length);
        spool.Dispose();
        Assert.Empty(Segments());

        var (reopened, again) = Open(lanes: lanes);
        Assert.Equal(0, again.Restored);
        reopened.Dispose();
    }

    [Fact]
    public void The_spool_stays_within_its_size_dropping_the_oldest_and_counting_them()
    {
        var (spool, metrics) = Open(maxBytes: 1024 * 1024);
        long appended = 0;
        for (var i = 0; i < 400; i++)
        {
            spool.Append(BatchOf("x" + i + "_", 10, size: 1000), 0);
            appended += 10;
            Assert.True(spool.FileBytes <= 1024 * 1024);
            Assert.True(Segments().Sum(f => new FileInfo(f).Length) <= 1024 * 1024);
        }

        Assert.True(metrics.DroppedFor(DropReason.SpoolFull) > 0);
        Assert.Equal(appended, metrics.Spooled + metrics.DroppedFor(DropReason.SpoolFull));
        Assert.Contains(_logs.Entries, e => e.Id.Id == 1202);
        spool.Dispose();
    }

    [Fact]
    public async Task The_newest_batches_survive_when_the_oldest_are_dropped_for_room()
    {
        var (spool, metrics) = Open(maxBytes: 1024 * 1024);
        for (var i = 0; i < 200; i++)
        {
            spool.Append(BatchOf("b" + i.ToString("D3") + "_", 10, size: 1000), 0);
        }

        var kept = await TakeAllAsync(spool);
        Assert.Equal(2000, metrics.DroppedFor(DropReason.SpoolFull) + kept.Count);
        Assert.Equal(kept.Order(StringComparer.Ordinal), kept); // still in order
        Assert.StartsWith("b199_", kept[^1], StringComparison.Ordinal);
        spool.Dispose();
    }

    [Fact]
    public async Task Batches_older_than_the_maximum_age_are_dropped_when_their_turn_comes()
    {
        var old = DateTime.UtcNow.AddDays(-2).Ticks;
        var (spool, metrics) = Open(maxAge: TimeSpan.FromDays(1));
        spool.Append(BatchOf("old", 3, ticks: old), 0);
        spool.Append(BatchOf("new", 2), 0);
        Assert.Equal(["new0", "new1"], await TakeAllAsync(spool));
        Assert.Equal(3, metrics.DroppedFor(DropReason.SpoolExpired));
        Assert.Equal(0, metrics.Spooled);
        spool.Dispose();
    }

    [Fact]
    public async Task Restored_batches_go_before_new_ones_on_every_lane()
    {
        var (spool, _) = Open(lanes: 2);
        spool.Append(BatchOf("old", 1), 1);
        spool.Dispose();

        var (reopened, _) = Open(lanes: 2);
        reopened.Append(BatchOf("new", 1), 0);
        var batch = new Batch();
        var lane0 = reopened.TakeAsync(0, batch, CancellationToken.None);
        await Task.Delay(100);
        Assert.False(lane0.IsCompleted, "lane 0 took a new batch while an old one was still unsent on lane 1");

        var other = new Batch();
        var old = await reopened.TakeAsync(1, other, CancellationToken.None);
        Assert.True(old!.Restored);
        reopened.Commit(old, other.Count);
        var fresh = await lane0.WaitAsync(TimeSpan.FromSeconds(5));
        Assert.False(fresh!.Restored);
        reopened.Dispose();
    }
}
