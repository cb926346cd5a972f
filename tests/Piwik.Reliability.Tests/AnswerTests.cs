using Piwik.Diagnostics;
using Piwik.Sending;
using Piwik.Testing;
using static Piwik.Reliability.Tests.FaultInjectionTests;

namespace Piwik.Reliability.Tests;

/// <summary>Matomo's answer is read, not assumed: pages that are not Matomo's, 413, huge answers.</summary>
public class AnswerTests
{
    [Theory]
    [InlineData("<html><body>Down for maintenance</body></html>", "text/html")]
    [InlineData("{", "application/json")]
    [InlineData("", "text/plain")]
    [InlineData("{\"result\":\"ok\"}", "application/json")]
    public async Task A_200_that_is_not_Matomo_s_answer_confirms_nothing_and_the_batch_goes_again(string body, string contentType)
    {
        await using var matomo = await StandInMatomo.StartAsync();
        for (var i = 0; i < 3; i++)
        {
            matomo.EnqueueFault(new Fault(Body: body, ContentType: contentType));
        }

        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 10;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
            o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
        });
        Track(app, 10);
        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 10, () => app.Accounting);
        Assert.Equal(10, matomo.Tracked.Count); // stored by the fourth request, the first Matomo really answered
        Assert.Equal(10, app.Metrics.Sent);
        Assert.Equal(3, app.Metrics.Retries);
        Assert.Equal(4, matomo.BulkCalls.Count);
        Delivered.AssertNoDuplicates(matomo);
        Assert.Equal(1, app.LogCount(1017)); // three such answers, one warning (at most one a minute)
        await app.AssertBalancedAsync();
    }

    [Theory]
    [InlineData(204, "", null)]
    [InlineData(200, "GIF89a\u0001\u0000\u0001\u0000", "image/gif")]
    public async Task QueuedTracking_s_immediate_answer_confirms_the_batch(int status, string body, string? contentType)
    {
        // With the QueuedTracking plugin Matomo answers a 204 or a GIF at once and validates later (MATOMO.md).
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EveryRequest = () => new Fault(StatusCode: status, Body: body, ContentType: contentType);
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 10;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
        });
        Track(app, 20);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 20, () => app.Accounting);
        Assert.Equal(0, app.Metrics.Retries);
        Assert.Equal(2, matomo.BulkCalls.Count);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_413_splits_the_batch_and_every_event_is_delivered_once_in_order()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.MaxBodyBytes = 4000; // a proxy's body limit
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 40;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
        });
        var name = new string('n', 200);
        for (var i = 0; i < 40; i++)
        {
            Assert.True(app.Tracker.TrackEvent("c", "e" + i, name, userId: "u" + (i % 3)));
        }

        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 40, () => app.Accounting);
        Assert.Equal(40, app.Metrics.Sent);
        Assert.Equal(0, app.Metrics.Rejected);
        Assert.Equal(40, matomo.Tracked.Count);
        Delivered.AssertNoDuplicates(matomo);
        Delivered.AssertOrderedPerVisitor(matomo);
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task An_entry_too_large_even_alone_is_dropped_and_counted_and_the_rest_delivered()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.MaxBodyBytes = 1000; // an ordinary entry alone fits; the one with a 1 KB name does not
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 6;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
        });
        for (var i = 0; i < 6; i++)
        {
            Assert.True(app.Tracker.TrackEvent("c", "e" + i, i == 2 ? new string('x', 1000) + new string('y', 1000) : null));
        }

        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 6, () => app.Accounting);
        Assert.Equal(5, app.Metrics.Sent);
        Assert.Equal(1, app.Metrics.DroppedFor(DropReason.TooLarge));
        Assert.DoesNotContain(matomo.Tracked, e => e["e_a"] == "e2");
        Assert.Equal(1, app.LogCount(1019));
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_batch_is_closed_at_its_byte_limit_whatever_the_batch_size()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 1000;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromMilliseconds(200);
        });

        // Hostile values: each field cut to Matomo's 1024 bytes, then percent-encoded to three times that.
        var hostile = new string('é', 600);
        for (var i = 0; i < 400; i++)
        {
            Assert.True(app.Tracker.TrackEvent(hostile, "e" + i + hostile, hostile));
        }

        await Eventually.HoldsAsync(() => app.Metrics.Accounted == 400, () => app.Accounting);
        Assert.Equal(400, app.Metrics.Sent);
        var largest = matomo.BulkCalls.Max(c => System.Text.Encoding.UTF8.GetByteCount(c.Body));
        Assert.True(largest <= Batch.MaxBytes + (64 * 1024), $"a bulk body of {largest} bytes");
        Assert.True(matomo.BulkCalls.Count >= 3, $"{matomo.BulkCalls.Count} bulk requests");
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task A_huge_error_answer_is_read_no_further_than_a_few_KB()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        const long huge = 200L * 1024 * 1024;
        matomo.EnqueueFault(new Fault(StatusCode: 500, BodyLength: huge, ContentType: "text/html"));
        await using var app = await ReliabilityApp.StartAsync(o =>
        {
            Fast(o, matomo);
            o.BatchSize = 5;
            o.MaxConcurrentBatches = 1;
            o.FlushInterval = TimeSpan.FromHours(1);
        });
        Track(app, 5);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 5, () => app.Accounting);
        await Eventually.HoldsAsync(() => matomo.AnswersWritten == 1, () => "the huge answer is still being written");

        // The sender closed the connection after a few KB: the stand-in could not write more than the socket buffers.
        Assert.True(matomo.AnswerBytesWritten < 64L * 1024 * 1024, $"{matomo.AnswerBytesWritten} bytes of the answer were read");
        Assert.Equal(1, app.Metrics.Retries);
        await app.AssertBalancedAsync();
    }
}
