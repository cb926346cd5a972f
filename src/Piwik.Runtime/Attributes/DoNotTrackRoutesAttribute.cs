namespace Piwik;

/// <summary>
/// Lists route patterns of the application that are deliberately not tracked (health checks, metrics), so that their
/// handlers need neither <see cref="TrackAsAttribute"/> nor <see cref="DoNotTrackAttribute"/>. The Piwik analyzer reports
/// no PIWIK001 for an endpoint whose route (group prefix included) matches one of the patterns, and, with
/// <see cref="PiwikOptions.TrackUntrackedEndpointsAsPageViews"/>, such an endpoint records no page view (the generator
/// passes the patterns to the runtime). A <see cref="TrackAsAttribute"/> handler on such a route is still tracked.
/// </summary>
/// <remarks>
/// A pattern matches a route when both are equal ignoring case and a trailing <c>/</c>, for example <c>/health</c>
/// matches <c>app.MapGet("/health", ...)</c>. A pattern ending in <c>/*</c> also matches every route below it:
/// <c>/metrics/*</c> matches <c>/metrics</c>, <c>/metrics/cpu</c> and <c>/metrics/{name}</c>. Route parameters are
/// compared as written: <c>/orders/{id}</c> does not match <c>/orders/{orderId}</c>. Only routes the analyzer can see as
/// constants are matched; for the others use <see cref="TrackingExclusionExtensions.ExcludeFromTracking{TBuilder}"/>.
/// </remarks>
/// <example><code>[assembly: DoNotTrackRoutes("/health", "/metrics/*")]</code></example>
[AttributeUsage(AttributeTargets.Assembly, AllowMultiple = true, Inherited = false)]
public sealed class DoNotTrackRoutesAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="patterns">Route patterns such as <c>/health</c>, or <c>/metrics/*</c> for a route and everything below it.</param>
    public DoNotTrackRoutesAttribute(params string[] patterns) => Patterns = patterns ?? [];

    /// <summary>The route patterns that are not tracked, as written.</summary>
    public IReadOnlyList<string> Patterns { get; }
}
