using Piwik.Testing;

namespace Piwik.Reliability.Tests;

/// <summary>How the sender's lanes commit batches to the spool: a group of batches per fsync, not one per batch.</summary>
public class SpoolCommitTests
{
    [Fact]
    public async Task A_backlog_of_batches_goes_to_disk_with_one_fsync_per_group_and_is_delivered_once_in_order()
    {
        using var spool = new TempDirectory();
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            FaultInjectionTests.Fast(o, matomo);
            o.SpoolDirectory = spool.Path;
            o.BatchSize = 10;
            o.MaxConcurrentBatches = 1; // one lane, so one appender sees every batch
        });

        // 20 full batches handed to the lane's appender within a few milliseconds: an fsync each was the spool's main
        // cost under load. The appender now waits (up to 100 ms, or until 16 batches wait) and writes them together.
        FaultInjectionTests.Track(app, 200, visitors: 1);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 200 && app.Metrics.Spooled == 0, () => app.Accounting);
        await app.AssertBalancedAsync();

        var spooled = app.Sender.Spool!;
        Assert.InRange(spooled.RecordSyncs, 1, 3); // 16 + 4 batches; before: 4 batches per fsync at most, 5 or more
        Assert.Equal(200, matomo.Tracked.Count);
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
        await Eventually.HoldsAsync(() => spooled.PendingRecords == 0, () => $"{spooled.PendingRecords} batches pending");
    }

    [Fact]
    public async Task A_lane_that_keeps_up_sends_what_it_just_spooled_without_reading_it_back_and_a_backlog_is_read_from_disk()
    {
        using var spool = new TempDirectory();
        await using var matomo = await StandInMatomo.StartAsync();
        await matomo.GoDownAsync();
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            FaultInjectionTests.Fast(o, matomo);
            o.SpoolDirectory = spool.Path;
            o.BatchSize = 10;
            o.MaxConcurrentBatches = 1;
        });
        var spooled = app.Sender.Spool!;

        // A backlog (Matomo down): ten batches on disk; only the lane's next few keep their batch in memory.
        FaultInjectionTests.Track(app, 100, visitors: 1, prefix: "backlog");
        await Eventually.HoldsAsync(() => app.Metrics.Spooled == 100, () => app.Accounting);
        await matomo.ComeBackAsync();
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 100 && app.Metrics.Spooled == 0, () => app.Accounting);
        Assert.InRange(spooled.ReadBack, 10 - Piwik.Spool.BatchSpool.ReadCacheDepth, 10);

        // Keeping up: each batch is still written and made durable first, then sent from memory.
        var readBack = spooled.ReadBack;
        var syncs = spooled.RecordSyncs;
        for (var batch = 0; batch < 5; batch++)
        {
            FaultInjectionTests.Track(app, 10, visitors: 1, prefix: "live" + batch + "_");
            var sent = 100 + (10 * (batch + 1));
            await Eventually.HoldsAsync(() => app.Metrics.Sent == sent && app.Metrics.Spooled == 0, () => app.Accounting);
        }

        Assert.Equal(readBack, spooled.ReadBack);
        Assert.True(spooled.RecordSyncs + spooled.CoveredAppends > syncs, "the live batches were not made durable");
        await app.AssertBalancedAsync();
        Assert.Equal(150, matomo.Tracked.Count);
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
    }
}
