namespace Piwik;

/// <summary>
/// Marks a minimal-API handler (a lambda, a method or a local function) as a tracked endpoint: each
/// successful request to it is recorded as one Matomo event (category, action, name, value).
/// </summary>
/// <remarks>
/// <para>
/// <see cref="Name"/> and <see cref="Value"/> are templates: <c>{x}</c> is the route parameter or handler
/// parameter named <c>x</c>; <c>{p.A.B}</c> is the member path <c>A.B</c> on handler parameter <c>p</c>.
/// <see cref="Value"/> must resolve to a number. The Piwik source generator binds templates at compile time,
/// so no reflection runs over your types.
/// </para>
/// <para>
/// By default an event is recorded only when the endpoint answers 2xx. Set <see cref="FailureAction"/> to
/// record a different action when it answers 4xx.
/// </para>
/// </remarks>
/// <example><code>app.MapPost("/signup", [TrackAs("signup", Category = "account", Name = "{request.Plan}")] (SignupRequest request) => ...);</code></example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class TrackAsAttribute : Attribute
{
    /// <summary>Creates the attribute.</summary>
    /// <param name="action">The Matomo event action (<c>e_a</c>), for example <c>signup</c>. Must not be empty.</param>
    public TrackAsAttribute(string action) => Action = action;

    /// <summary>The Matomo event action (<c>e_a</c>) recorded when the endpoint succeeds.</summary>
    public string Action { get; }

    /// <summary>
    /// The Matomo event category (<c>e_c</c>). Default: <c>null</c>, meaning <see cref="PiwikOptions.DefaultCategory"/>.
    /// </summary>
    public string? Category { get; set; }

    /// <summary>
    /// The event name template (<c>e_n</c>), for example <c>{groupId}</c> or <c>{request.Plan}</c>. Default: <c>null</c> (no name).
    /// </summary>
    public string? Name { get; set; }

    /// <summary>
    /// The event value template (<c>e_v</c>); it must resolve to a number, for example <c>{order.Total}</c>. Default: <c>null</c> (no value).
    /// </summary>
    public string? Value { get; set; }

    /// <summary>
    /// The action recorded instead of <see cref="Action"/> when the endpoint answers 4xx, for example <c>login-failed</c>.
    /// Default: <c>null</c>, meaning failed requests are not recorded.
    /// </summary>
    public string? FailureAction { get; set; }

    /// <summary>
    /// Whether a redirect (3xx) the endpoint answers is a success, recorded as <see cref="Action"/> like a 2xx answer: for
    /// an endpoint that answers a form it accepted with a redirect (Post/Redirect/Get, a login that signs in and
    /// redirects). Default: <c>false</c>, meaning a redirect records nothing. Applies to the endpoint's order and search
    /// too. A redirect made by middleware before the endpoint ran (to a login page, to HTTPS) records nothing either way.
    /// </summary>
    public bool RedirectIsSuccess { get; set; }

    /// <summary>
    /// The name of a Matomo goal that this event converts, for example <c>Sign-ups</c>. Default: <c>null</c> (not a goal).
    /// </summary>
    /// <remarks>
    /// Nothing changes when a request is recorded: Matomo converts the goal itself when the event arrives, once the goal
    /// exists. <c>piwik goals sync</c> creates it from the tracking plan file as a goal that matches this event's action
    /// exactly, with the event value as revenue when <see cref="Value"/> is set. Matomo matches the action in every
    /// category, so the analyzer reports a goal whose action another category also uses (PIWIK033).
    /// </remarks>
    public string? Goal { get; set; }
}
