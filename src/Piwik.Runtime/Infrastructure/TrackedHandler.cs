using System.ComponentModel;
using Microsoft.AspNetCore.Http;

namespace Piwik.Infrastructure;

/// <summary>
/// What the Piwik source generator knows at compile time about one <see cref="TrackAsAttribute"/> handler: its
/// constant category and actions, and typed accessors for its name and value templates. Generated code registers one
/// per handler through <see cref="TrackedHandlerRegistry.RegisterTable"/>; <c>app.UsePiwikTracking()</c> matches them
/// to endpoints.
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
    private static Dictionary<string, TrackedHandler[]>? _byAction;
    private static string[] _excludedRoutes = [];

    /// <summary>Registers a descriptor. Called by generated code from a module initializer.</summary>
    /// <param name="handler">The descriptor.</param>
    public static void Register(TrackedHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        lock (Gate)
        {
            _handlers = [.. _handlers, handler];
            _byAction = null;
        }
    }

    /// <summary>
    /// Registers the descriptors of a generated table: one row per handler, in the layout of the generated file's
    /// header. Called by generated code from a module initializer; a table is much cheaper to compile than a
    /// <see cref="Register"/> statement per handler.
    /// </summary>
    /// <param name="table">
    /// One line per handler, fields separated by <c>|</c> (<c>~</c> for <c>null</c>, <c>\</c> escapes):
    /// <c>description|category|action|failureAction|nameTemplate|valueTemplate|name|value</c>, then
    /// <c>|type|parameterName</c> for each parameter. <c>name</c> and <c>value</c> are indexes into
    /// <paramref name="accessors"/>, empty for none; <c>type</c> is an index into <paramref name="types"/>; the
    /// description (where the handler is) is for readers of the generated code.
    /// </param>
    /// <param name="types">The parameter types the rows refer to, each once.</param>
    /// <param name="accessors">The name and value accessors the rows refer to, each once.</param>
    /// <exception cref="FormatException">A row does not have the layout above.</exception>
    public static void RegisterTable(string table, Type[] types, Func<EndpointFilterInvocationContext, TrackedValue>[] accessors)
    {
        ArgumentNullException.ThrowIfNull(table);
        ArgumentNullException.ThrowIfNull(types);
        ArgumentNullException.ThrowIfNull(accessors);
        var rows = GeneratedTable.Rows(table);
        var handlers = new TrackedHandler[rows.Count];
        for (var r = 0; r < rows.Count; r++)
        {
            var row = rows[r];
            _ = row.Next(); // description
            var category = row.Next();
            var action = row.NextText();
            var failureAction = row.Next();
            var nameTemplate = row.Next();
            var valueTemplate = row.Next();
            var name = Accessor(row.NextIndex());
            var value = Accessor(row.NextIndex());
            var parameterTypes = new List<Type>();
            var parameterNames = new List<string>();
            while (row.HasMore)
            {
                var type = row.NextIndex();
                parameterTypes.Add(type >= 0 && type < types.Length
                    ? types[type]
                    : throw new FormatException($"A generated Piwik table row refers to parameter type {type} of {types.Length}."));
                parameterNames.Add(row.NextText());
            }

            handlers[r] = new TrackedHandler(category, action, failureAction, nameTemplate, valueTemplate, [.. parameterTypes], [.. parameterNames], name, value);
        }

        lock (Gate)
        {
            _handlers = [.. _handlers, .. handlers];
            _byAction = null;
        }

        Func<EndpointFilterInvocationContext, TrackedValue>? Accessor(int index) => index switch
        {
            -1 => null,
            _ when index < accessors.Length => accessors[index],
            _ => throw new FormatException($"A generated Piwik table row refers to accessor {index} of {accessors.Length}."),
        };
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

    /// <summary>
    /// The registered descriptors with this action, in registration order: start-up matches each endpoint against
    /// these, not against every descriptor (1,000 endpoints would otherwise make a million comparisons).
    /// </summary>
    internal static IReadOnlyList<TrackedHandler> WithAction(string? action)
    {
        if (action is null)
        {
            return [];
        }

        var index = Volatile.Read(ref _byAction) ?? BuildIndex();
        return index.TryGetValue(action, out var handlers) ? handlers : [];
    }

    private static Dictionary<string, TrackedHandler[]> BuildIndex()
    {
        lock (Gate)
        {
            if (_byAction is { } built)
            {
                return built;
            }

            var index = _handlers
                .GroupBy(static h => h.Action, StringComparer.Ordinal)
                .ToDictionary(static g => g.Key, static g => g.ToArray(), StringComparer.Ordinal);
            Volatile.Write(ref _byAction, index);
            return index;
        }
    }

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
