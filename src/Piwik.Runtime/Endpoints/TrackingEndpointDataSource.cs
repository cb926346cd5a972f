using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Primitives;

namespace Piwik.Endpoints;

/// <summary>
/// Wraps a minimal-API data source (<c>RouteEndpointDataSource</c> or a <c>MapGroup</c> group) and builds its endpoints
/// as if it were inside a route group whose conventions are Piwik's: the convention adds the endpoint filter to
/// <see cref="TrackAsAttribute"/> handlers before the request delegate is built, the finally convention adds page views.
/// No interceptor is involved, so it works with the Request Delegate Generator and under Native AOT.
/// </summary>
internal sealed class TrackingEndpointDataSource : EndpointDataSource
{
    // The type names of ASP.NET Core's minimal-API data sources. The base EndpointDataSource.GetGroupedEndpoints
    // rebuilds endpoints without calling filter factories, and MVC's sources override it too, so "overrides
    // GetGroupedEndpoints" does not single these out. A test fails if ASP.NET Core renames them.
    internal const string RouteHandlerSourceTypeName = "Microsoft.AspNetCore.Routing.RouteEndpointDataSource";
    internal const string GroupSourceTypeName = "Microsoft.AspNetCore.Routing.RouteGroupBuilder+GroupEndpointDataSource";

    private static readonly RoutePattern EmptyPrefix = RoutePatternFactory.Parse("");

    private readonly EndpointDataSource _inner;
    private readonly EndpointTracking _tracking;
    private readonly IServiceProvider _services;

    public TrackingEndpointDataSource(EndpointDataSource inner, EndpointTracking tracking, IServiceProvider services)
    {
        _inner = inner;
        _tracking = tracking;
        _services = services;
    }

    public EndpointDataSource Inner => _inner;

    public override IReadOnlyList<Endpoint> Endpoints => _inner.GetGroupedEndpoints(new RouteGroupContext
    {
        Prefix = EmptyPrefix,
        Conventions = [_tracking.Convention],
        FinallyConventions = [_tracking.FinallyConvention],
        ApplicationServices = _services,
    });

    public override IReadOnlyList<Endpoint> GetGroupedEndpoints(RouteGroupContext context) => _inner.GetGroupedEndpoints(new RouteGroupContext
    {
        Prefix = context.Prefix,
        Conventions = [_tracking.Convention, .. context.Conventions],
        FinallyConventions = [.. context.FinallyConventions, _tracking.FinallyConvention],
        ApplicationServices = context.ApplicationServices,
    });

    public override IChangeToken GetChangeToken() => _inner.GetChangeToken();

    /// <summary>Whether a data source is one of ASP.NET Core's minimal-API sources, the only ones that honour filter factories from group conventions.</summary>
    public static bool CanWrap(EndpointDataSource source) =>
        source.GetType().FullName is RouteHandlerSourceTypeName or GroupSourceTypeName;
}
