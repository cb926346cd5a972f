using System.Collections.Concurrent;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Piwik.Capture;
using Piwik.Infrastructure;

namespace Piwik.Endpoints;

/// <summary>
/// Attaches Piwik to minimal-API endpoints: wraps the route builders' data sources, and provides the conventions that
/// wrap the request delegate of <see cref="TrackAsAttribute"/> endpoints (which record once it has completed, from the
/// final status), add the endpoint filter to those that need their handler's arguments (and only to them: under the
/// Request Delegate Generator any filter factory moves an endpoint to a slower path) and, when enabled, page views to
/// the others. Attaching is idempotent: an endpoint reached by several calls of <c>UsePiwikTracking()</c> is tracked once.
/// </summary>
internal sealed partial class EndpointTracking
{
    private readonly RequestRecorder _recorder;
    private readonly ILogger<EndpointTracking> _logger;
    private readonly bool _pageViews;
    private readonly List<IEndpointRouteBuilder> _builders = [];
    private readonly ConcurrentDictionary<MethodInfo, TrackedHandler> _handlers = new();
    private readonly ConcurrentDictionary<string, bool> _warned = new(StringComparer.Ordinal);

    public EndpointTracking(RequestRecorder recorder, IOptions<PiwikOptions> options, ILogger<EndpointTracking> logger)
    {
        _recorder = recorder;
        _logger = logger;
        _pageViews = options.Value.TrackUntrackedEndpointsAsPageViews;
        Convention = ApplyConvention;
        FinallyConvention = ApplyFinallyConvention;
    }

    /// <summary>Runs first, when the endpoint's metadata holds its handler's <see cref="MethodInfo"/> but not yet its attributes.</summary>
    public Action<EndpointBuilder> Convention { get; }

    /// <summary>Runs last, when the metadata and the request delegate are final.</summary>
    public Action<EndpointBuilder> FinallyConvention { get; }

    internal RequestRecorder Recorder => _recorder;

    /// <summary>Remembers the route builder and wraps its minimal-API data sources. Safe to call again: wrapped sources are skipped.</summary>
    public void Attach(IEndpointRouteBuilder endpoints)
    {
        lock (_builders)
        {
            if (!_builders.Contains(endpoints))
            {
                _builders.Add(endpoints);
            }
        }

        Wrap(endpoints);
    }

    /// <summary>
    /// The later passes, when the pipeline is built: wraps the sources of endpoints mapped after <c>UsePiwikTracking()</c>
    /// (on a <c>WebApplication</c>, before the app's <c>Configure</c>; in a <c>UseEndpoints</c> callback, after it).
    /// </summary>
    public void AttachLate()
    {
        IEndpointRouteBuilder[] builders;
        lock (_builders)
        {
            builders = [.. _builders];
        }

        foreach (var endpoints in builders)
        {
            Wrap(endpoints);
        }
    }

    /// <summary>Logs a warning for each endpoint whose handler carries <see cref="TrackAsAttribute"/> but has no working Piwik filter.</summary>
    public int WarnAboutMissedEndpoints(IEnumerable<Endpoint> endpoints)
    {
        var missed = 0;
        foreach (var endpoint in endpoints)
        {
            if (endpoint.Metadata.GetMetadata<TrackAsAttribute>() is null)
            {
                continue;
            }

            if (endpoint.Metadata.GetMetadata<TrackingEndpointMetadata>() is { FilterAttached: true, Handler: not null })
            {
                continue;
            }

            missed++;
            if (_warned.TryAdd("missed:" + endpoint.DisplayName, true))
            {
                WarnMissed(endpoint);
            }
        }

        return missed;
    }

    private void Wrap(IEndpointRouteBuilder endpoints)
    {
        if (!_recorder.Enabled)
        {
            // Tracking is off: no filter at all, so endpoints keep their fastest path.
            return;
        }

        var sources = endpoints.DataSources;
        var replacements = new List<(EndpointDataSource Old, EndpointDataSource New)>();
        foreach (var source in sources)
        {
            if (source is not TrackingEndpointDataSource && TrackingEndpointDataSource.CanWrap(source))
            {
                replacements.Add((source, new TrackingEndpointDataSource(source, this, endpoints.ServiceProvider)));
            }
        }

        if (replacements.Count == 0)
        {
            return;
        }

        // Replace in place, keeping the order: route matching and link generation depend on it.
        Replace(sources, replacements);

        // UseEndpoints has already copied the sources of a builder filled in its callback into the app-wide list (what
        // link generation, OpenAPI and the start-up check read) when the pass after the app's Configure wraps them: that
        // list gets the same wrappers. It is the app-wide composite's own (an observable list, which the composite follows).
        if (endpoints.ServiceProvider.GetService(typeof(EndpointDataSource)) is CompositeEndpointDataSource { DataSources: IList<EndpointDataSource> global }
            && replacements.FindAll(r => global.Contains(r.Old)) is { Count: > 0 } copied)
        {
            Replace(global, copied);
        }
    }

