using Microsoft.CodeAnalysis;

namespace Piwik.Generator.Analyzers.Plan;

/// <summary>
/// A <c>Map*</c> call whose handler has <c>[TrackAs]</c>, as the plan checks need it: the attribute, the route as the
/// generated <c>PiwikTrackingPlan</c> prints it (<c>POST /signup</c>, <c>ANY /x</c>, <c>... (relative)</c>), and the call.
/// </summary>
internal sealed record PlanEndpoint(TrackAsInfo TrackAs, string Route, Location Location);

/// <summary>
/// A <c>Map*</c> call whose handler has <c>[TrackOrder]</c>, <c>[TrackSearch]</c> or <c>[TrackDimension]</c>: the
/// handler (whose attributes give the entries), the route as the plan prints it, and the call.
/// </summary>
internal sealed record HitEndpoint(IMethodSymbol Handler, string Route, Location Location);
