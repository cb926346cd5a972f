using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Piwik.Shared;
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
        foreach (var endpoint in hits)
        {
            if (HitTemplates.Read(endpoint.Handler).Order is not { } order)
            {
                continue;
            }

            yield return new CodeEntry(
                PlanLine.Create(
                    OrderKind,
                    PlanLine.Escape(endpoint.Route),
                    ("id", order[HitKey.OrderId]),
                    ("revenue", order[HitKey.Revenue]),
                    ("subtotal", order[HitKey.Subtotal]),
                    ("tax", order[HitKey.Tax]),
                    ("shipping", order[HitKey.Shipping]),
                    ("discount", order[HitKey.Discount]),
                    ("items", order[HitKey.Items])),
                endpoint.Location);
        }
    }

    public static IEnumerable<CodeEntry> Searches(IReadOnlyList<HitEndpoint> hits)
    {
        foreach (var endpoint in hits)
        {
            if (HitTemplates.Read(endpoint.Handler).Search is not { } search)
            {
                continue;
            }

            yield return new CodeEntry(
                PlanLine.Create(
                    SearchKind,
                    PlanLine.Escape(endpoint.Route),
                    ("keyword", search[0]),
                    ("category", search[1]),
                    ("count", search[2])),
                endpoint.Location);
        }
    }

    public static IEnumerable<CodeEntry> Dimensions(IReadOnlyList<HitEndpoint> hits)
    {
        var byId = new SortedDictionary<int, List<(HitEndpoint Endpoint, string? Value)>>();
        foreach (var endpoint in hits)
        {
            foreach (var dimension in HitTemplates.Read(endpoint.Handler).Dimensions)
            {
                if (dimension.Key <= 0)
                {
                    continue; // PIWIK015 says why
                }

                if (!byId.TryGetValue(dimension.Key, out var uses))
                {
                    byId.Add(dimension.Key, uses = []);
                }

                uses.Add((endpoint, dimension.Value));
            }
        }

        foreach (var pair in byId)
        {
            var routes = string.Join(", ", pair.Value.Select(static u => u.Endpoint.Route).Distinct().OrderBy(static r => r, StringComparer.Ordinal));
            yield return new CodeEntry(
                PlanLine.Create(DimensionKind, pair.Key.ToString(CultureInfo.InvariantCulture), ("routes", routes), ("value", pair.Value[0].Value)),
                pair.Value[0].Endpoint.Location);
        }
    }
}
