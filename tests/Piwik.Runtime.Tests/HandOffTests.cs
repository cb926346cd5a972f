using Microsoft.Extensions.DependencyInjection;
using Piwik.Sending;
using Piwik.Testing;
using Xunit;

namespace Piwik.Runtime.Tests;

/// <summary>
/// The read loop hands full batches to the lanes from one queue (no spool): a lane whose Matomo requests hang holds its
/// own batches back, never the other lanes'.
/// </summary>
public sealed class HandOffTests
{
    private const string Secret = "hand-off-test-secret-0123456789ab";
    private static readonly Piwik.Encoding.VisitorIdGenerator Ids = new(Secret);

    /// <summary>Two users whose events take the two lanes, one each.</summary>
    private static readonly List<string> Users = LaneUsers.OnePerLane(Secret, 2);

    [Fact]
    public async Task A_lane_whose_request_hangs_does_not_hold_back_the_batches_of_the_other_lane()
    {
        var transport = new LaneHeldTransport(Ids.ForUser(Users[0]));
        await using var app = await StartAsync(transport, TimeSpan.FromMilliseconds(200));

        // The held lane's visitor first: three full batches (one sent and held, two waiting), then the other lane's 50
        // events behind them in the queue. With a one-batch hand-off per lane, the read loop waited to hand over the
        // held lane's third batch and never read the other lane's events.
        Track(app, Users[0], "held", 30);
        Track(app, Users[1], "free", 50);
        // The lanes send concurrently: the free lane's 50 may all be delivered before the held lane's first request has
        // reached the transport, so both are waited for.
        await Eventually.HoldsAsync(
            () => app.Metrics.Sent == 50 && transport.Held == 1,
            () => $"held {transport.Held}, delivered {transport.Delivered}; {app.Accounting}");
        Assert.Equal(50, transport.Delivered);
        await Task.Delay(200);
        Assert.Equal(1, transport.Held);
        Assert.Equal(50, app.Metrics.Sent);

        transport.Open();
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 80, () => app.Accounting);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task While_no_request_is_answered_the_lanes_hold_four_full_batches_each_and_the_rest_stays_queued()
    {
        var transport = new LaneHeldTransport(heldVisitor: "");
        await using var app = await StartAsync(transport, TimeSpan.FromSeconds(2)); // the read loop waits before any flush is due
        var queue = app.App.Services.GetRequiredService<Piwik.Capture.EventQueue>();

        // The two lanes' events in turn: eight full batches go out (two sent and held, six waiting), the ninth is full
        // and waits for a place, the other lane's ninth holds 9 events: 200 - 99 stay in the queue, in memory as events.
        for (var i = 0; i < 100; i++)
        {
            Track(app, Users[0], "a" + i + "-", 1);
            Track(app, Users[1], "b" + i + "-", 1);
        }

        await Eventually.HoldsAsync(() => queue.Count == 101 && transport.Held == 2, () => $"queued {queue.Count}, held {transport.Held}; {app.Accounting}");
        await Task.Delay(300);
        Assert.Equal(101, queue.Count);

        transport.Open();
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 200, () => app.Accounting);
        await app.AssertBalancedAsync();
    }

    /// <summary>Two lanes, both always sending (no adaptive limit), batches of ten.</summary>
    private static Task<TestApp> StartAsync(IBulkTransport transport, TimeSpan flushInterval) =>
        TestApp.StartAsync(
            o =>
            {
                o.Url = "http://127.0.0.1:9/";
                o.MaxConcurrentBatches = 2;
                o.AdaptiveConcurrency = false;
                o.BatchSize = 10;
                o.FlushInterval = flushInterval;
                o.VisitorIdSecret = Secret;
            },
            services: s => s.AddSingleton(transport));

    private static void Track(TestApp app, string user, string prefix, int count)
    {
        for (var i = 0; i < count; i++)
        {
            Assert.True(app.Tracker.TrackEvent("c", prefix + i, userId: user));
        }
    }

    /// <summary>
    /// Holds the requests that carry one visitor's events (every request, for "") until <see cref="Open"/>; answers the
    /// others at once.
    /// </summary>
    private sealed class LaneHeldTransport(string heldVisitor) : IBulkTransport
    {
        private readonly TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _held;
        private int _delivered;

        public int Held => Volatile.Read(ref _held);

        public int Delivered => Volatile.Read(ref _delivered);

        public void Open() => _open.TrySetResult();

        public async Task<DeliveryResult> SendAsync(ReadOnlyMemory<byte> body, int entryCount, TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (System.Text.Encoding.UTF8.GetString(body.Span).Contains(heldVisitor, StringComparison.Ordinal))
            {
                Interlocked.Increment(ref _held);
                await _open.Task.WaitAsync(cancellationToken);
            }
            else
            {
                Interlocked.Add(ref _delivered, entryCount);
            }

            return DeliveryResult.Delivered(entryCount, 0);
        }
    }
}
