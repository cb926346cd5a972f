using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;
using Piwik.Sending;
using Piwik.Testing;

namespace Piwik.Reliability.Tests;

/// <summary>A real app on Kestrel at 127.0.0.1 with Piwik tracking, <c>GET /track?a=..&amp;u=..</c>, and captured logs.</summary>
internal sealed class ReliabilityApp : IAsyncDisposable
{
    private bool _stopped;

    private ReliabilityApp(WebApplication app, LogCapture logs)
    {
        App = app;
        Logs = logs;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        Metrics = app.Services.GetRequiredService<PiwikMetrics>();
        Sender = app.Services.GetRequiredService<PiwikSender>();
    }

    public WebApplication App { get; }

    public LogCapture Logs { get; }

    public HttpClient Client { get; }

    public PiwikMetrics Metrics { get; }

    public PiwikSender Sender { get; }

    public IPiwikTracker Tracker => App.Services.GetRequiredService<IPiwikTracker>();

    public static async Task<ReliabilityApp> StartAsync(Action<PiwikOptions> configure, TimeProvider? time = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var logs = new LogCapture();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(logs);
        builder.Services.AddPiwikTracking(configure);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        var app = builder.Build();
        app.MapGet("/track", (HttpContext context, IPiwikTracker tracker, string? a) =>
            tracker.TrackEvent(context, "web", a ?? "act") ? Results.Ok() : Results.Accepted());
        await app.StartAsync();
        return new ReliabilityApp(app, logs);
    }

    /// <summary>The accounting identity of this process: enqueued + restored = sent + rejected + dropped + spooled.</summary>
    public bool Balanced => Metrics.Enqueued + Metrics.Restored == Metrics.Sent + Metrics.Rejected + Metrics.Dropped + Metrics.Spooled;

    /// <summary>
    /// Asserts the accounting identity (every fault test ends with it): waits until nothing is pending in memory, so it
    /// is exact, not a moment's view, and fails naming every total when it does not hold.
    /// </summary>
    public Task AssertBalancedAsync() => Eventually.HoldsAsync(() => Balanced, () => "enqueued + restored != sent + rejected + dropped + spooled: " + Accounting);

    public string Accounting =>
        $"enqueued {Metrics.Enqueued} restored {Metrics.Restored} sent {Metrics.Sent} rejected {Metrics.Rejected} dropped {Metrics.Dropped} spooled {Metrics.Spooled}";

    public int LogCount(int eventId) => Logs.Entries.Count(e => e.Id.Id == eventId);

    /// <summary>Graceful shutdown (the sender's own deadline applies).</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            Client.Dispose();
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();
}

/// <summary>Real time shifted by an offset that a test can move (timers and timestamps stay real).</summary>
internal sealed class ShiftedTime : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

internal static class Delivered
{
    /// <summary>The stand-in's stored actions (<c>e_a</c>) grouped by visitor (<c>cid</c>), in the order stored.</summary>
    public static Dictionary<string, List<string>> ByVisitor(StandInMatomo matomo) =>
        matomo.Tracked.GroupBy(e => e["cid"]).ToDictionary(g => g.Key, g => g.Select(e => e["e_a"]).ToList());

    /// <summary>Asserts each visitor's events arrived in the order they were tracked (numbered <c>prefix</c>N).</summary>
    public static void AssertOrderedPerVisitor(StandInMatomo matomo, string prefix = "e")
    {
        foreach (var (visitor, actions) in ByVisitor(matomo))
        {
            var numbers = actions.Where(a => a.StartsWith(prefix, StringComparison.Ordinal)).Select(a => int.Parse(a[prefix.Length..])).ToList();
            Assert.True(numbers.SequenceEqual(numbers.Order()), $"visitor {visitor} got its events out of order: {string.Join(",", numbers)}");
        }
    }

    public static void AssertNoDuplicates(StandInMatomo matomo)
    {
        var duplicates = matomo.Tracked.GroupBy(e => e["e_a"]).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "delivered more than once: " + string.Join(",", duplicates));
    }
}
