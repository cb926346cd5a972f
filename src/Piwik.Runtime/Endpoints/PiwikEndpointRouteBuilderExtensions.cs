using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.AspNetCore.Hosting;
using Piwik.Endpoints;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Attaches Piwik tracking to minimal-API endpoints.</summary>
public static class PiwikEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Attaches Piwik to the minimal-API endpoints of <paramref name="endpoints"/> (usually the <c>WebApplication</c>),
    /// those mapped on it and inside <c>MapGroup</c>: each handler marked <see cref="Piwik.TrackAsAttribute"/> gets the
    /// endpoint filter generated for it; other endpoints get nothing (or, with
    /// <see cref="Piwik.PiwikOptions.TrackUntrackedEndpointsAsPageViews"/>, a page view named by route pattern, unless
    /// marked <see cref="Piwik.DoNotTrackAttribute"/>). Works with the Request Delegate Generator and under Native AOT.
    /// </summary>
    /// <remarks>
    /// Call it after the <c>Map*</c> calls. Endpoints mapped later are attached when the app starts building its
    /// pipeline, so an early call also works, except for endpoints mapped after the pipeline is built. At start-up a
    /// warning (event id 1302) names any <see cref="Piwik.TrackAsAttribute"/> endpoint that was missed.
    /// Requires <c>services.AddPiwikTracking(...)</c>.
    /// </remarks>
    /// <typeparam name="TBuilder">The route builder type, so the call chains on a <c>WebApplication</c>.</typeparam>
    /// <param name="endpoints">The app, or another route builder.</param>
    /// <returns><paramref name="endpoints"/>.</returns>
    /// <exception cref="InvalidOperationException">Piwik's services are not registered.</exception>
    public static TBuilder UsePiwikTracking<TBuilder>(this TBuilder endpoints)
        where TBuilder : IEndpointRouteBuilder
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        var tracking = endpoints.ServiceProvider.GetService<EndpointTracking>()
            ?? throw new InvalidOperationException("Piwik's services are not registered: call builder.Services.AddPiwikTracking(builder.Configuration.GetSection(\"Piwik\")) before UsePiwikTracking().");
        tracking.Attach(endpoints);
        return endpoints;
    }

    /// <summary>Registers the endpoint wiring; called by <c>AddPiwikTracking</c>.</summary>
    internal static void AddPiwikEndpointTracking(this IServiceCollection services)
    {
        services.TryAddSingleton<EndpointTracking>();
        services.TryAddEnumerable(ServiceDescriptor.Transient<IStartupFilter, EndpointTrackingStartupFilter>());
    }
}
