using Piwik.Testing;

namespace Piwik.Runtime.Tests;

/// <summary>
/// Batches that grow under sustained traffic (the fixed cost of a batch was most of what tracking cost a busy app), but
/// never beyond what Matomo answers well within the request timeout, and back to the batch size when traffic is light.
/// </summary>
public class BatchGrowthTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    [Fact]
    public async Task Batches_grow_under_sustained_traffic_up_to_a_thousand_events_and_are_the_batch_size_again_when_traffic_is_light()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.BatchSize = 10;
            o.MaxConcurrentBatches = 1;
            // The light phase's 5 and 10 events must each be tracked within one flush interval, or the timer splits them
            // (a loaded machine can hold the test thread up for 200 ms): a second gives that room.
            o.FlushInterval = TimeSpan.FromSeconds(1);
        });

        Track(app, "warm", 10); // one batch, answered: Matomo's time per entry is known from here on
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 10, () => app.Accounting);

        Track(app, "burst", 4000);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 4010, () => app.Accounting, Wait);
        var burst = matomo.BulkCalls.Skip(1).Select(c => c.EntryCount).ToList();
        Assert.InRange(burst.Max(), 11, 1000);
        Assert.True(burst.Count < 400 / 2, $"{burst.Count} requests for 4000 events: batches did not grow");

        // Light traffic: a partial batch goes with the flush timer, and the next full batch is the batch size again.
        Track(app, "light", 5);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 4015, () => app.Accounting);
        Track(app, "again", 10);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 4025, () => app.Accounting);
        Assert.Equal([5, 10], matomo.BulkCalls.TakeLast(2).Select(c => c.EntryCount));

        Assert.Equal(4025, matomo.Tracked.Select(e => e["e_a"]).Distinct().Count());
        Assert.Equal(4025, matomo.Tracked.Count);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_Matomo_slow_per_entry_keeps_batches_at_the_batch_size()
    {
        // 30 ms an entry: a batch answered within a quarter of a second holds 8 events, fewer than the batch size, so
        // batches never grow, however fast they fill.
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.DelayPerEntry = TimeSpan.FromMilliseconds(30);
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.BatchSize = 10;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
        });

        Track(app, "warm", 10);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 10, () => app.Accounting);
        Track(app, "burst", 60);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 70, () => app.Accounting, Wait);

        Assert.All(matomo.BulkCalls, c => Assert.Equal(10, c.EntryCount));
        await app.AssertBalancedAsync();
    }

    private static void Track(TestApp app, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(app.Tracker.TrackEvent("c", prefix + i));
        }
    }
}
