using System.ComponentModel;
using System.Reflection;
using Microsoft.AspNetCore.Http;
using Piwik.Shared;

namespace Piwik.Infrastructure;

/// <summary>
/// The accessors generated for <see cref="TrackOrderAttribute"/>, <see cref="TrackSearchAttribute"/> and
/// <see cref="TrackDimensionAttribute"/> handlers, registered by generated code from a module initializer;
/// <c>app.UsePiwikTracking()</c> matches them to endpoints by the attributes' templates and the parameter types.
/// </summary>
/// <remarks>Infrastructure for generated code; not meant to be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class HitHandlerRegistry
{
    private static readonly object Gate = new();
    private static HitHandler[] _handlers = [];

    /// <summary>Registers one handler's accessors. Called by generated code; never throws.</summary>
    /// <param name="key">The attributes' key, as the generator computed it.</param>
    /// <param name="parameterTypes">The handler's parameter types, in order.</param>
    /// <param name="parameterNames">The handler's parameter names, in order.</param>
    /// <param name="accessors">One per template slot (order, search, then dimensions by id); null where there is no template or it does not bind.</param>
    /// <param name="readsResult">Whether an accessor reads the handler's result (<c>{result.Count}</c>): the endpoint filter then keeps it.</param>
    /// <param name="items">The accessor of the order's <see cref="TrackOrderAttribute.Items"/>, or null.</param>
    /// <param name="origin">The assembly of the handler: a handler is matched first to its own assembly's registrations.</param>
    public static void Register(
        string key,
        Type[] parameterTypes,
        string[] parameterNames,
        Func<EndpointFilterInvocationContext, TrackedValue>?[] accessors,
        bool readsResult = false,
        Func<EndpointFilterInvocationContext, TrackedOrderLine[]?>? items = null,
        Assembly? origin = null)
    {
        if (key is null || parameterTypes is null || parameterNames is null || accessors is null || parameterTypes.Length != parameterNames.Length)
        {
            return; // a module initializer that throws makes the whole assembly unusable
        }

        lock (Gate)
        {
            _handlers = [.. _handlers, new HitHandler(key, parameterTypes, parameterNames, accessors, readsResult, items, origin)];
        }
    }

    /// <summary>The registered handler for this method's attributes and parameters, or null.</summary>
    internal static HitHandler? Match(MethodInfo method, HitAttributes attributes)
    {
        var parameters = method.GetParameters();
        HitHandler? best = null;
        var bestRank = 0;
        foreach (var candidate in Volatile.Read(ref _handlers))
        {
            if (candidate.Key != attributes.Key || candidate.ParameterTypes.Length != parameters.Length)
            {
                continue;
            }

            var sameTypes = true;
            for (var i = 0; i < parameters.Length; i++)
            {
                sameTypes &= candidate.ParameterTypes[i] == parameters[i].ParameterType;
            }

            var rank = sameTypes ? Endpoints.TrackedHandlerMatcher.Rank(candidate.Origin, candidate.ParameterNames, method, parameters) : 0;
            if (rank > bestRank)
            {
                best = candidate;
                bestRank = rank;
            }
        }

        return best;
    }
}

/// <summary>One handler's generated accessors, in <see cref="HitKey"/>'s slot layout, and whether one reads the handler's result.</summary>
internal sealed record HitHandler(
    string Key,
    Type[] ParameterTypes,
    string[] ParameterNames,
    Func<EndpointFilterInvocationContext, TrackedValue>?[] Accessors,
    bool ReadsResult,
    Func<EndpointFilterInvocationContext, TrackedOrderLine[]?>? Items,
    Assembly? Origin);

/// <summary>A handler's order, search and dimension attributes, read once at start-up.</summary>
internal sealed class HitAttributes
{
    private HitAttributes(TrackOrderAttribute? order, TrackSearchAttribute? search, List<KeyValuePair<int, string?>> dimensions)
    {
        Order = order;
        Search = search;
        Dimensions = dimensions;
        var slots = HitKey.Slots(
            order is null ? null : [order.Id, order.Revenue, order.Subtotal, order.Tax, order.Shipping, order.Discount, order.Items],
            search is null ? null : [search.Keyword, search.Category, search.Count],
            dimensions);
        Key = HitKey.Build(order is not null, search is not null, dimensions, slots);
    }

    public TrackOrderAttribute? Order { get; }

    public TrackSearchAttribute? Search { get; }

    /// <summary>The dimensions by ascending id.</summary>
    public IReadOnlyList<KeyValuePair<int, string?>> Dimensions { get; }

    public string Key { get; }

    /// <summary>The method's attributes, or null when it has none of them.</summary>
    public static HitAttributes? Of(MethodInfo method)
    {
        var order = method.GetCustomAttribute<TrackOrderAttribute>();
        var search = method.GetCustomAttribute<TrackSearchAttribute>();
        var dimensions = HitKey.Sort(method.GetCustomAttributes<TrackDimensionAttribute>().Select(static d => new KeyValuePair<int, string?>(d.Id, d.Value)));
        return order is null && search is null && dimensions.Count == 0 ? null : new HitAttributes(order, search, dimensions);
    }
}
