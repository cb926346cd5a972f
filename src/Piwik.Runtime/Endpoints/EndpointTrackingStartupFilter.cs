using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Piwik.Endpoints;

/// <summary>
/// The later passes of <c>UsePiwikTracking()</c>, when the host builds the pipeline: they wrap data sources of endpoints
/// mapped after the call, before the app's <c>Configure</c> (a <c>WebApplication</c>'s own <c>Map*</c> calls, before it
/// copies the sources) and after it (a <c>UseEndpoints</c> callback's), then check at <c>ApplicationStarted</c> that every
/// <see cref="TrackAsAttribute"/> endpoint got its filter and name those that did not.
/// </summary>
internal sealed class EndpointTrackingStartupFilter : IStartupFilter
{
    private readonly EndpointTracking _tracking;
    private readonly IHostApplicationLifetime _lifetime;

    public EndpointTrackingStartupFilter(EndpointTracking tracking, IHostApplicationLifetime lifetime)
    {
        _tracking = tracking;
        _lifetime = lifetime;
    }

    public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
    {
        // Before next: the app's Map* calls are done, and WebApplication's UseEndpoints has not yet copied the sources.
        _tracking.AttachLate();
        var services = app.ApplicationServices;
        _lifetime.ApplicationStarted.Register(() => CheckEndpoints(services));
        next(app);

        // After: endpoints a UseEndpoints callback mapped after its UsePiwikTracking() call (a Startup class). The host
        // builds the pipeline once this returns, so the routing middleware gets the wrapped sources.
        _tracking.AttachLate();
    };

    private void CheckEndpoints(IServiceProvider services)
    {
        if (!_tracking.Recorder.Enabled)
        {
            return;
        }

        try
        {
            // The app-wide composite of all routed endpoints (what routing, link generation and OpenAPI see).
            if (services.GetService<EndpointDataSource>() is { } endpoints)
            {
                _tracking.WarnAboutMissedEndpoints(endpoints.Endpoints);
                _tracking.WarnAboutUnboundPlaceholders(endpoints.Endpoints);
            }

            _tracking.WarnAboutRejectedTables();
        }
        catch (Exception)
        {
            // A diagnostic must not stop the app; a broken endpoint will fail on its own when requested.
        }
    }
}
