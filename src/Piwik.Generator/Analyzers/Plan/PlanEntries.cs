using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;
using Piwik.Shared.TrackingPlanFile;

namespace Piwik.Generator.Analyzers.Plan;

/// <summary>An entry the code gives for the plan file: its line, and where in the code it comes from.</summary>
internal sealed record CodeEntry(PlanLine Line, Location Location);

/// <summary>
/// The entries of the plan file as the code gives them, one producer per kind. The line format and the comparison are
/// the same for every kind (<see cref="PlanLine"/>, <see cref="PlanFileComparison"/>), so a new kind is one producer added
/// to <see cref="Producers"/>.
/// </summary>
internal static class PlanEntries
{
    private static readonly Func<IReadOnlyList<PlanEndpoint>, IReadOnlyList<HitEndpoint>, IEnumerable<CodeEntry>>[] Producers =
    {
        static (events, _) => Events(events),
        static (events, _) => Goals(events),
        static (_, hits) => HitEntries.Orders(hits),
        static (_, hits) => HitEntries.Searches(hits),
        static (_, hits) => HitEntries.Dimensions(hits),
    };

    /// <summary>Every entry, one per (kind, key); the first endpoint in source order wins where two disagree (PIWIK009, PIWIK034 report that).</summary>
    public static Dictionary<(string Kind, string Key), CodeEntry> From(IEnumerable<PlanEndpoint> endpoints, IEnumerable<HitEndpoint> hits)
    {
        var ordered = InSourceOrder(endpoints);
        var orderedHits = hits
            .OrderBy(static e => e.Location.SourceTree?.FilePath, StringComparer.Ordinal)
            .ThenBy(static e => e.Location.SourceSpan.Start)
            .ToList();
        var entries = new Dictionary<(string, string), CodeEntry>();
        foreach (var produce in Producers)
        {
            foreach (var entry in produce(ordered, orderedHits))
            {
                var key = (entry.Line.Kind, entry.Line.EscapedKey);
                if (!entries.ContainsKey(key))
                {
                    entries.Add(key, entry);
                }
            }
        }

        return entries;
    }

    /// <summary>Endpoints ordered by file and position, so every build picks the same first one.</summary>
    public static List<PlanEndpoint> InSourceOrder(IEnumerable<PlanEndpoint> endpoints) => endpoints
        .OrderBy(static e => e.Location.SourceTree?.FilePath, StringComparer.Ordinal)
        .ThenBy(static e => e.Location.SourceSpan.Start)
        .ToList();

    /// <summary><c>event category/action | routes: ... | name: ... | value: ... | failure: ... | goal: ...</c>, one per pair.</summary>
    private static IEnumerable<CodeEntry> Events(IReadOnlyList<PlanEndpoint> endpoints)
    {
        foreach (var pair in endpoints.GroupBy(static e => PlanLine.EventKey(e.TrackAs.Category, e.TrackAs.Action!)))
        {
            var first = pair.First().TrackAs;
            var routes = string.Join(", ", pair.Select(static e => e.Route).Distinct().OrderBy(static r => r, StringComparer.Ordinal));
            var line = PlanLine.Create(
                PlanLine.EventKind,
                pair.Key,
                ("routes", routes),
                ("name", first.Name),
                ("value", first.Value),
                ("failure", first.FailureAction),
                ("goal", GoalName(first)));
            yield return new CodeEntry(line, pair.First().Location);
        }
    }

    /// <summary><c>goal Name | category: ... | action: ... | revenue: event value</c>, one per goal name.</summary>
    private static IEnumerable<CodeEntry> Goals(IReadOnlyList<PlanEndpoint> endpoints)
    {
        foreach (var goal in endpoints.Where(static e => GoalName(e.TrackAs) is not null).GroupBy(static e => GoalName(e.TrackAs)!))
        {
            var first = goal.First().TrackAs;
            var line = PlanLine.Create(
                PlanLine.GoalKind,
                PlanLine.Escape(goal.Key),
                ("category", first.Category ?? PlanLine.DefaultCategory),
                ("action", first.Action),
                ("revenue", first.Value is null ? null : "event value"));
            yield return new CodeEntry(line, first.ArgumentLocation("Goal"));
        }
    }

    /// <summary>The goal name, or null for none (or only whitespace, which Matomo would refuse).</summary>
    public static string? GoalName(TrackAsInfo trackAs) => string.IsNullOrWhiteSpace(trackAs.Goal) ? null : trackAs.Goal;
}
