using System;
using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Piwik.Generator.Analyzers.Plan;

/// <summary>
/// PIWIK033 and PIWIK034: what makes a goal made from an event count the wrong thing. Matomo matches such a goal on
/// the event action alone, in every category (verified on Matomo 5.1.2).
/// </summary>
internal static class GoalChecks
{
    public static void Report(IReadOnlyList<PlanEndpoint> ordered, Action<Diagnostic> report)
    {
        // Every category that records each action, failure actions included: Matomo matches those too.
        var categoriesByAction = new Dictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var endpoint in ordered)
        {
            var category = endpoint.TrackAs.Category ?? Shared.TrackingPlanFile.PlanLine.DefaultCategory;
            Add(endpoint.TrackAs.Action, category);
            Add(endpoint.TrackAs.FailureAction, category);
        }

        var reported = new HashSet<Location>();
        var actionByGoal = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var endpoint in ordered)
        {
            var trackAs = endpoint.TrackAs;
            if (PlanEntries.GoalName(trackAs) is not { } goal || string.IsNullOrWhiteSpace(trackAs.Action))
            {
                continue;
            }

            var location = trackAs.ArgumentLocation("Goal");
            if (!reported.Add(location))
            {
                // One handler mapped on several routes: say it once.
                continue;
            }

            var category = trackAs.Category ?? Shared.TrackingPlanFile.PlanLine.DefaultCategory;
            var other = categoriesByAction[trackAs.Action!].FirstOrDefault(c => c != category);
            if (other is not null)
            {
                report(Diagnostic.Create(DiagnosticDescriptors.GoalActionNotUnique, location, goal, trackAs.Action, other));
            }

            if (!actionByGoal.TryGetValue(goal, out var firstAction))
            {
                actionByGoal.Add(goal, trackAs.Action!);
            }
            else if (firstAction != trackAs.Action)
            {
                report(Diagnostic.Create(DiagnosticDescriptors.GoalNameOnTwoActions, location, goal, trackAs.Action, firstAction));
            }
        }

        void Add(string? action, string category)
        {
            if (string.IsNullOrWhiteSpace(action))
            {
                return;
            }

            if (!categoriesByAction.TryGetValue(action!, out var categories))
            {
                categoriesByAction.Add(action!, categories = new List<string>());
            }

            if (!categories.Contains(category))
            {
                categories.Add(category);
            }
        }
    }
}
