using System.Collections.ObjectModel;
using System.ComponentModel;

namespace Piwik;

/// <summary>
/// One row of an application's tracking plan: an endpoint whose handler carries <see cref="TrackAsAttribute"/>,
/// <see cref="TrackOrderAttribute"/>, <see cref="TrackSearchAttribute"/> or <see cref="TrackDimensionAttribute"/>, as
/// the Piwik source generator saw it at compile time. The generator lists every such endpoint of the application in
/// <c>PiwikTrackingPlan.Endpoints</c>, a class it generates in the project's root namespace.
/// </summary>
/// <remarks>
/// <para>
/// A row with an <see cref="Action"/> is a Matomo event: its category is <see cref="Category"/> (or
/// <see cref="PiwikOptions.DefaultCategory"/> when null) and its action is <see cref="Action"/> on success,
/// <see cref="FailureAction"/> on a 4xx answer. To count it as a Matomo goal, add a goal triggered by "Send an event"
/// where the Event Action is exactly <see cref="Action"/> (a Matomo goal matches one attribute, so keep actions unique
/// across categories, or match the category instead). See <c>docs/tracking-plan.md</c>.
/// </para>
/// <para>
/// A row may also, or instead, record an ecommerce order (<see cref="Order"/>) and a site search (<see cref="Search"/>),
/// and set custom dimensions on its hits (<see cref="Dimensions"/>). A row without <c>[TrackAs]</c> has a null
/// <see cref="Action"/>: filter on <c>Action is not null</c> for the events alone.
/// </para>
/// <para>Instances are created by generated code; the constructors are not meant to be called directly.</para>
/// </remarks>
public sealed class TrackedEndpointInfo
{
    private static readonly TrackedDimensionInfo[] NoDimensions = [];

    /// <summary>Creates a row of a <c>[TrackAs]</c> endpoint without order, search or dimensions. Kept for callers of earlier releases.</summary>
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
        : this(httpMethods, route, isRouteComplete, category, action ?? throw new ArgumentNullException(nameof(action)), nameTemplate, valueTemplate, failureAction, handler, null, null, null)
    {
    }

    /// <summary>Creates a row. Called by the runtime when it reads the generated plan.</summary>
    /// <param name="httpMethods">The HTTP methods, upper case; empty when the endpoint accepts any method.</param>
    /// <param name="route">The route pattern, group prefix included when it is known.</param>
    /// <param name="isRouteComplete">Whether <paramref name="route"/> is the endpoint's full route.</param>
    /// <param name="category">The event category, or <c>null</c> for the default category or no event.</param>
    /// <param name="action">The event action recorded on success, or <c>null</c> when the handler has no <c>[TrackAs]</c>.</param>
    /// <param name="nameTemplate">The event name template, or <c>null</c>.</param>
    /// <param name="valueTemplate">The event value template, or <c>null</c>.</param>
    /// <param name="failureAction">The event action recorded on a 4xx answer, or <c>null</c>.</param>
    /// <param name="handler">Which handler it is: <c>lambda</c>, a local function's name, or <c>Type.Method</c>.</param>
    /// <param name="order">The order the endpoint records, or <c>null</c>.</param>
    /// <param name="search">The site search the endpoint records, or <c>null</c>.</param>
    /// <param name="dimensions">The custom dimensions of the endpoint's hits, by ascending id; <c>null</c> or empty for none.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TrackedEndpointInfo(
        string[] httpMethods,
        string route,
        bool isRouteComplete,
        string? category,
        string? action,
        string? nameTemplate,
        string? valueTemplate,
        string? failureAction,
        string handler,
        TrackedOrderInfo? order,
        TrackedSearchInfo? search,
        TrackedDimensionInfo[]? dimensions)
    {
        ArgumentNullException.ThrowIfNull(httpMethods);
        ArgumentNullException.ThrowIfNull(route);
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
        Order = order;
        Search = search;
        Dimensions = new ReadOnlyCollection<TrackedDimensionInfo>(dimensions is { Length: > 0 } ? (TrackedDimensionInfo[])dimensions.Clone() : NoDimensions);
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
    /// <see cref="PiwikOptions.DefaultCategory"/>, which is only known at run time (default <c>api</c>). Also <c>null</c>
    /// when the endpoint records no event (<see cref="Action"/> is <c>null</c>).
    /// </summary>
    public string? Category { get; }

    /// <summary>
    /// The event action recorded when the endpoint succeeds (<see cref="TrackAsAttribute.Action"/>), or <c>null</c> when
    /// the handler has no <c>[TrackAs]</c> and the row is listed for its <see cref="Order"/>, <see cref="Search"/> or
    /// <see cref="Dimensions"/> alone.
    /// </summary>
    public string? Action { get; }

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

    /// <summary>The ecommerce order the endpoint records when it succeeds (<see cref="TrackOrderAttribute"/>), or <c>null</c>.</summary>
    public TrackedOrderInfo? Order { get; }

    /// <summary>The site search the endpoint records when it succeeds (<see cref="TrackSearchAttribute"/>), or <c>null</c>.</summary>
    public TrackedSearchInfo? Search { get; }

    /// <summary>
    /// The custom dimensions the endpoint sets on every hit it records (<see cref="TrackDimensionAttribute"/>), by
    /// ascending id; empty when it sets none.
    /// </summary>
    public IReadOnlyList<TrackedDimensionInfo> Dimensions { get; }

    /// <summary>
    /// One line for logs and plan snapshots: <c>POST /signup: account/signup</c>, with <c>(default)</c> for a null
    /// category and the failure action after <c>|</c>; then, each after <c>+</c>, the order, search and dimensions:
    /// <c>POST /billing/upgrade: billing/upgrade + order {result.OrderId}</c>, <c>GET /groups/search: search {q}</c>.
    /// </summary>
    /// <returns>The methods, route, and what the endpoint records.</returns>
    public override string ToString()
    {
        var methods = HttpMethods.Count == 0 ? "ANY" : string.Join(",", HttpMethods);
        var route = IsRouteComplete ? Route : Route + " (relative)";
        var parts = new List<string>(2 + Dimensions.Count);
        if (Action is not null)
        {
            parts.Add($"{Category ?? "(default)"}/{Action}{(FailureAction is null ? string.Empty : " | " + FailureAction)}");
        }

        if (Order is not null)
        {
            parts.Add(Order.ToString());
        }

        if (Search is not null)
        {
            parts.Add(Search.ToString());
        }

        parts.AddRange(Dimensions.Select(static d => d.ToString()));
        return $"{methods} {route}: {string.Join(" + ", parts)}";
    }
}