    private static void Replace(ICollection<EndpointDataSource> sources, List<(EndpointDataSource Old, EndpointDataSource New)> replacements)
    {
        if (sources is IList<EndpointDataSource> list)
        {
            foreach (var (old, replacement) in replacements)
            {
                list[list.IndexOf(old)] = replacement;
            }

            return;
        }

        var all = sources.ToArray();
        sources.Clear();
        foreach (var source in all)
        {
            var index = replacements.FindIndex(r => ReferenceEquals(r.Old, source));
            sources.Add(index < 0 ? source : replacements[index].New);
        }
    }

    private void ApplyConvention(EndpointBuilder builder)
    {
        var method = HandlerMethod(builder);
        if (method is null || Marker(builder) is not null)
        {
            // Not tracked, or attached already: UsePiwikTracking() on a group and on the app (or twice) runs this
            // convention once per call on the same endpoint, and it must attach once.
            return;
        }

        var attribute = method.GetCustomAttribute<TrackAsAttribute>();
        if (HitAttributes.Of(method) is { } hits)
        {
            AddHitFilter(builder, method, attribute, hits);
            return;
        }

        if (attribute is null)
        {
            return;
        }

        var handler = ResolveCached(method, attribute, builder);
        var marker = TrackingEndpointMetadata.ForEvent(handler);
        builder.Metadata.Add(marker);
        if (TrackedRequestDelegate.PlanFor(handler, (builder as RouteEndpointBuilder)?.RoutePattern) is { } plan)
        {
            // Nothing to read from the arguments that the route values do not hold, and nothing to record on failure:
            // the finally convention wraps the endpoint's request delegate, so the endpoint keeps its unfiltered path.
            marker.Unfiltered = plan with { RedirectIsSuccess = attribute.RedirectIsSuccess };
            return;
        }

        marker.Filtered = new EventRecording(handler, attribute.RedirectIsSuccess, _recorder);
        AddFilter(builder, marker, handler.ReadsResult, recordsFailure: handler.FailureAction is not null);
    }

    /// <summary>The filter that leaves the handler's invocation (and, when a template reads it, its result) for the wrapper.</summary>
    private static void AddFilter(EndpointBuilder builder, TrackingEndpointMetadata marker, bool keepResult, bool recordsFailure) =>
        builder.FilterFactories.Add((factoryContext, next) =>
        {
            marker.MarkFilterBuilt();
            return new TrackedEndpointFilter(next, keepResult, recordsFailure).InvokeAsync;
        });

    private TrackedHandler ResolveCached(MethodInfo method, TrackAsAttribute attribute, EndpointBuilder builder) =>
        _handlers.GetOrAdd(method, static (m, state) => state.Self.Resolve(m, state.Attribute, state.Builder), (Self: this, Attribute: attribute, Builder: builder));

    /// <summary>
    /// An order, search or dimension handler: one filter records its event too, so every hit of the request carries the
    /// handler's dimensions.
    /// </summary>
    private void AddHitFilter(EndpointBuilder builder, MethodInfo method, TrackAsAttribute? attribute, HitAttributes hits)
    {
        var handler = attribute is null ? null : ResolveCached(method, attribute, builder);
        var generated = HitHandlerRegistry.Match(method, hits);
        if (generated is null)
        {
            LogNoGeneratedHits(_logger, builder.DisplayName ?? method.Name);
        }

        var marker = TrackingEndpointMetadata.ForHits(handler, new HitRecording(handler, attribute?.RedirectIsSuccess ?? false, generated, hits, _recorder));
        builder.Metadata.Add(marker);
        AddFilter(builder, marker, keepResult: (handler?.ReadsResult ?? false) || (generated?.ReadsResult ?? false), recordsFailure: handler?.FailureAction is not null);
    }

