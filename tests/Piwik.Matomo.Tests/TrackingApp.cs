using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Piwik.Testing;

namespace Piwik.Matomo.Tests;

/// <summary>
/// The shared Kestrel harness (<see cref="KestrelTestApp"/>) tracking into the real Matomo through the library's own
/// sender: its <c>GET /track</c> records an event from its query (<c>c</c>, <c>a</c>, <c>n</c>, <c>v</c>) with
/// <see cref="IPiwikTracker"/>; tests map endpoints of their own with <c>map</c>.
/// </summary>
internal static class TrackingApp
{
    public static Task<KestrelTestApp> StartAsync(RealMatomo matomo, int siteId, Action<PiwikOptions>? configure = null, Action<WebApplication>? map = null, Action<IServiceCollection>? services = null) =>
        KestrelTestApp.StartAsync(
            o =>
            {
                o.Url = matomo.Url;
                o.SiteId = siteId;
                o.TokenAuth = matomo.TokenAuth;
                o.AllowInsecureHttp = true;
                o.FlushInterval = TimeSpan.FromMilliseconds(100);
                o.VisitorIdSecret = "a-secret-for-the-real-matomo-tests";
                configure?.Invoke(o);
            },
            map: app =>
            {
                map?.Invoke(app);
                app.UsePiwikTracking();
            },
            servicesFirst: services);
}
