using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Piwik.Infrastructure;
using Piwik.Shared;

namespace Piwik.Endpoints;

/// <summary>The start-up warnings about what generated code decided and the full routes show: each logged once.</summary>
internal sealed partial class EndpointTracking
{
    /// <summary>
    /// Warns, once per endpoint and placeholder, about a template placeholder that the generator bound to a route value
    /// (it is not a handler parameter) which the endpoint's full pattern does not have: with the outer prefix unseen at
    /// compile time the analyzer could only warn (PIWIK013); now the pattern is known, and the event would go out
    /// without that value.
    /// </summary>
    public int WarnAboutUnboundPlaceholders(IEnumerable<Endpoint> endpoints)
    {
        var unbound = 0;
        foreach (var endpoint in endpoints)
        {
            if (endpoint is not RouteEndpoint route || endpoint.Metadata.GetMetadata<TrackingEndpointMetadata>() is not { Handler: { } handler })
            {
                continue;
            }

            foreach (var (template, bindings) in new[] { (handler.NameTemplate, handler.NameBindings), (handler.ValueTemplate, handler.ValueBindings) })
            {
                foreach (var binding in bindings ?? [])
                {
                    if (binding.Source != BindingSource.RouteValue || route.RoutePattern.GetParameter(binding.Root) is not null)
                    {
                        continue;
                    }

                    unbound++;
                    var name = endpoint.DisplayName ?? RouteText(route.RoutePattern);
                    if (_warned.TryAdd("unbound:" + name + "|" + binding.Root, true))
                    {
                        LogUnboundPlaceholder(_logger, name, binding.Root, template ?? string.Empty, RouteText(route.RoutePattern));
                    }
                }
            }
        }

        return unbound;
    }

    /// <summary>Warns once about each generated table that was left out (a generator of another Piwik release).</summary>
    public void WarnAboutRejectedTables()
    {
        foreach (var reason in TrackedHandlerRegistry.RejectedTables)
        {
            if (_warned.TryAdd("table:" + reason, true))
            {
                LogRejectedTable(_logger, reason);
            }
        }
    }

    /// <summary>The warning for a <see cref="TrackAsAttribute"/> endpoint Piwik did not attach to.</summary>
    private void WarnMissed(Endpoint endpoint)
    {
        var name = endpoint.DisplayName ?? "(unnamed endpoint)";
        if (IsControllerAction(endpoint))
        {
            LogControllerAction(_logger, name);
        }
        else
        {
            LogMissedEndpoint(_logger, name);
        }
    }

    /// <summary>An MVC action: its metadata holds an <c>ActionDescriptor</c> (by name, so that minimal APIs keep MVC out of a trimmed app).</summary>
    private static bool IsControllerAction(Endpoint endpoint)
    {
        foreach (var item in endpoint.Metadata)
        {
            for (var type = item.GetType(); type is not null; type = type.BaseType)
            {
                if (type.FullName == "Microsoft.AspNetCore.Mvc.Abstractions.ActionDescriptor")
                {
                    return true;
                }
            }
        }

        return false;
    }

    [LoggerMessage(EventId = 1303, Level = LogLevel.Warning, Message = "A generated Piwik table was left out: {Reason} Until then, [TrackAs] endpoints are tracked from their attributes alone.")]
    private static partial void LogRejectedTable(ILogger logger, string reason);

    [LoggerMessage(EventId = 1304, Level = LogLevel.Warning, Message = "Endpoint '{Endpoint}': placeholder '{{{Placeholder}}}' of the [TrackAs] template '{Template}' is neither a handler parameter nor a route parameter of '{Route}', so its events are recorded without it. Use a handler parameter's name, or a route parameter of the route.")]
    private static partial void LogUnboundPlaceholder(ILogger logger, string endpoint, string placeholder, string template, string route);

    [LoggerMessage(EventId = 1305, Level = LogLevel.Warning, Message = "Endpoint '{Endpoint}' is an MVC controller action with [TrackAs]: controller actions are not tracked, only minimal-API endpoints are. Record its event with IPiwikTracker.TrackEvent(HttpContext, category, action) in the action.")]
    private static partial void LogControllerAction(ILogger logger, string endpoint);
}
