using System.Collections.ObjectModel;
using System.ComponentModel;

namespace Piwik;

/// <summary>
/// One row of an application's tracking plan: an endpoint whose handler carries <see cref="TrackAsAttribute"/>, as the
/// Piwik source generator saw it at compile time. The generator lists every such endpoint of the application in
/// <c>PiwikTrackingPlan.Endpoints</c>, a class it generates in the project's root namespace.
/// </summary>
/// <remarks>
/// <para>
/// Each row is one Matomo event: its category is <see cref="Category"/> (or <see cref="PiwikOptions.DefaultCategory"/>
/// when null) and its action is <see cref="Action"/> on success, <see cref="FailureAction"/> on a 4xx answer. To count
/// it as a Matomo goal, add a goal triggered by "Send an event" where the Event Action is exactly <see cref="Action"/>
/// (a Matomo goal matches one attribute, so keep actions unique across categories, or match the category instead).
/// See <c>docs/tracking-plan.md</c>.
/// </para>
/// <para>Instances are created by generated code; the constructor is not meant to be called directly.</para>
/// </remarks>
public sealed class TrackedEndpointInfo
{
    /// <summary>Creates a row. Called by generated code.</summary>
    /// <param name="httpMethods">The HTTP methods, upper case; empty when the endpoint accepts any method.</param>
    /// <param name="route">The route pattern, group prefix included when it is known.</param>
    /// <param name="isRouteComplete">Whether <paramref name="route"/> is the endpoint's full route.</param>
    /// <param name="category">The event category, or <c>null</c> for the default category.</param>
    /// <param name="action">The event action recorded on success.</param>
    /// <param name="nameTemplate">The event name template, or <c>null</c>.</param>
    /// <param name="valueTemplate">The event value template, or <c>null</c>.</param>
    /// <param name="failureAction">The event action recorded on a 4xx answer, or <c>null</c>.</param>
    /// <param name="handler">Which handler it is: <c>lambda</c>, a local function's name, or <c>Type.Method</c>.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TrackedEndpointInfo(
        string[] httpMethods,
        string route,
        bool isRouteComplete,
        string? category,
        string action,
        string? nameTemplate,
        string? valueTemplate,
        string? failureAction,
        string handler)
    {
        ArgumentNullException.ThrowIfNull(httpMethods);
        ArgumentNullException.ThrowIfNull(route);
        ArgumentNullException.ThrowIfNull(action);
        ArgumentNullException.ThrowIfNull(handler);
        HttpMethods = new ReadOnlyCollection<string>((string[])httpMethods.Clone());
        Route = route;
        IsRouteComplete = isRouteComplete;
        Category = category;
        Action = action;
        NameTemplate = nameTemplate;
        ValueTemplate = valueTemplate;
        FailureAction = failureAction;
        Handler = handler;
    }

    /// <summary>
    /// The HTTP methods the endpoint is mapped for, upper case: <c>["POST"]</c> for <c>MapPost</c>, the listed methods
    /// for <c>MapMethods</c> (<c>?</c> for one that is not a constant). Empty for <c>Map</c> and <c>MapFallback</c>,
    /// which accept any method.
    /// </summary>
    public IReadOnlyList<string> HttpMethods { get; }

    /// <summary>
    /// The route pattern as ASP.NET Core prints it, such as <c>/groups/{groupId}/members</c>: the constant
    /// <c>MapGroup</c> prefixes visible in the same method, then the pattern. When <see cref="IsRouteComplete"/> is
    /// false, the pattern as passed to the <c>Map*</c> call.
    /// </summary>
    public string Route { get; }

    /// <summary>
    /// Whether <see cref="Route"/> is the endpoint's full route. False when the endpoint is mapped on a route builder
    /// whose prefix the generator cannot see (a method parameter or a field, as in a <c>MapAccountEndpoints(this
    /// IEndpointRouteBuilder)</c> extension), or when the pattern is not a constant; then <see cref="Route"/> is the
    /// relative pattern, or the pattern expression as written.
    /// </summary>
    public bool IsRouteComplete { get; }

    /// <summary>
    /// The event category (<see cref="TrackAsAttribute.Category"/>), or <c>null</c> when the endpoint uses
    /// <see cref="PiwikOptions.DefaultCategory"/>, which is only known at run time (default <c>api</c>).
    /// </summary>
    public string? Category { get; }

    /// <summary>The event action recorded when the endpoint succeeds (<see cref="TrackAsAttribute.Action"/>).</summary>
    public string Action { get; }

    /// <summary>The event name template as written (<see cref="TrackAsAttribute.Name"/>), or <c>null</c> when events have no name.</summary>
    public string? NameTemplate { get; }

    /// <summary>The event value template as written (<see cref="TrackAsAttribute.Value"/>), or <c>null</c> when events have no value.</summary>
    public string? ValueTemplate { get; }

    /// <summary>
    /// The event action recorded when the endpoint answers with a 4xx status (<see cref="TrackAsAttribute.FailureAction"/>),
    /// or <c>null</c> when failures are not recorded.
    /// </summary>
    public string? FailureAction { get; }

    /// <summary>
    /// Which handler serves the endpoint, to find it in the code: <c>lambda</c> for a lambda passed inline, the name of a
    /// local function, or <c>Type.Method</c> for a method group.
    /// </summary>
    public string Handler { get; }

    /// <summary>One line for logs and plan snapshots: <c>POST /signup: account/signup</c>, with <c>(default)</c> for a null category.</summary>
    /// <returns>The methods, route, category and action.</returns>
    public override string ToString()
    {
        var methods = HttpMethods.Count == 0 ? "ANY" : string.Join(",", HttpMethods);
        var route = IsRouteComplete ? Route : Route + " (relative)";
        var failure = FailureAction is null ? string.Empty : " | " + FailureAction;
        return $"{methods} {route}: {Category ?? "(default)"}/{Action}{failure}";
    }
}
