using System.ComponentModel;
using Microsoft.AspNetCore.Http;
using Piwik.Shared;

namespace Piwik.Infrastructure;

/// <summary>The descriptors registered by generated code (from module initializers) in this process.</summary>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TrackedHandlerRegistry
{
    private static readonly object Gate = new();
    private static TrackedHandler[] _handlers = [];
    private static Dictionary<string, TrackedHandler[]>? _byAction;
    private static string[] _excludedRoutes = [];
    private static string[] _rejectedTables = [];

    /// <summary>
    /// Registers the descriptors of a generated table: a format-version line, then one row per handler, in the layout of
    /// the generated file's header. Called by generated code from a module initializer; never throws there: a table of
    /// another format version (a generator of another release) or one that does not read is left out, and start-up
    /// logs it once and tracks those handlers from their attributes.
    /// </summary>
    /// <param name="table">
    /// <c>#piwik-table N</c>, then one line per handler, fields separated by <c>|</c> (<c>~</c> for <c>null</c>, <c>\</c>
    /// escapes): <c>description|category|action|failureAction|nameTemplate|valueTemplate|name|value|nameBindings|valueBindings</c>,
    /// then <c>|type|parameterName</c> for each parameter. <c>name</c> and <c>value</c> are indexes into
    /// <paramref name="accessors"/>, empty for none; <c>type</c> is an index into <paramref name="types"/>; the
    /// description (where the handler is) is for readers of the generated code.
    /// </param>
    /// <param name="types">The parameter types the rows refer to, each once.</param>
    /// <param name="accessors">The name and value accessors the rows refer to, each once.</param>
    /// <param name="origin">
    /// The assembly whose handlers the table describes: a handler is matched first to its own assembly's rows (two
    /// assemblies may have handlers with the same attribute and parameter types, and their accessors read their own types).
    /// </param>
    public static void RegisterTable(string table, Type[] types, Func<EndpointFilterInvocationContext, TrackedValue>[] accessors, System.Reflection.Assembly? origin = null)
    {
        TrackedHandler[] handlers;
        try
        {
            ArgumentNullException.ThrowIfNull(table);
            ArgumentNullException.ThrowIfNull(types);
            ArgumentNullException.ThrowIfNull(accessors);
            handlers = ReadTable(table, types, accessors, origin);
        }
        catch (Exception exception)
        {
            // A module initializer that throws makes the whole assembly unusable (TypeInitializationException): remember why, and go on.
            lock (Gate)
            {
                _rejectedTables = [.. _rejectedTables, exception.Message];
            }

            return;
        }

        lock (Gate)
        {
            _handlers = [.. _handlers, .. handlers];
            _byAction = null;
        }
    }

    private static TrackedHandler[] ReadTable(string table, Type[] types, Func<EndpointFilterInvocationContext, TrackedValue>[] accessors, System.Reflection.Assembly? origin)
    {
        var rows = GeneratedTable.Rows(table);
        var header = rows.Count == 0 ? null : rows[0].Next();
        if (header != TableFormat.Header)
        {
            var found = header is not null && header.StartsWith(TableFormat.HeaderPrefix, StringComparison.Ordinal)
                ? "format " + header[TableFormat.HeaderPrefix.Length..]
                : "no format version (format 1)";
            throw new FormatException(
                $"The generated Piwik table has {found}; this Piwik.Runtime reads format {TableFormat.Version}. The generator and the runtime come from different Piwik releases: restore one Piwik package and rebuild.");
        }

        var handlers = new TrackedHandler[rows.Count - 1];
        for (var r = 1; r < rows.Count; r++)
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
            var nameBindings = Bindings(row.Next());
            var valueBindings = Bindings(row.Next());
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

            handlers[r - 1] = new TrackedHandler(
                category, action, failureAction, nameTemplate, valueTemplate, [.. parameterTypes], [.. parameterNames], name, value, nameBindings, valueBindings)
            {
                Origin = origin,
            };
        }

        return handlers;

        Func<EndpointFilterInvocationContext, TrackedValue>? Accessor(int index) => index switch
        {
            -1 => null,
            _ when index < accessors.Length => accessors[index],
            _ => throw new FormatException($"A generated Piwik table row refers to accessor {index} of {accessors.Length}."),
        };

        static List<PlaceholderBinding>? Bindings(string? text) =>
            text is null ? null : PlaceholderBinding.ParseAll(text) ?? throw new FormatException($"A generated Piwik table row has malformed bindings '{text}'.");
    }

    /// <summary>Why generated tables were left out (another format version, or unreadable), for the start-up warning.</summary>
    internal static IReadOnlyList<string> RejectedTables => Volatile.Read(ref _rejectedTables);

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
            if (RouteText.IsExcludedBy(pattern, route))
            {
                return true;
            }
        }

        return false;
    }
}
