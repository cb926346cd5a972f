using System.Buffers.Binary;
using System.Diagnostics.Metrics;
using System.IO.Hashing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Piwik.Capture;
using Piwik.Diagnostics;
using Piwik.HealthChecks;
using Piwik.Sending;
using Piwik.Spool;
using Piwik.Testing;

namespace Piwik.Reliability.Tests;

/// <summary>The spool against hostile files and a disk that fails, on a real directory.</summary>
public class SpoolFaultTests : IDisposable
{
    private readonly TempDirectory _directory = new();
    private readonly LogCapture _logs = new();
    private readonly List<IDisposable> _owned = new();

    public void Dispose()
    {
        foreach (var owned in _owned)
        {
            owned.Dispose();
        }

        _directory.Dispose();
    }

    private (BatchSpool Spool, PiwikMetrics Metrics, IMeterFactory Meters) Open(int lanes = 1, long maxBytes = 100 * 1024 * 1024)
    {
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _owned.Add(services);
        var meters = services.GetRequiredService<IMeterFactory>();
        var metrics = new PiwikMetrics(meters);
        _owned.Add(metrics);
        var options = new PiwikOptions { SpoolDirectory = _directory.Path, SpoolMaxBytes = maxBytes };
        var logger = new LoggerFactory([_logs]).CreateLogger("spool");
        return (BatchSpool.Open(options, lanes, metrics, logger, TimeProvider.System), metrics, meters);
    }

    private static Batch BatchOf(string prefix, int count, int size = 20)
    {
        var batch = new Batch();
        for (var i = 0; i < count; i++)
        {
            batch.Add(System.Text.Encoding.ASCII.GetBytes($"?idsite=1&rec=1&e_a={prefix}{i}&pad=" + new string('p', size)), DateTime.UtcNow.Ticks, hasIp: false);
        }

        return batch;
    }

    /// <summary>The record of a two-entry batch whose first entry claims <paramref name="length"/> bytes, with a valid checksum.</summary>
    private static byte[] CraftedRecord(int length)
    {
        var batch = BatchOf("crafted", 2);
        var record = new byte[SpoolFormat.RecordLength(batch)];
        SpoolFormat.EncodeBatch(batch, 0, record);
        var payload = record.AsSpan(SpoolFormat.HeaderSize);
        BinaryPrimitives.WriteInt32LittleEndian(payload[(8 + 9)..], length); // batch header 8, then ticks 8 and flags 1
        BinaryPrimitives.WriteUInt32LittleEndian(record.AsSpan(8), Crc32.HashToUInt32(payload));
        return record;
    }

    private string WriteSegmentWithCraftedRecord(int length)
    {
        var (spool, _, _) = Open();
        spool.Append(BatchOf("a", 2), 0);
        spool.Dispose();
        var segment = Assert.Single(Directory.GetFiles(_directory.Path, "*.spool"));
        using (var file = new FileStream(segment, FileMode.Append))
        {
            file.Write(CraftedRecord(length));
        }

        var (after, _, _) = Open(); // another process's segment after it: must survive the crafted one
        after.Append(BatchOf("c", 2), 0);
        after.Dispose();
        return segment;
    }

    [Theory]
    [InlineData(int.MaxValue)]
    [InlineData(int.MaxValue - 20)]
    [InlineData(-1)]
    [InlineData(100_000)]
    public async Task A_record_with_a_valid_checksum_and_an_impossible_length_is_skipped_and_its_file_named(int length)
    {
        var segment = WriteSegmentWithCraftedRecord(length);
        _logs.Entries.Clear();

        var (spool, metrics, _) = Open();
        Assert.Equal(4, metrics.Restored); // a0 a1 c0 c1: the records around the crafted one are kept
        var damaged = Assert.Single(_logs.Entries, e => e.Id.Id == 1201);
        Assert.Contains(segment, damaged.Message, StringComparison.Ordinal);

        var batch = new Batch();
        var first = await spool.TakeAsync(0, batch, CancellationToken.None);
        Assert.Equal(2, batch.Count);
        spool.Commit(first!, 2);
        spool.Dispose();
    }

