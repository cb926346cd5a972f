using Piwik.Diagnostics;
using Piwik.Testing;

namespace Piwik.Reliability.Tests;

/// <summary>The sender against the stand-in Matomo with injected faults: exact accounting, order, no duplicates.</summary>
public class FaultInjectionTests
{
    internal const string Token = "0123456789abcdef0123456789abcdef";
    internal const string WrongToken = "ffffffffffffffffffffffffffffffff";

    internal static void Fast(PiwikOptions o, StandInMatomo matomo)
    {
        o.Url = matomo.BaseUrl;
        o.FlushInterval = TimeSpan.FromMilliseconds(20);
        o.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
        o.VisitorIdSecret = "reliability-tests-secret";
    }

    internal static void Track(ReliabilityApp app, int count, int visitors = 5, string prefix = "e")
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(app.Tracker.TrackEvent("c", prefix + i, userId: "u" + (i % visitors)));
        }
    }

    [Fact]
    public async Task Matomo_down_then_back_with_the_spool_delivers_everything_once_in_order()
    {
        using var spool = new TempDirectory();
        await using var matomo = await StandInMatomo.StartAsync();
        await matomo.GoDownAsync(); // connection refused
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.SpoolDirectory = spool.Path;
            o.BatchSize = 10;
            o.MaxRetries = 1; // without the spool this would drop after one retry
        });
        Track(app, 300);

        // Everything is on disk while Matomo is unreachable; nothing is dropped, memory holds no backlog.
        await Eventually.HoldsAsync(() => app.Metrics.Spooled == 300, () => app.Accounting);
        await app.AssertBalancedAsync();
        Assert.Equal(0, app.Metrics.Dropped);
        await Eventually.HoldsAsync(() => app.Metrics.Retries > 2, () => "no retries while Matomo was down");

        await matomo.ComeBackAsync();
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 300 && app.Metrics.Spooled == 0, () => app.Accounting);
        await app.AssertBalancedAsync();
        Assert.Equal(300, matomo.Tracked.Count);
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
        await Eventually.HoldsAsync(() => app.Sender.Spool!.PendingRecords == 0, () => $"{app.Sender.Spool!.PendingRecords} batches pending");
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Matomo_down_without_the_spool_drops_after_the_retry_budget_and_counts_it()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await matomo.GoDownAsync();
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 10;
            o.MaxRetries = 2;
        });
        Track(app, 30);
        await Eventually.HoldsAsync(() => app.Metrics.DroppedFor(DropReason.RetriesExhausted) == 30, () => app.Accounting);
        await matomo.ComeBackAsync();
        Track(app, 10, prefix: "after");
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 10, () => app.Accounting);
        await app.AssertBalancedAsync();
        Assert.Equal(10, matomo.Tracked.Count);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_connection_reset_mid_body_is_retried_and_delivered_once()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EnqueueFault(new Fault(ResetMidBody: true));
        matomo.EnqueueFault(new Fault(ResetMidBody: true));
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 20;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1); // batches cut by size only: a known number of requests
        });
        Track(app, 40);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 40, () => app.Accounting);
        await app.AssertBalancedAsync();
        Assert.Equal(40, matomo.Tracked.Count);
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
        Assert.Equal(2, app.Metrics.Retries);
        await app.AssertBalancedAsync();
    }

    [Theory]
    [InlineData(DeliveryGuarantee.AtLeastOnce)]
    [InlineData(DeliveryGuarantee.AtMostOnce)]
    public async Task A_reset_after_the_body_was_sent_follows_the_delivery_guarantee(DeliveryGuarantee guarantee)
    {
        // The stand-in drops the connection after reading the body and before storing it: the outcome is unknown to the sender.
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EnqueueFault(new Fault(ResetConnection: true));
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 10;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1); // batches cut by size only: a known number of requests
            o.DeliveryGuarantee = guarantee;
        });
        Track(app, 10);
        Track(app, 10, prefix: "next");
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 20, () => app.Accounting);
        await app.AssertBalancedAsync();
        Assert.Equal(10, app.Metrics.Ambiguous);
        if (guarantee == DeliveryGuarantee.AtLeastOnce)
        {
            Assert.Equal(20, app.Metrics.Sent);
            Assert.Equal(20, matomo.Tracked.Count);
        }
        else
        {
            Assert.Equal(10, app.Metrics.DroppedFor(DropReason.Unconfirmed));
            Assert.Equal(10, matomo.Tracked.Count);
            Assert.All(matomo.Tracked, e => Assert.StartsWith("next", e["e_a"], StringComparison.Ordinal));
        }

        Assert.Equal(1, app.LogCount(1014));
        await app.AssertBalancedAsync();
    }

    [Theory]
    [InlineData(DeliveryGuarantee.AtLeastOnce)]
    [InlineData(DeliveryGuarantee.AtMostOnce)]
    public async Task A_slow_answer_beyond_the_timeout_is_ambiguous(DeliveryGuarantee guarantee)
    {
        // Matomo stores the batch but answers after the sender's timeout. At least once: sent again, so Matomo holds it
        // twice (it cannot de-duplicate) while the sender counts it once. At most once: not sent again.
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EnqueueFault(new Fault(Delay: TimeSpan.FromSeconds(3)));
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 5;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1); // batches cut by size only: a known number of requests
            o.RequestTimeout = TimeSpan.FromSeconds(1); // room for a cold first request to arrive whole
            o.DeliveryGuarantee = guarantee;
        });
        Track(app, 5);
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 5, () => app.Accounting);
        Assert.Equal(5, app.Metrics.Ambiguous);
        if (guarantee == DeliveryGuarantee.AtLeastOnce)
        {
            await matomo.WaitForTrackedAsync(10, TimeSpan.FromSeconds(10));
            Assert.Equal(5, app.Metrics.Sent);
            Assert.Equal(2, matomo.BulkCalls.Count);
        }
        else
        {
            Assert.Equal(5, app.Metrics.DroppedFor(DropReason.Unconfirmed));
            await Task.Delay(500); // a resend would follow at once (MaxRetryDelay 200 ms): give it the chance to show
            Assert.InRange(matomo.BulkCalls.Count, 0, 1); // the cut-off request may not even have arrived whole
            Assert.InRange(matomo.Tracked.Count, 0, 5);
        }

        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_503_with_retry_after_is_retried_and_delivered_once()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EnqueueFault(new Fault(StatusCode: 503, RetryAfter: TimeSpan.FromSeconds(1)));
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 10;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1); // batches cut by size only: a known number of requests
            o.MaxRetryDelay = TimeSpan.FromSeconds(2);
        });
        Track(app, 10);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 10, () => app.Accounting);
        Assert.Equal(1, app.Metrics.Retries);
        Assert.Equal(2, matomo.BulkCalls.Count);
        Assert.Equal(0, app.Metrics.Ambiguous);
        Delivered.AssertNoDuplicates(matomo);
        await app.AssertBalancedAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_poison_entry_is_isolated_dead_lettered_once_and_the_rest_delivered_in_order(bool withSpool)
    {
        using var spool = new TempDirectory();
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.PoisonEntry = e => e.Get("e_a") == "e13";
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 40;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
            o.SpoolDirectory = withSpool ? spool.Path : null;
        });
        Track(app, 40, visitors: 3);
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 40 && app.Metrics.Spooled == 0, () => app.Accounting);
        Assert.Equal(39, app.Metrics.Sent);
        Assert.Equal(1, app.Metrics.DroppedFor(DropReason.Poison));
        Assert.Equal(0, app.Metrics.DroppedFor(DropReason.RetriesExhausted));
        await app.AssertBalancedAsync();
        Assert.DoesNotContain(matomo.Tracked, e => e["e_a"] == "e13");
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
        await Eventually.HoldsAsync(() => app.Logs.Entries.Any(e => e.Id.Id == 1220), () => app.Logs.AllText); // counted, then logged
        var log = Assert.Single(app.Logs.Entries, e => e.Id.Id == 1220);
        Assert.Contains("entry 13 of a batch of 40", log.Message, StringComparison.Ordinal);
        Assert.Contains("poison entry", log.Message, StringComparison.Ordinal); // Matomo's message
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_500_during_an_outage_is_not_taken_for_poison_when_it_passes()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        for (var i = 0; i < 4; i++)
        {
            matomo.EnqueueFault(new Fault(StatusCode: 500));
        }

        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 8;
            o.MaxConcurrentBatches = 1;
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
        });
        Track(app, 8);
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 8, () => app.Accounting);
        Assert.Equal(8, app.Metrics.Sent);
        Assert.Equal(0, app.Metrics.Dropped);
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_wrong_token_costs_at_most_two_failed_logins_and_is_then_left_out()
    {
        await using var matomo = await StandInMatomo.StartAsync(tokenAuth: WrongToken);
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.TokenAuth = Token;
            o.BatchSize = 4;
            o.MaxConcurrentBatches = 3;
        });
        var requests = Enumerable.Range(0, 40).Select(i => app.Client.GetAsync($"/track?a=e{i}")).ToArray(); // each with cip
        foreach (var response in await Task.WhenAll(requests))
        {
            response.EnsureSuccessStatusCode();
        }

        Track(app, 10, prefix: "detached"); // no cip: never needs the token
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 50, () => app.Accounting);
        Assert.True(app.Sender.TokenRejected);
        Assert.InRange(matomo.FailedAuthentications, 1, 2);
        Assert.Equal(1, app.LogCount(1012));
        await app.AssertBalancedAsync();
        Assert.Equal(app.Metrics.Rejected, matomo.Invalid.Count);
        Assert.All(matomo.Invalid, i => Assert.Equal("cip requires a valid token_auth", i.Reason));
        Assert.InRange(app.Metrics.Rejected, 1, 8); // only the entries of the requests that carried the token
        Assert.Equal(50, app.Metrics.Sent + app.Metrics.Rejected);
        // Every request that carried the token was one of those failed logins: none carried it once it was refused. (Not
        // "none after the first request without it": the detached events need no token and take another lane, which
        // may send them while the token's lane still waits for its second answer.)
        Assert.Equal(matomo.FailedAuthentications, matomo.BulkCalls.Count(c => c.Body.Contains("token_auth", StringComparison.Ordinal)));
        Assert.DoesNotContain(Token, app.Logs.AllText, StringComparison.Ordinal);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_401_to_the_token_stops_it_and_the_batch_goes_again_without_cip()
    {
        await using var matomo = await StandInMatomo.StartAsync(tokenAuth: Token);
        matomo.EnqueueFault(new Fault(StatusCode: 401));
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.TokenAuth = Token;
            o.BatchSize = 5;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
        });
        for (var i = 0; i < 5; i++)
        {
            (await app.Client.GetAsync($"/track?a=e{i}")).EnsureSuccessStatusCode();
        }

        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 5, () => app.Accounting);
        Assert.Equal(5, app.Metrics.Sent);
        Assert.True(app.Sender.TokenRejected);
        Assert.All(matomo.Tracked, e => Assert.False(e.Has("cip")));
        Assert.Equal(2, matomo.BulkCalls.Count);
        Assert.DoesNotContain("token_auth", matomo.BulkCalls[1].Body, StringComparison.Ordinal);
        Assert.Equal(1, app.LogCount(1012));
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task An_accepted_token_keeps_cip_and_is_never_judged_refused()
    {
        await using var matomo = await StandInMatomo.StartAsync(tokenAuth: Token);
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.TokenAuth = Token;
            o.BatchSize = 5;
        });
        for (var i = 0; i < 20; i++)
        {
            (await app.Client.GetAsync($"/track?a=e{i}")).EnsureSuccessStatusCode();
        }

        await Eventually.HoldsAsync(() => app.Metrics.Sent == 20, () => app.Accounting);
        Assert.False(app.Sender.TokenRejected);
        Assert.All(matomo.Tracked, e => Assert.True(e.Has("cip")));
        Assert.Equal(0, matomo.FailedAuthentications);
        await app.AssertBalancedAsync();
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task Events_older_than_24_hours_replayed_from_the_spool_need_the_token(bool withToken)
    {
        // A first process spools events while Matomo is down and stops; the next starts more than 24 hours later.
        using var spool = new TempDirectory();
        await using var matomo = await StandInMatomo.StartAsync(tokenAuth: Token);
        await matomo.GoDownAsync();
        var time = new ShiftedTime { Offset = TimeSpan.FromHours(-25) };
        var first = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.SpoolDirectory = spool.Path;
            o.TokenAuth = withToken ? Token : null;
            o.BatchSize = 5;
        }, time);
        Track(first, 10);
        await Eventually.HoldsAsync(() => first.Metrics.Spooled == 10, () => first.Accounting);
        await first.StopAsync();
        Assert.Equal(10, first.Metrics.Spooled);
        await first.AssertBalancedAsync();

        await matomo.ComeBackAsync();
        await using var second = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.SpoolDirectory = spool.Path;
            o.TokenAuth = withToken ? Token : null;
        });
        Assert.Equal(10, second.Metrics.Restored);
        await Eventually.HoldsAsync(() => second.Metrics.Spooled == 0, () => second.Accounting);
        await second.AssertBalancedAsync();
        if (withToken)
        {
            Assert.Equal(10, second.Metrics.Sent);
            var recorded = time.GetUtcNow().ToUnixTimeSeconds();
            Assert.All(matomo.Tracked, e => Assert.InRange(long.Parse(e["cdt"]), recorded - 600, recorded)); // the true time, 25 hours ago
            Assert.Equal(0, matomo.FailedAuthentications);
        }
        else
        {
            Assert.Equal(10, second.Metrics.DroppedFor(DropReason.StaleWithoutToken));
            Assert.Empty(matomo.BulkCalls);
            Assert.Equal(1, second.LogCount(1015));
        }
        await second.AssertBalancedAsync();
    }

    [Fact]
    public async Task Batches_spooled_by_a_stopped_process_go_before_new_ones_per_visitor()
    {
        using var spool = new TempDirectory();
        await using var matomo = await StandInMatomo.StartAsync();
        await matomo.GoDownAsync();
        var first = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.SpoolDirectory = spool.Path;
            o.BatchSize = 7;
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(300);
        });
        Track(first, 100, visitors: 4);
        await first.StopAsync();
        Assert.Equal(0, first.Metrics.Dropped);
        Assert.Equal(100, first.Metrics.Spooled);
        Assert.Equal(0, first.LogCount(1020));
        Assert.Equal(1, first.LogCount(1222));

        await matomo.ComeBackAsync();
        await using var second = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.SpoolDirectory = spool.Path;
            o.BatchSize = 7;
            o.MaxConcurrentBatches = 3; // a different lane count than the first process
        });
        for (var i = 100; i < 150; i++)
        {
            second.Tracker.TrackEvent("c", "e" + i, userId: "u" + (i % 4));
        }

        await Eventually.HoldsAsync(() => second.Metrics.Sent == 150 && second.Metrics.Spooled == 0, () => second.Accounting);
        Assert.Equal(100, second.Metrics.Restored);
        await second.AssertBalancedAsync();
        Assert.Equal(1, second.LogCount(1200));
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
        Assert.Equal(150, matomo.Tracked.Count);
        await second.AssertBalancedAsync();
    }

    [Fact]
    public async Task Under_minutes_of_outage_memory_stays_bounded_and_every_drop_is_counted()
    {
        // A small queue and a small spool: the overflow is dropped and counted (queue_full, spool_full), never held.
        using var spool = new TempDirectory();
        await using var matomo = await StandInMatomo.StartAsync();
        await matomo.GoDownAsync();
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.SpoolDirectory = spool.Path;
            o.SpoolMaxBytes = 1024 * 1024;
            o.QueueCapacity = 500;
            o.BatchSize = 50;
        });
        var name = new string('x', 900);
        for (var round = 0; round < 40; round++)
        {
            for (var i = 0; i < 200; i++)
            {
                app.Tracker.TrackEvent("c", "e" + ((round * 200) + i), name, userId: "u" + (i % 5));
            }

            await Task.Delay(5);
        }

        await Eventually.HoldsAsync(() => app.Metrics.Accounted == app.Metrics.Enqueued, () => app.Accounting);
        await app.AssertBalancedAsync();
        Assert.True(app.Metrics.DroppedFor(DropReason.SpoolFull) > 0, app.Accounting);
        Assert.True(app.Sender.Spool!.FileBytes <= 1024 * 1024);
        var onDisk = Directory.EnumerateFiles(spool.Path, "*.spool").Sum(f => new FileInfo(f).Length);
        Assert.True(onDisk <= 1024 * 1024, $"{onDisk} bytes on disk");

        await matomo.ComeBackAsync();
        await Eventually.HoldsAsync(() => app.Metrics.Spooled == 0, () => app.Accounting);
        Assert.Equal(app.Metrics.Sent, matomo.Tracked.Count);
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
        await app.AssertBalancedAsync();
    }
}

internal sealed class TempDirectory : IDisposable
{
    public TempDirectory() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "piwik-reliability-" + Guid.NewGuid().ToString("N"));

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
        }
    }
}
