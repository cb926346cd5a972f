using Piwik.Testing;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;

namespace Piwik.Runtime.Tests;

/// <summary>A real app on Kestrel at 127.0.0.1 with Piwik tracking, an endpoint that records events, and captured logs.</summary>
internal sealed class TestApp : IAsyncDisposable
{
    private TestApp(WebApplication app, LogCapture logs)
    {
        App = app;
        Logs = logs;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        Metrics = app.Services.GetRequiredService<PiwikMetrics>(); // kept: its totals stay readable after shutdown
    }

    public WebApplication App { get; }

    public LogCapture Logs { get; }

    public HttpClient Client { get; }

    public PiwikMetrics Metrics { get; }

    /// <summary>The accounting identity: enqueued + restored = sent + rejected + dropped + spooled.</summary>
    public bool Balanced => Metrics.Enqueued + Metrics.Restored == Metrics.Sent + Metrics.Rejected + Metrics.Dropped + Metrics.Spooled;

    /// <summary>Asserts the accounting identity once nothing is pending in memory (every fault test ends with it).</summary>
    public Task AssertBalancedAsync() => Eventually.HoldsAsync(() => Balanced, () =>
        $"enqueued {Metrics.Enqueued} restored {Metrics.Restored} != sent {Metrics.Sent} rejected {Metrics.Rejected} dropped {Metrics.Dropped} spooled {Metrics.Spooled}");

    public IPiwikTracker Tracker => App.Services.GetRequiredService<IPiwikTracker>();

    /// <summary>
    /// Starts an app whose <c>GET /track</c> records an event from its query: <c>c</c>, <c>a</c>, <c>n</c>, <c>v</c>.
    /// </summary>
    /// <param name="configure">The Piwik options.</param>
    /// <param name="map">More endpoints.</param>
    /// <param name="services">More services, registered after Piwik's.</param>
    /// <param name="servicesFirst">More services, registered before Piwik's.</param>
    public static async Task<TestApp> StartAsync(Action<PiwikOptions> configure, Action<WebApplication>? map = null, Action<IServiceCollection>? services = null, Action<IServiceCollection>? servicesFirst = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k => k.Limits.MaxRequestHeadersTotalSize = 512 * 1024);
        var logs = new LogCapture();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Trace);
        builder.Logging.AddProvider(logs);
        servicesFirst?.Invoke(builder.Services);
        builder.Services.AddPiwikTracking(configure);
        services?.Invoke(builder.Services);
        var app = builder.Build();
        app.MapGet("/track", (HttpContext context, IPiwikTracker tracker, string? c, string? a, string? n, double? v) =>
            tracker.TrackEvent(context, c ?? "cat", a ?? "act", n, v) ? Results.Ok() : Results.Accepted());
        map?.Invoke(app);
        await app.StartAsync();
        return new TestApp(app, logs);
    }

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