    [Fact]
    public async Task An_app_starts_on_a_spool_holding_a_crafted_record_and_sends_the_rest()
    {
        WriteSegmentWithCraftedRecord(int.MaxValue - 20);
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
            o.SpoolDirectory = _directory.Path;
        });
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 4 && app.Metrics.Spooled == 0, () => app.Accounting);
        Assert.Equal(1, app.LogCount(1201));
        Assert.True(app.Balanced, app.Accounting);
        Assert.Equal(4, matomo.Tracked.Count);
    }

    [Fact]
    public void The_files_on_disk_never_exceed_the_bound_not_even_while_the_oldest_are_dropped_for_room()
    {
        const long max = 1024 * 1024;
        var (spool, metrics, meters) = Open(lanes: 2, maxBytes: max);

        // Each time a batch is counted as spooled its bytes are on disk: measure the directory at that very moment.
        long worst = 0;
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Meter.Scope == meters && instrument.Name == "piwik.events.spooled")
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<long>((_, value, _, _) =>
        {
            if (value > 0)
            {
                var onDisk = Directory.EnumerateFiles(_directory.Path, "*.spool").Sum(f => new FileInfo(f).Length);
                worst = Math.Max(worst, onDisk);
            }
        });
        listener.Start();

        for (var i = 0; i < 60; i++)
        {
            // Several batches per call, as a lane's appender hands them over after waiting for an fsync.
            spool.AppendAll([BatchOf("x" + i + "_", 10, size: 1000), BatchOf("y" + i + "_", 10, size: 1000), BatchOf("z" + i + "_", 10, size: 1000)], i % 2);
        }

        Assert.True(metrics.DroppedFor(DropReason.SpoolFull) > 0);
        Assert.True(worst <= max, $"{worst} bytes on disk, bound {max}");
        Assert.True(spool.FileBytes <= max);
        spool.Dispose();
    }

    [Fact]
    public async Task The_spool_directory_and_its_files_are_the_owners_only()
    {
        if (OperatingSystem.IsWindows())
        {
            return; // files there inherit the directory's ACL
        }

        var directory = Path.Combine(_directory.Path, "new", "spool");
        var services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        _owned.Add(services);
        using var metrics = new PiwikMetrics(services.GetRequiredService<IMeterFactory>());
        var spool = BatchSpool.Open(new PiwikOptions { SpoolDirectory = directory }, 1, metrics, new LoggerFactory([_logs]).CreateLogger("spool"), TimeProvider.System);
        spool.Append(BatchOf("a", 2), 0);
        spool.Append(BatchOf("b", 2), 0);
        var batch = new Batch();
        var record = await spool.TakeAsync(0, batch, CancellationToken.None);
        spool.Commit(record!, 1); // an acknowledgement file too

        const UnixFileMode owner = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        Assert.Equal(owner | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        var files = Directory.GetFiles(directory);
        Assert.Contains(files, f => f.EndsWith(".spool", StringComparison.Ordinal));
        Assert.Contains(files, f => f.EndsWith(".acks", StringComparison.Ordinal));
        foreach (var file in files)
        {
            Assert.Equal((file, owner), (file, File.GetUnixFileMode(file)));
        }
        spool.Dispose();
    }

    private static PiwikHealthCheck HealthOf(ReliabilityApp app) =>
        new(app.App.Services.GetRequiredService<EventQueue>(), app.Metrics, app.Sender, 0.5);

    private static async Task<HealthStatus> CheckAsync(PiwikHealthCheck check) =>
        (await check.CheckHealthAsync(new HealthCheckContext())).Status;

    private static void Fast(PiwikOptions o, StandInMatomo matomo, string spool)
    {
        o.Url = matomo.BaseUrl;
        o.FlushInterval = TimeSpan.FromMilliseconds(20);
        o.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
        o.VisitorIdSecret = "reliability-tests-secret";
        o.SpoolDirectory = spool;
        o.BatchSize = 10;
    }

    private static void Track(ReliabilityApp app, int from, int count)
    {
        for (var i = from; i < from + count; i++)
        {
            Assert.True(app.Tracker.TrackEvent("c", "e" + i, userId: "u" + (i % 5)));
        }
    }

    [Fact]
    public async Task An_acknowledgement_that_cannot_be_written_stops_nothing_and_the_restored_batches_are_not_sent_again()
    {
        // Batches left by an earlier process, and their acknowledgement file made impossible to write: a directory where
        // it goes (which stops root as well as any user, unlike a chmod).
        var (earlier, _, _) = Open();
        earlier.Append(BatchOf("p", 3), 0);
        earlier.Append(BatchOf("q", 2), 0);
        earlier.Dispose();
        var segment = Assert.Single(Directory.GetFiles(_directory.Path, "*.spool"));
        Directory.CreateDirectory(Path.ChangeExtension(segment, ".acks"));

        await using var matomo = await StandInMatomo.StartAsync();
        await matomo.GoDownAsync();
        var app = await ReliabilityApp.StartAsync(o => Fast(o, matomo, _directory.Path));
        var health = HealthOf(app);
        Assert.Equal(5, app.Metrics.Restored);
        Track(app, 0, 100);
        await matomo.ComeBackAsync();

        await Eventually.HoldsAsync(() => app.Metrics.Sent == 105 && app.Metrics.Spooled == 0, () => app.Accounting);
        Assert.True(app.Balanced, app.Accounting);
        Assert.Equal(0, app.Metrics.Dropped);
        Assert.True(app.Sender.Spool!.Faults > 0);
        Assert.Equal(1, app.LogCount(1204)); // rate-limited: one line, however many acknowledgements failed
        Assert.Equal(HealthStatus.Degraded, await CheckAsync(health));
        // The last restored batch's acknowledgement lets the other lanes send before its lane deletes the finished segment,
        // so those lanes may deliver every new event while the file is still there: the deletion is waited for.
        await Eventually.HoldsAsync(() => !File.Exists(segment), () => "the finished segment was not deleted");
        await app.StopAsync();

        // The next start finds nothing to send again.
        await using var next = await ReliabilityApp.StartAsync(o => Fast(o, matomo, _directory.Path));
        Assert.Equal(0, next.Metrics.Restored);
        Delivered.AssertNoDuplicates(matomo);
        Assert.Equal(105, matomo.Tracked.Count);
    }

    [Fact]
    public async Task When_no_segment_file_can_be_created_batches_are_sent_from_memory_in_order_and_the_health_check_says_so()
    {
        // Every name the spool would give its next segment files is taken by a directory: each append fails, for root too.
        for (var sequence = 1; sequence <= 500; sequence++)
        {
            Directory.CreateDirectory(Path.Combine(_directory.Path, sequence.ToString("D12") + ".spool"));
        }

        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await ReliabilityApp.StartAsync(o => Fast(o, matomo, _directory.Path));
        var health = HealthOf(app);
        Track(app, 0, 200);

        await Eventually.HoldsAsync(() => app.Metrics.Sent == 200, () => app.Accounting);
        Assert.True(app.Balanced, app.Accounting);
        Assert.Equal(0, app.Metrics.Dropped);
        Assert.Equal(0, app.Metrics.Spooled);
        Assert.True(app.Sender.Spool!.Faults >= 20, "faults: " + app.Sender.Spool.Faults); // one per batch of 10
        Assert.Equal(1, app.LogCount(1204));
        Assert.Equal(HealthStatus.Degraded, await CheckAsync(health));
        Assert.Equal(HealthStatus.Healthy, await CheckAsync(health)); // no new fault since: healthy again
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
    }

    [Fact]
    public async Task Batches_kept_in_memory_that_Matomo_did_not_take_by_the_shutdown_deadline_are_counted()
    {
        for (var sequence = 1; sequence <= 500; sequence++)
        {
            Directory.CreateDirectory(Path.Combine(_directory.Path, sequence.ToString("D12") + ".spool"));
        }

        await using var matomo = await StandInMatomo.StartAsync();
        await matomo.GoDownAsync();
        var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo, _directory.Path);
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(300);
        });
        Track(app, 0, 100);
        await Eventually.HoldsAsync(() => app.Sender.Spool!.Faults > 0, () => app.Accounting);
        await app.StopAsync();

        // Memory stays bounded: what the lanes could not hold waited in the queue or was refused, and all of it is counted.
        Assert.True(app.Balanced, app.Accounting);
        Assert.Equal(100, app.Metrics.Dropped);
        Assert.True(app.Metrics.DroppedFor(DropReason.ShutdownDeadline) > 0, app.Accounting);
        Assert.Equal(0, app.Metrics.Spooled);
    }

    [Fact]
    public async Task A_batch_given_back_is_the_next_its_lane_takes()
    {
        var (spool, _, _) = Open();
        spool.Append(BatchOf("a", 2), 0);
        spool.Append(BatchOf("b", 2), 0);
        var batch = new Batch();
        var first = await spool.TakeAsync(0, batch, CancellationToken.None);
        spool.Release(first!);

        var again = await spool.TakeAsync(0, batch, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Same(first, again);
        Assert.StartsWith("?idsite=1&rec=1&e_a=a0", System.Text.Encoding.ASCII.GetString(batch.Entry(0)), StringComparison.Ordinal);
        spool.Commit(again!, 2);
        var second = await spool.TakeAsync(0, batch, CancellationToken.None);
        Assert.NotSame(first, second);
        spool.Commit(second!, 2);
        Assert.Equal(0, spool.PendingRecords);
        spool.Dispose();
    }

    /// <summary>An fsync that throws as a failing disk's does (EIO) on the calls <paramref name="fails"/> says.</summary>
    private static Action<Microsoft.Win32.SafeHandles.SafeFileHandle> FailingFsync(Func<int, bool> fails)
    {
        var calls = 0;
        return handle =>
        {
            if (fails(Interlocked.Increment(ref calls)))
            {
                throw new IOException("Input/output error (injected)");
            }

            RandomAccess.FlushToDisk(handle);
        };
    }

    [Fact]
    public async Task A_batch_whose_fsync_failed_is_taken_from_memory_in_its_place_and_the_next_goes_to_a_new_file()
    {
        var (spool, metrics, _) = Open();
        Assert.True(spool.Append(BatchOf("a", 2), 0));
        var file = Assert.Single(Directory.GetFiles(_directory.Path, "*.spool"));
        spool.FlushRecords = FailingFsync(call => call == 1);
        Assert.True(spool.Append(BatchOf("b", 2), 0)); // kept, in memory: its bytes may not be on the disk
        Assert.Equal(1, spool.Faults);
        Assert.Equal(2, metrics.Spooled); // only a is on the disk's books

        var batch = new Batch();
        var a = await spool.TakeAsync(0, batch, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["a0", "a1"], SpoolEntries.Actions(batch));
        spool.Commit(a!, 2);
        var b = await spool.TakeAsync(0, batch, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["b0", "b1"], SpoolEntries.Actions(batch));
        Assert.Null(b!.Segment);
        spool.Commit(b, 2);

        Assert.True(spool.Append(BatchOf("c", 2), 0)); // the file whose fsync failed is not written again
        var c = await spool.TakeAsync(0, batch, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["c0", "c1"], SpoolEntries.Actions(batch));
        Assert.NotEqual(file, c!.Segment!.Path);
        spool.Commit(c, 2);
        Assert.Equal(0, metrics.Spooled);
        Assert.Equal(1, _logs.Entries.Count(e => e.Id.Id == 1204));
        spool.Dispose();
    }

    [Fact]
    public async Task A_batch_whose_fsync_failed_is_not_replayed_by_the_next_process()
    {
        // The failed fsync's bytes were written (pwrite) and the page cache may well put them on the disk after all:
        // the batch is delivered (or counted dropped) from memory by this process, so the next must not send it too.
        var (spool, _, _) = Open();
        Assert.True(spool.Append(BatchOf("a", 2), 0));
        spool.FlushRecords = FailingFsync(call => call == 1);
        Assert.True(spool.Append(BatchOf("b", 3), 0));
        spool.Dispose();

        var (next, metrics, _) = Open();
        Assert.Equal(2, metrics.Restored);
        var batch = new Batch();
        var record = await next.TakeAsync(0, batch, CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5));
        Assert.Equal(["a0", "a1"], SpoolEntries.Actions(batch));
        next.Commit(record!, 2);
        Assert.Equal(0, next.PendingRecords);
        next.Dispose();
    }

    [Fact]
    public async Task Fsyncs_that_fail_every_other_time_lose_nothing_send_nothing_twice_and_keep_each_visitor_in_order()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await ReliabilityApp.StartAsync(o => Fast(o, matomo, _directory.Path));
        app.Sender.Spool!.FlushRecords = FailingFsync(call => call % 2 == 1);
        Track(app, 0, 300);

        // A batch on disk is counted as sent before its acknowledgement takes it out of the spooled count: both are waited for.
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 300 && app.Metrics.Spooled == 0, () => app.Accounting);
        Assert.True(app.Balanced, app.Accounting);
        Assert.Equal(0, app.Metrics.Dropped);
        Assert.Equal(0, app.Metrics.Spooled);
        Assert.True(app.Sender.Spool.Faults > 0, "no fsync failed");
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
        Assert.Equal(300, matomo.Tracked.Count);
    }

    [Fact]
    public async Task Acknowledgements_whose_fsync_fails_are_counted_and_stop_nothing()
    {
        // Acknowledgements reach the disk on a timer: a failure there must neither crash the app nor hold a batch back.
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await ReliabilityApp.StartAsync(o => Fast(o, matomo, _directory.Path));
        var health = HealthOf(app);
        app.Sender.Spool!.FlushAcknowledgements = FailingFsync(_ => true);
        Track(app, 0, 200);

        // A batch on disk is counted as sent before its acknowledgement takes it out of the spooled count: both are waited for.
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 200 && app.Metrics.Spooled == 0 && app.Sender.Spool.Faults > 0, () => app.Accounting + " faults " + app.Sender.Spool.Faults);
        Assert.True(app.Balanced, app.Accounting);
        Assert.Equal(0, app.Metrics.Dropped);
        Assert.Equal(0, app.Metrics.Spooled);
        Assert.Equal(HealthStatus.Degraded, await CheckAsync(health));
        Delivered.AssertNoDuplicates(matomo);
        Assert.Equal(200, matomo.Tracked.Count);
    }
}
