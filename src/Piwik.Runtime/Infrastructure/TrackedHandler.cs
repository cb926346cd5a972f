using System.ComponentModel;
using Microsoft.AspNetCore.Http;

namespace Piwik.Infrastructure;

/// <summary>
/// What the Piwik source generator knows at compile time about one <see cref="TrackAsAttribute"/> handler: its
/// constant category and actions, and typed accessors for its name and value templates. Generated code registers one
/// per handler through <see cref="TrackedHandlerRegistry.Register"/>; <c>app.UsePiwikTracking()</c> matches them to
/// endpoints.
/// </summary>
/// <remarks>Infrastructure for generated code; not meant to be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public sealed class TrackedHandler
{
    /// <summary>Creates a descriptor. Called by generated code.</summary>
    /// <param name="category">The <see cref="TrackAsAttribute.Category"/>, or <c>null</c> for the default category.</param>
    /// <param name="action">The <see cref="TrackAsAttribute.Action"/>.</param>
    /// <param name="failureAction">The <see cref="TrackAsAttribute.FailureAction"/>, or <c>null</c>.</param>
    /// <param name="nameTemplate">The <see cref="TrackAsAttribute.Name"/> template as written, or <c>null</c>.</param>
    /// <param name="valueTemplate">The <see cref="TrackAsAttribute.Value"/> template as written, or <c>null</c>.</param>
    /// <param name="parameterTypes">The handler's parameter types, in order: with the attribute values, they identify the handler at run time.</param>
    /// <param name="parameterNames">The handler's parameter names, in order: they break ties between handlers of the same shape.</param>
    /// <param name="name">Reads the event name from the filter's invocation context, or <c>null</c> when there is no name.</param>
    /// <param name="value">Reads the event value, or <c>null</c> when there is no value.</param>
    public TrackedHandler(
        string? category,
        string action,
        string? failureAction,
        string? nameTemplate,
        string? valueTemplate,
        Type[] parameterTypes,
        string[] parameterNames,
        Func<EndpointFilterInvocationContext, TrackedValue>? name,
        Func<EndpointFilterInvocationContext, TrackedValue>? value)
    {
        Category = category;
        Action = action;
        FailureAction = failureAction;
        NameTemplate = nameTemplate;
        ValueTemplate = valueTemplate;
        ParameterTypes = parameterTypes;
        ParameterNames = parameterNames;
        Name = name;
        Value = value;
    }

    /// <summary>The category, or <c>null</c> for <see cref="PiwikOptions.DefaultCategory"/>.</summary>
    public string? Category { get; }

    /// <summary>The action recorded on success.</summary>
    public string Action { get; }

    /// <summary>The action recorded on a 4xx answer, or <c>null</c>.</summary>
    public string? FailureAction { get; }

    /// <summary>The name template as written.</summary>
    public string? NameTemplate { get; }

    /// <summary>The value template as written.</summary>
    public string? ValueTemplate { get; }

    /// <summary>The handler's parameter types.</summary>
    public IReadOnlyList<Type> ParameterTypes { get; }

    /// <summary>The handler's parameter names.</summary>
    public IReadOnlyList<string> ParameterNames { get; }

    /// <summary>Reads the event name, or <c>null</c>.</summary>
    public Func<EndpointFilterInvocationContext, TrackedValue>? Name { get; }

    /// <summary>Reads the event value, or <c>null</c>.</summary>
    public Func<EndpointFilterInvocationContext, TrackedValue>? Value { get; }
}

/// <summary>The descriptors registered by generated code (from module initializers) in this process.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TrackedHandlerRegistry
{
    private static readonly object Gate = new();
    private static TrackedHandler[] _handlers = [];
    private static string[] _excludedRoutes = [];

    /// <summary>Registers a descriptor. Called by generated code from a module initializer.</summary>
    /// <param name="handler">The descriptor.</param>
    public static void Register(TrackedHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (Gate)
        {
            _handlers = [.. _handlers, handler];
        }
    }

    /// <summary>
    /// Registers the route patterns of <c>[assembly: DoNotTrackRoutes(...)]</c>, so that the page-view option skips them.
    /// Called by generated code from a module initializer.
    /// </summary>
    /// <param name="patterns">The patterns as written: <c>/health</c>, or <c>/metrics/*</c> for a route and everything below it.</param>
    public static void ExcludeRoutes(params string[] patterns)
    {
        ArgumentNullException.ThrowIfNull(patterns);
        lock (Gate)
        {
            _excludedRoutes = [.. _excludedRoutes, .. patterns.Where(static p => !string.IsNullOrWhiteSpace(p))];
        }
    }

    /// <summary>All registered descriptors.</summary>
    internal static IReadOnlyList<TrackedHandler> All => Volatile.Read(ref _handlers);

    /// <summary>All registered <c>DoNotTrackRoutes</c> patterns.</summary>
    internal static IReadOnlyList<string> ExcludedRoutes => Volatile.Read(ref _excludedRoutes);

    /// <summary>
    /// Whether a route pattern (group prefix included) matches a registered <c>DoNotTrackRoutes</c> pattern, with the
    /// analyzer's rule: equal ignoring case and a trailing <c>/</c>, or below a pattern ending in <c>/*</c>.
    /// </summary>
    internal static bool IsRouteExcluded(string route)
    {
        foreach (var pattern in ExcludedRoutes)
        {
            if (Piwik.Generator.Analyzers.RouteText.IsExcludedBy(pattern, route))
            {
                return true;
            }
        }

        return false;
    }
}
