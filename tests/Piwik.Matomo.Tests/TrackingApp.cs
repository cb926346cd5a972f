using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;
using Piwik.Testing;

namespace Piwik.Matomo.Tests;

/// <summary>
/// A real app on Kestrel at 127.0.0.1, tracking into the real Matomo through the library's own sender: <c>GET /event</c>
/// records an event from its query (<c>c</c>, <c>a</c>, <c>n</c>, <c>v</c>) with <see cref="IPiwikTracker"/>; tests
/// map endpoints of their own with <c>map</c>.
/// </summary>
internal sealed class TrackingApp : IAsyncDisposable
{
    private TrackingApp(WebApplication app, LogCapture logs)
    {
        App = app;
        Logs = logs;
        Client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
        Metrics = app.Services.GetRequiredService<PiwikMetrics>();
    }

    public WebApplication App { get; }

    public LogCapture Logs { get; }

    public HttpClient Client { get; }

    public PiwikMetrics Metrics { get; }

    public static async Task<TrackingApp> StartAsync(RealMatomo matomo, int siteId, Action<PiwikOptions>? configure = null, Action<WebApplication>? map = null, Action<IServiceCollection>? services = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var logs = new LogCapture();
        builder.Logging.ClearProviders();
        builder.Logging.SetMinimumLevel(LogLevel.Debug);
        builder.Logging.AddProvider(logs);
        services?.Invoke(builder.Services);
        builder.Services.AddPiwikTracking(o =>
        {
            o.Url = matomo.Url;
            o.SiteId = siteId;
            o.TokenAuth = matomo.TokenAuth;
            o.AllowInsecureHttp = true;
            o.FlushInterval = TimeSpan.FromMilliseconds(100);
            o.VisitorIdSecret = "a-secret-for-the-real-matomo-tests";
            configure?.Invoke(o);
        });
        var app = builder.Build();
        app.MapGet("/event", [DoNotTrack] (HttpContext context, IPiwikTracker tracker, string? c, string? a, string? n, double? v) =>
            tracker.TrackEvent(context, c ?? "cat", a ?? "act", n, v) ? Results.Ok() : Results.Accepted());
        map?.Invoke(app);
        app.UsePiwikTracking();
        await app.StartAsync();
        return new TrackingApp(app, logs);
    }

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

        using var response = await Client.SendAsync(request);
        response.EnsureSuccessStatusCode();
    }

    /// <summary>Waits until the sender has settled every event it took (sent, rejected or dropped).</summary>
    public Task SettledAsync(long events) =>
        Eventually.HoldsAsync(() => Metrics.Sent + Metrics.Rejected + Metrics.Dropped >= events, () => $"sent {Metrics.Sent}, rejected {Metrics.Rejected}, dropped {Metrics.Dropped} of {events}", TimeSpan.FromSeconds(30));

    public async ValueTask DisposeAsync()
    {
        Client.Dispose();
        await App.StopAsync();
        await App.DisposeAsync();
    }
}
