using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Piwik.Capture;
using Piwik.Diagnostics;
using Piwik.Testing;

namespace Piwik.Runtime.Tests;

public class SenderTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    [Fact]
    public async Task Batches_are_cut_by_batch_size()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.BatchSize = 3;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1); // only size can trigger a send
        });
        for (var i = 0; i < 6; i++)
        {
            Assert.True(app.Tracker.TrackEvent("c", "a" + i));
        }

        await matomo.WaitForTrackedAsync(6, Wait);
        Assert.Equal([3, 3], matomo.BulkCalls.Select(c => c.EntryCount));
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task An_idle_sender_wakes_up_not_at_all_and_a_busy_one_about_once_per_batch()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.BatchSize = 10;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromSeconds(2); // batches cut by size, but for a last partial one once batches grew
        });
        var sender = app.App.Services.GetRequiredService<Piwik.Sending.PiwikSender>();

        // Idle: a polling reader would wake about ten times in this second; the signal wakes nobody.
        var idle = sender.WakeUps;
        await Task.Delay(TimeSpan.FromSeconds(1));
        Assert.Equal(idle, sender.WakeUps);

        // Busy: 100 events, ten batches, each cut when a batch's worth is queued.
        for (var i = 0; i < 100; i++)
        {
            Assert.True(app.Tracker.TrackEvent("c", "e" + i));
        }

        await Eventually.HoldsAsync(() => app.Metrics.Sent == 100, () => $"sent {app.Metrics.Sent}, batches {string.Join(",", matomo.BulkCalls.Select(c => c.EntryCount))}");
        Assert.InRange(sender.WakeUps - idle, 1, 20);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task With_events_spread_over_eight_lanes_the_sender_wakes_a_few_times_per_batch_not_every_few_events()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.BatchSize = 100;
            o.MaxConcurrentBatches = 8;
            o.FlushInterval = TimeSpan.FromHours(1); // batches cut by size only: no flush timer
        });
        var sender = app.App.Services.GetRequiredService<Piwik.Sending.PiwikSender>();
        var before = sender.WakeUps;

        // 1,600 events of 16 signed-in visitors in turn, ten at a time, as a steady stream arrives: sixteen batches
        // of 100 over the lanes (too slow to grow). Waiting for the nearest lane's missing events, as if they all went
        // to it, woke the loop at almost every step once a lane neared full (70-90 wakes in a model of this run).
        for (var step = 0; step < 160; step++)
        {
            for (var i = 0; i < 10; i++)
            {
                var n = (step * 10) + i;
                Assert.True(app.Tracker.TrackEvent("c", "e" + n, userId: "visitor-" + (n % 16)));
            }

            await Task.Delay(15);
        }

        // Each visitor sends 100 events, so every lane's share is whole batches: all are sent without a timer.
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 1_600, () => $"sent {app.Metrics.Sent}");
        Assert.InRange(sender.WakeUps - before, 1, 40);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_partial_batch_is_sent_after_the_flush_interval()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.BatchSize = 100;
            o.FlushInterval = TimeSpan.FromMilliseconds(300);
        });
        app.Tracker.TrackEvent("c", "one");
        app.Tracker.TrackEvent("c", "two");
        var entries = await matomo.WaitForTrackedAsync(2, Wait);
        Assert.Equal(["one", "two"], entries.Select(e => e["e_a"]));
        Assert.Equal(2, matomo.BulkCalls.Sum(c => c.EntryCount));
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Retryable_failures_are_retried_honouring_retry_after_and_keep_order()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EnqueueFault(new Fault(StatusCode: 503, RetryAfter: TimeSpan.FromSeconds(1)));
        matomo.EnqueueFault(new Fault(StatusCode: 500));
        matomo.EnqueueFault(new Fault(ResetConnection: true));
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.BatchSize = 2;
            o.MaxConcurrentBatches = 1;
            // Batches cut by size only: the first is e0 and e1, whose third send is the reset. With a 50 ms flush timer, a
            // test thread held up between e0 and e1 on a loaded machine could send e0 alone (one ambiguous event, not two).
            o.FlushInterval = TimeSpan.FromHours(1);
            o.MaxRetryDelay = TimeSpan.FromSeconds(2);
        });
        var started = DateTime.UtcNow;
        for (var i = 0; i < 6; i++)
        {
            app.Tracker.TrackEvent("c", "e" + i, userId: "same-visitor");
        }

        var entries = await matomo.WaitForTrackedAsync(6, Wait);
        Assert.Equal(Enumerable.Range(0, 6).Select(i => "e" + i), entries.Select(e => e["e_a"]));
        Assert.True(DateTime.UtcNow - started >= TimeSpan.FromSeconds(1), "Retry-After: 1 was not honoured");
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 6);
        Assert.Equal(3, app.Metrics.Retries);
        Assert.Equal(2, app.Metrics.Ambiguous); // the reset came after the body was sent: a batch of 2 with an unknown outcome, sent again
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_400_is_not_retried_and_its_entries_count_as_rejected()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EnqueueFault(new Fault(StatusCode: 400));
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.BatchSize = 2;
            o.MaxConcurrentBatches = 1;
            // The timer sends "third" alone; it must not send "first" alone too, should the test thread be held up between
            // "first" and "second" on a loaded machine (50 ms was a window such a pause can overrun).
            o.FlushInterval = TimeSpan.FromSeconds(1);
        });
        app.Tracker.TrackEvent("c", "first");
        app.Tracker.TrackEvent("c", "second");
        app.Tracker.TrackEvent("c", "third");
        var entry = Assert.Single(await matomo.WaitForTrackedAsync(1, Wait));
        Assert.Equal("third", entry["e_a"]);
        await Eventually.HoldsAsync(() => app.Metrics.Rejected == 2 && app.Metrics.Sent == 1);
        Assert.Equal(0, app.Metrics.Retries);
        Assert.Equal(2, matomo.BulkCalls.Count);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Invalid_entries_are_counted_as_rejected_and_the_rest_as_sent()
    {
        // Site 1 exists for the stand-in; a cip without a valid token is invalid in Matomo.
        const string token = "0123456789abcdef0123456789abcdef";
        await using var matomo = await StandInMatomo.StartAsync(tokenAuth: "ffffffffffffffffffffffffffffffff");
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.TokenAuth = token; // wrong for this Matomo
            o.BatchSize = 2;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
        });
        (await app.Client.GetAsync("/track?a=with-ip")).EnsureSuccessStatusCode(); // has an IP → cip
        app.Tracker.TrackEvent("c", "no-ip");                                         // no request → no cip
        var entry = Assert.Single(await matomo.WaitForTrackedAsync(1, Wait));
        Assert.Equal("no-ip", entry["e_a"]);
        await Eventually.HoldsAsync(() => app.Metrics.Rejected == 1 && app.Metrics.Sent == 1);
        // The sender counts the rejection, then logs it: wait for the warning rather than race it.
        await Eventually.HoldsAsync(() => app.Logs.Entries.Any(e => e.Id.Id == 1010), () => app.Logs.AllText);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Shutdown_sends_everything_still_queued()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.BatchSize = 100;
            o.FlushInterval = TimeSpan.FromHours(1);
        });
        for (var i = 0; i < 250; i++)
        {
            app.Tracker.TrackEvent("c", "e" + i, userId: "u" + (i % 7));
        }

        await app.DisposeAsync(); // StopAsync: graceful shutdown
        Assert.Equal(250, matomo.Tracked.Count);
        Assert.Equal(250, app.Metrics.Sent);
        Assert.Equal(0, app.Metrics.Dropped);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_tracked_request_in_flight_when_the_app_stops_is_recorded_and_delivered()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var app = await TestApp.StartAsync(
            o => { o.Url = matomo.BaseUrl; o.FlushInterval = TimeSpan.FromHours(1); },
            map: a =>
            {
                a.MapPost("/slow", [TrackAs("slow", Category = "c")] async () =>
                {
                    entered.TrySetResult();
                    await release.Task;
                    return Results.Ok();
                });
                a.UsePiwikTracking();
            });

        using var client = new HttpClient { BaseAddress = app.Client.BaseAddress };
        var response = client.PostAsync("/slow", null);
        await entered.Task;
        var stopping = app.App.StopAsync(); // graceful: the server waits for the request in flight
        await Task.Delay(300); // the host's stop is under way (the sender's included) before the request ends
        release.SetResult();
        Assert.Equal(HttpStatusCode.OK, (await response).StatusCode);
        await stopping;

        Assert.Equal(["c/slow"], matomo.Tracked.Select(e => e["e_c"] + "/" + e["e_a"]));
        Assert.Equal(0, app.Metrics.Dropped);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Shutdown_gives_up_at_its_own_deadline_and_counts_the_loss()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var app = await TestApp.StartAsync(o =>
        {
            o.Url = "http://127.0.0.1:9/"; // discard port: connection refused
            o.BatchSize = 10;
            o.FlushInterval = TimeSpan.FromHours(1);
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(500);
        });
        for (var i = 0; i < 25; i++)
        {
            app.Tracker.TrackEvent("c", "e" + i);
        }

        var stopping = DateTime.UtcNow;
        await app.DisposeAsync();
        Assert.True(DateTime.UtcNow - stopping < TimeSpan.FromSeconds(5), "shutdown waited past its deadline");
        Assert.Equal(25, app.Metrics.DroppedFor(DropReason.ShutdownDeadline));
        Assert.Single(app.Logs.Entries, e => e.Id.Id == 1020);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Retry_budget_exhaustion_drops_and_counts()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            matomo.EnqueueFault(new Fault(StatusCode: 502));
        }

        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.MaxRetries = 2;
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
        });
        app.Tracker.TrackEvent("c", "lost");
        await Eventually.HoldsAsync(() => app.Metrics.DroppedFor(DropReason.RetriesExhausted) == 1);
        Assert.Equal(3, matomo.BulkCalls.Count);
        Assert.Equal(2, app.Metrics.Retries);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public void A_full_queue_drops_counts_by_reason_and_warns_once()
    {
        var options = Options.Create(new PiwikOptions { QueueCapacity = 5 });
        using var metrics = new PiwikMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var logs = new LogCapture();
        var queue = new EventQueue(options, metrics, new Microsoft.Extensions.Logging.Logger<EventQueue>(new Microsoft.Extensions.Logging.LoggerFactory([logs])), TimeProvider.System);
        var accepted = 0;
        for (var i = 0; i < 12; i++)
        {
            accepted += queue.TryEnqueue(EncodingTests.Event()) ? 1 : 0;
        }

        Assert.Equal(5, accepted);
        Assert.Equal(12, metrics.Enqueued);
        Assert.Equal(7, metrics.DroppedFor(DropReason.QueueFull));
        Assert.Single(logs.Entries, e => e.Id.Id == 1001);

        queue.Close();
        Assert.False(queue.TryEnqueue(EncodingTests.Event()));
        Assert.Equal(1, metrics.DroppedFor(DropReason.ShuttingDown));
    }

    [Fact]
    public async Task The_request_path_never_throws_even_when_capture_fails()
    {
        await using var app = await TestApp.StartAsync(o => o.FlushInterval = TimeSpan.FromMilliseconds(50));
        var recorder = app.App.Services.GetRequiredService<RequestRecorder>();
        Assert.False(recorder.TryRecord(BrokenContext(), TrackedEventKind.Event, "c", "a", default, default));
        Assert.Equal(1, app.Metrics.DroppedFor(DropReason.CaptureFailed));
        Assert.Equal(1, app.Metrics.Enqueued); // recorded, then dropped: the identity holds for capture_failed too
        await app.AssertBalancedAsync();
    }

    /// <summary>A request whose connection throws when read: capturing it fails.</summary>
    internal static Microsoft.AspNetCore.Http.HttpContext BrokenContext()
    {
        var context = new Microsoft.AspNetCore.Http.DefaultHttpContext();
        context.Features.Set<Microsoft.AspNetCore.Http.Features.IHttpConnectionFeature>(new ThrowingConnection());
        return context;
    }

    private sealed class ThrowingConnection : Microsoft.AspNetCore.Http.Features.IHttpConnectionFeature
    {
        public string ConnectionId { get; set; } = "x";

        public IPAddress? RemoteIpAddress { get => throw new InvalidOperationException("broken"); set { } }

        public IPAddress? LocalIpAddress { get; set; }

        public int RemotePort { get; set; }

        public int LocalPort { get; set; }
    }
}
