using Piwik.Diagnostics;
using Piwik.Testing;
using static Piwik.Reliability.Tests.FaultInjectionTests;

namespace Piwik.Reliability.Tests;

/// <summary>Outages, slow answers and restarts: nothing lost, no copy beyond the documented bound.</summary>
public class OutageTests
{
    [Fact]
    public async Task A_burst_of_500s_on_every_request_drops_nothing_as_poison()
    {
        using var spool = new TempDirectory();
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EveryRequest = () => new Fault(StatusCode: 500); // a database down: Matomo fails every batch
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.SpoolDirectory = spool.Path;
            o.BatchSize = 10;
            o.MaxConcurrentBatches = 2;
            o.MaxRetries = 2;
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(20);
        });
        Track(app, 40);
        await Eventually.HoldsAsync(() => app.Metrics.Retries >= 60, () => app.Accounting);
        matomo.EveryRequest = null; // the burst passes

        await Eventually.HoldsAsync(() => app.Metrics.Sent == 40 && app.Metrics.Spooled == 0, () => app.Accounting);
        Assert.Equal(0, app.Metrics.DroppedFor(DropReason.Poison));
        Assert.Equal(0, app.Metrics.Dropped);
        Assert.Equal(40, matomo.Tracked.Count);
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_Matomo_that_answers_just_after_the_timeout_stores_each_batch_at_most_twice()
    {
        // Matomo stores each batch, then answers 1.5 s later; the sender waits 1 s. The second send waits twice as
        // long, hears the answer, and the batch is confirmed.
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EveryRequest = () => new Fault(Delay: TimeSpan.FromSeconds(1.5), StoreThenDelay: true);
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 5;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
            o.RequestTimeout = TimeSpan.FromSeconds(1);
        });
        Track(app, 10);
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 10, () => app.Accounting);
        Assert.Equal(10, app.Metrics.Sent);
        var copies = matomo.Tracked.GroupBy(e => e["e_a"]).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(10, copies.Count);
        Assert.All(copies, c => Assert.InRange(c.Value, 1, 2));
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_Matomo_that_has_been_answering_slowly_is_waited_for_rather_than_sent_a_batch_twice()
    {
        // Matomo stores each batch and answers after 1 s, then (loaded) after 2.6 s; RequestTimeout is 2 s. Having
        // heard 1 s answers, the sender waits up to four times that (4 s, within 4 x RequestTimeout), so the slow
        // batches are heard once, not timed out and sent again. (With 0.8 s, a 3.2 s wait, a CI machine running the
        // whole suite on two cores once delivered a 2.6 s answer after more than 3.2 s.)
        // A first, fast round warms the app and the connection up, so that no first-request cost counts.
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 5;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
            o.RequestTimeout = TimeSpan.FromSeconds(2);
        });
        Track(app, 10, prefix: "warm");
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 10, () => app.Accounting);

        matomo.EveryRequest = () => new Fault(Delay: TimeSpan.FromSeconds(1), StoreThenDelay: true);
        Track(app, 10, prefix: "slow");
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 20, () => app.Accounting);

        matomo.EveryRequest = () => new Fault(Delay: TimeSpan.FromSeconds(2.6), StoreThenDelay: true);
        Track(app, 10, prefix: "slower");
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 30, () => app.Accounting);
        Assert.Equal(30, app.Metrics.Sent);
        Assert.Equal(0, app.Metrics.Ambiguous);
        Assert.Equal(30, matomo.Tracked.Count);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Requests_that_queue_inside_a_busy_Matomo_are_waited_for_not_sent_twice()
    {
        // One PHP worker, 300 ms a batch, eight batches sent at once (eight lanes, fixed): the last is answered after
        // 2.4 s, each stored as it is answered. RequestTimeout is 1 s: the sender used to give up on the fourth to the
        // eighth while they waited their turn, and sent them again (Matomo stored them twice). It now waits a request's
        // timeout for each request allowed in flight (up to four).
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.Workers = 1;
        matomo.DelayPerEntry = TimeSpan.FromMilliseconds(60);
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 5;
            o.MaxConcurrentBatches = 8;
            o.AdaptiveConcurrency = false;
            o.FlushInterval = TimeSpan.FromHours(1);
            o.RequestTimeout = TimeSpan.FromSeconds(1);
        });

        // One visitor per lane, five events each: one full batch in each of the eight lanes at once.
        var users = LaneUsers.OnePerLane("reliability-tests-secret", 8);
        Assert.Equal(8, users.Count);
        foreach (var user in users)
        {
            for (var i = 0; i < 5; i++)
            {
                Assert.True(app.Tracker.TrackEvent("c", user + "-" + i, userId: user));
            }
        }

        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 40, () => app.Accounting);
        Assert.Equal(40, app.Metrics.Sent);
        Assert.Equal(0, app.Metrics.Ambiguous);
        Assert.Equal(8, matomo.BulkCalls.Count);
        Assert.Equal(40, matomo.Tracked.Count);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_Matomo_that_always_answers_too_late_stores_a_batch_at_most_three_times_then_it_is_given_up_and_counted()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EveryRequest = () => new Fault(Delay: TimeSpan.FromSeconds(6), StoreThenDelay: true);
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 5;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
            o.RequestTimeout = TimeSpan.FromMilliseconds(500);
        });
        Track(app, 5);
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 5, () => app.Accounting);
        Assert.Equal(5, app.Metrics.DroppedFor(DropReason.Unconfirmed));
        Assert.Equal(15, app.Metrics.Ambiguous);
        Assert.Equal(3, matomo.BulkCalls.Count);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_graceful_restart_under_load_with_a_healthy_Matomo_stores_no_event_twice()
    {
        // A slow but healthy Matomo (every request answered, after 30 ms per entry), a backlog in the spool, and a
        // graceful stop while batches are in flight: their outcome is known, so the next start sends none of them again.
        // The stop allows 3 s: a request of 300 ms still in flight at 1 s was cut off on a CI machine starved of CPU
        // (a cut-off request has an unknown outcome, so its batch is sent again: the at-least-once rule, not a bug).
        using var spool = new TempDirectory();
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.DelayPerEntry = TimeSpan.FromMilliseconds(30);
        void Configure(PiwikOptions o)
        {
            Fast(o, matomo);
            o.SpoolDirectory = spool.Path;
            o.BatchSize = 10;
            o.MaxConcurrentBatches = 2;
            o.ShutdownTimeout = TimeSpan.FromSeconds(3);
        }

        var first = await ReliabilityApp.StartAsync(Configure);
        Track(first, 400, visitors: 8);
        await matomo.WaitForCallsAsync(3, TimeSpan.FromSeconds(20));
        await first.StopAsync();
        await first.AssertBalancedAsync();
        Assert.True(first.Metrics.Spooled > 0, first.Accounting); // a backlog was left for the next start

        await using var second = await ReliabilityApp.StartAsync(Configure);
        await Eventually.HoldsAsync(() => second.Metrics.Spooled == 0 && second.Metrics.Accounted == second.Metrics.Restored, () => second.Accounting);
        var copies = matomo.Tracked.GroupBy(e => e["e_a"]).Where(g => g.Count() > 1).Select(g => g.Key + " x" + g.Count()).ToList();
        Assert.True(copies.Count == 0, "stored more than once: " + string.Join(", ", copies));
        Assert.Equal(400, matomo.Tracked.Count);
        Delivered.AssertOrderedPerVisitor(matomo);
        await second.AssertBalancedAsync();
    }
}
