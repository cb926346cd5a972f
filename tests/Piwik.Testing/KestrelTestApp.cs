using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;
using Piwik.Sending;

namespace Piwik.Testing;

/// <summary>
/// A real app on Kestrel at 127.0.0.1 with Piwik tracking, captured logs, and <c>GET /track?c=..&amp;a=..&amp;n=..&amp;v=..</c>,
/// which records an event through <see cref="IPiwikTracker"/> (200 when queued, 202 when not; <see cref="DoNotTrackAttribute"/>,
/// so it is no page view of its own): the one harness of the runtime, reliability, Matomo and tool tests.
/// </summary>
internal sealed class KestrelTestApp : IAsyncDisposable
{
    private bool _stopped;

    private KestrelTestApp(WebApplication app, LogCapture logs)
    {
        App = app;
        Logs = logs;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        // Kept: their totals and state stay readable after shutdown.
        Metrics = app.Services.GetRequiredService<PiwikMetrics>();
        Sender = app.Services.GetRequiredService<PiwikSender>();
    }

    public WebApplication App { get; }

    public LogCapture Logs { get; }

    public HttpClient Client { get; }

    public PiwikMetrics Metrics { get; }

    public PiwikSender Sender { get; }

    public IPiwikTracker Tracker => App.Services.GetRequiredService<IPiwikTracker>();

    /// <summary>The accounting identity of this process: enqueued + restored = sent + rejected + dropped + spooled.</summary>
    public bool Balanced => Metrics.Enqueued + Metrics.Restored == Metrics.Sent + Metrics.Rejected + Metrics.Dropped + Metrics.Spooled;

    /// <summary>
    /// Asserts the accounting identity (every fault test ends with it): waits until nothing is pending in memory, so it
    /// is exact, not a moment's view, and fails naming every total when it does not hold.
    /// </summary>
    public Task AssertBalancedAsync() => Eventually.HoldsAsync(() => Balanced, () => "enqueued + restored != sent + rejected + dropped + spooled: " + Accounting);

    public string Accounting =>
        $"enqueued {Metrics.Enqueued} restored {Metrics.Restored} sent {Metrics.Sent} rejected {Metrics.Rejected} dropped {Metrics.Dropped} spooled {Metrics.Spooled}";

    /// <summary>
    /// Starts the app; <paramref name="map"/> maps more endpoints (and calls <c>UsePiwikTracking()</c> if it needs it);
    /// <paramref name="services"/> registers services after Piwik's, <paramref name="servicesFirst"/> before them.
    /// </summary>
    public static async Task<KestrelTestApp> StartAsync(
        Action<PiwikOptions> configure,
        TimeProvider? time = null,
        Action<WebApplication>? map = null,
        Action<IServiceCollection>? services = null,
        Action<IServiceCollection>? servicesFirst = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestHeadersTotalSize = 512 * 1024); // hostile-header tests
        var logs = new LogCapture();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(logs);
        servicesFirst?.Invoke(builder.Services); // before Piwik's own registrations (ConfigureHttpClientDefaults and the like)
        builder.Services.AddPiwikTracking(configure);
        if (time is not null)
        {
            builder.Services.AddSingleton(time);
        }

        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapGet("/track", [DoNotTrack] (HttpContext context, IPiwikTracker tracker, string? c, string? a, string? n, double? v) =>
            tracker.TrackEvent(context, c ?? "cat", a ?? "act", n, v) ? Results.Ok() : Results.Accepted());
        map?.Invoke(app);
        await app.StartAsync().ConfigureAwait(false);
        return new KestrelTestApp(app, logs);
    }

    public int LogCount(int eventId) => Logs.Entries.Count(e => e.Id.Id == eventId);

    /// <summary>Sends a request with these headers (added without validation, as a browser or a hostile client sends them); checks it succeeded.</summary>
    public async Task SendAsync(HttpMethod method, string pathAndQuery, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(method, pathAndQuery);
        foreach (var (name, value) in headers)
        {
            if (name.Equals("Host", StringComparison.OrdinalIgnoreCase))
            {
                request.Headers.Host = value;
            }
            else
            {
                request.Headers.TryAddWithoutValidation(name, value);
            }
        }

        using var response = await Client.SendAsync(request).ConfigureAwait(false);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Waits until the sender has settled <paramref name="events"/> events (sent, rejected or dropped).</summary>
    public Task SettledAsync(long events) =>
        Eventually.HoldsAsync(() => Metrics.Sent + Metrics.Rejected + Metrics.Dropped >= events, () => $"sent {Metrics.Sent}, rejected {Metrics.Rejected}, dropped {Metrics.Dropped} of {events}", TimeSpan.FromSeconds(30));

    /// <summary>Graceful shutdown (the sender's own deadline applies); safe to call again.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            Client.Dispose();
            await App.StopAsync().ConfigureAwait(false);
            await App.DisposeAsync().ConfigureAwait(false);
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync().ConfigureAwait(false);
}
