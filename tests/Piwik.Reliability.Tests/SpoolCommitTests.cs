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
}
