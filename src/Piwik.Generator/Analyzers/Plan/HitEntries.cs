using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Piwik.Shared.TrackingPlanFile;

namespace Piwik.Generator.Analyzers.Plan;

/// <summary>
/// The plan file's entries for orders, searches and dimensions, from the handlers' attributes:
/// <c>order POST /checkout | id: … | revenue: … | items: …</c>, <c>search GET /search | keyword: … | count: …</c>
/// (one per route), and <c>dimension 2 | routes: … | value: …</c> (one per dimension id; the first template in source
/// order when endpoints differ).
/// </summary>
internal static class HitEntries
{
    public const string OrderKind = "order", SearchKind = "search", DimensionKind = "dimension";

    public static IEnumerable<CodeEntry> Orders(IReadOnlyList<HitEndpoint> hits)
    {
        foreach (var (endpoint, order) in With(hits, "TrackOrderAttribute"))
        {
            yield return new CodeEntry(
                PlanLine.Create(
                    OrderKind,
                    PlanLine.Escape(endpoint.Route),
                    ("id", Named(order, "Id")),
                    ("revenue", Named(order, "Revenue")),
                    ("subtotal", Named(order, "Subtotal")),
                    ("tax", Named(order, "Tax")),
                    ("shipping", Named(order, "Shipping")),
                    ("discount", Named(order, "Discount")),
                    ("items", Named(order, "Items"))),
                endpoint.Location);
        }
    }

    public static IEnumerable<CodeEntry> Searches(IReadOnlyList<HitEndpoint> hits)
    {
        foreach (var (endpoint, search) in With(hits, "TrackSearchAttribute"))
        {
            yield return new CodeEntry(
                PlanLine.Create(
                    SearchKind,
                    PlanLine.Escape(endpoint.Route),
                    ("keyword", Named(search, "Keyword")),
                    ("category", Named(search, "Category")),
                    ("count", Named(search, "Count"))),
                endpoint.Location);
        }
    }

    public static IEnumerable<CodeEntry> Dimensions(IReadOnlyList<HitEndpoint> hits)
    {
        var byId = new SortedDictionary<int, List<(HitEndpoint Endpoint, string? Value)>>();
        foreach (var (endpoint, dimension) in With(hits, "TrackDimensionAttribute"))
        {
            if (dimension.ConstructorArguments.Length != 2 || dimension.ConstructorArguments[0].Value is not int id || id <= 0)
            {
                continue; // PIWIK015 says why
            }

            if (!byId.TryGetValue(id, out var uses))
            {
                byId.Add(id, uses = []);
            }

            uses.Add((endpoint, dimension.ConstructorArguments[1].Value as string));
        }

        foreach (var pair in byId)
        {
            var routes = string.Join(", ", pair.Value.Select(static u => u.Endpoint.Route).Distinct().OrderBy(static r => r, StringComparer.Ordinal));
            yield return new CodeEntry(
                PlanLine.Create(DimensionKind, pair.Key.ToString(CultureInfo.InvariantCulture), ("routes", routes), ("value", pair.Value[0].Value)),
                pair.Value[0].Endpoint.Location);
        }
    }

    private static IEnumerable<(HitEndpoint Endpoint, AttributeData Attribute)> With(IReadOnlyList<HitEndpoint> hits, string attributeName)
    {
        foreach (var endpoint in hits)
        {
            foreach (var attribute in endpoint.Handler.GetAttributes())
            {
                if (attribute.AttributeClass is { Arity: 0, ContainingType: null, ContainingNamespace: { Name: "Piwik", ContainingNamespace.IsGlobalNamespace: true } } type
                    && type.Name == attributeName)
                {
                    yield return (endpoint, attribute);
                }
            }
        }
    }

    private static string? Named(AttributeData attribute, string name)
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
            {
                return argument.Value.Value as string;
            }
        }

        return null;
    }
}
