using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis.Diagnostics;

namespace Piwik.Generator.Analyzers.Plan;

/// <summary>
/// The compilation-end rules over the tracking plan: goals (PIWIK033, PIWIK034) always, the plan file (PIWIK030-PIWIK032)
/// when the project has one. Fed by <see cref="TrackingAnalyzer"/> with the tracked <c>Map*</c> calls it has already
/// resolved, so the plan costs no second walk over the code.
/// </summary>
internal static class TrackingPlanChecks
{
    public static void Report(CompilationAnalysisContext context, IEnumerable<PlanEndpoint> endpoints, IEnumerable<HitEndpoint> hits)
    {
        var ordered = PlanEntries.InSourceOrder(endpoints.Where(static e => !string.IsNullOrWhiteSpace(e.TrackAs.Action)));
        GoalChecks.Report(ordered, context.ReportDiagnostic);

        if (PlanFileComparison.Find(context.Options.AdditionalFiles) is { } file)
        {
            PlanFileComparison.Report(file, PlanEntries.From(ordered, hits), context.ReportDiagnostic, context.CancellationToken);
        }
    }
}