    private void ApplyFinallyConvention(EndpointBuilder builder)
    {
        if (Marker(builder) is { IsTracked: true } marker)
        {
            // Once per endpoint, however often this convention runs on it (nested groups, UsePiwikTracking() on a group
            // and on the app). Both paths record from the wrapper, once the response is complete and its status final;
            // a filtered endpoint only when its filter was really built into that delegate.
            if (!marker.FilterAttached && builder.RequestDelegate is { } next)
            {
                if (marker.Unfiltered is { } plan)
                {
                    var wrapper = TrackedRequestDelegate.Wrap(next, plan, _recorder);
                    builder.RequestDelegate = wrapper.InvokeAsync;
                    CachedResponseRecording.AddTo(builder, wrapper);
                    marker.MarkWrapped();
                }
                else if (marker.FilterBuilt && marker.Filtered is { } recording)
                {
                    builder.RequestDelegate = FilteredRequestDelegate.Wrap(next, recording);
                    marker.MarkWrapped();
                }
            }

            return;
        }

        if (!_pageViews || builder is not RouteEndpointBuilder routeBuilder)
        {
            return;
        }

        foreach (var item in builder.Metadata)
        {
            // Tracked as an event, attached already (nested groups run this twice), or excluded.
            if (item is TrackAsAttribute or TrackingEndpointMetadata or DoNotTrackAttribute)
            {
                return;
            }
        }

        if (builder.RequestDelegate is not { } inner)
        {
            return;
        }

        string? method = null;
        if (builder.Metadata.OfType<HttpMethodMetadata>().LastOrDefault() is { HttpMethods.Count: 1 } methods)
        {
            method = methods.HttpMethods[0];
        }

        var route = RouteText(routeBuilder.RoutePattern);
        if (TrackedHandlerRegistry.IsRouteExcluded(route))
        {
            // [assembly: DoNotTrackRoutes]: deliberately not tracked, like a [DoNotTrack] handler.
            return;
        }

        var title = method is null ? route : method + " " + route;
        builder.Metadata.Add(TrackingEndpointMetadata.ForPageView(title));
        var pageViews = new PageViewRequestDelegate(inner, method is null ? null : title, route, _recorder);
        builder.RequestDelegate = pageViews.InvokeAsync;
        CachedResponseRecording.AddTo(builder, pageViews);
    }

    private static TrackingEndpointMetadata? Marker(EndpointBuilder builder)
    {
        foreach (var item in builder.Metadata)
        {
            if (item is TrackingEndpointMetadata marker)
            {
                return marker;
            }
        }

        return null;
    }

    /// <summary>The handler's <see cref="MethodInfo"/>: ASP.NET Core puts it first in the metadata, before group conventions run.</summary>
    private static MethodInfo? HandlerMethod(EndpointBuilder builder)
    {
        foreach (var item in builder.Metadata)
        {
            if (item is MethodInfo method)
            {
                return method;
            }
        }

        return null;
    }

    /// <summary>The generated descriptor for this handler, else one built from the attribute alone.</summary>
    private TrackedHandler Resolve(MethodInfo method, TrackAsAttribute attribute, EndpointBuilder builder)
    {
        if (TrackedHandlerMatcher.Match(TrackedHandlerRegistry.WithAction(attribute.Action), method, attribute) is { } generated)
        {
            return generated;
        }

        var pattern = (builder as RouteEndpointBuilder)?.RoutePattern;
        var fallback = RuntimeTrackedHandler.Create(attribute, method, pattern, out var unbound);
        var name = builder.DisplayName ?? (pattern is null ? method.Name : RouteText(pattern));
        LogNoGeneratedHandler(_logger, name);
        foreach (var template in unbound)
        {
            LogUnboundTemplate(_logger, name, template);
        }

        return fallback;
    }

    internal static string RouteText(RoutePattern pattern)
    {
        var text = pattern.RawText ?? string.Empty;
        return text.StartsWith('/') ? text : "/" + text;
    }

    [LoggerMessage(EventId = 1300, Level = LogLevel.Warning, Message = "Endpoint '{Endpoint}' has [TrackAs] but no generated Piwik code matches its handler: it is tracked from the attribute alone, and its Name/Value templates can only use route values. Reference Piwik.Generator as an analyzer, and keep handler parameter types accessible (not private or file-local).")]
    private static partial void LogNoGeneratedHandler(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 1301, Level = LogLevel.Warning, Message = "Endpoint '{Endpoint}': the [TrackAs] template '{Template}' cannot be bound without generated code and is left out of its events.")]
    private static partial void LogUnboundTemplate(ILogger logger, string endpoint, string template);

    [LoggerMessage(EventId = 1306, Level = LogLevel.Warning, Message = "Endpoint '{Endpoint}' has [TrackOrder], [TrackSearch] or [TrackDimension] but no generated Piwik code matches its handler: its templates cannot be read, so it records no order, search or dimension. Reference Piwik.Generator as an analyzer, and keep handler parameter types accessible.")]
    private static partial void LogNoGeneratedHits(ILogger logger, string endpoint);

    [LoggerMessage(EventId = 1302, Level = LogLevel.Warning, Message = "Endpoint '{Endpoint}' has [TrackAs] but Piwik is not attached to it, so it records nothing. Call app.UsePiwikTracking() on the app that maps it (after its Map* calls, or at least before the app starts), and do not add [TrackAs] with WithMetadata: put it on the handler.")]
    private static partial void LogMissedEndpoint(ILogger logger, string endpoint);
}
