namespace Piwik.Generator.Model;

/// <summary>One <c>Map*</c> call whose handler has <c>[TrackAs]</c>: a row of the tracking plan.</summary>
/// <param name="HttpMethods">Upper-case methods; empty for any method (<c>Map</c>, <c>MapFallback</c>); <c>?</c> for one that is not a constant.</param>
/// <param name="Route">The full route when <paramref name="IsRouteComplete"/>, else the pattern as written.</param>
/// <param name="IsRouteComplete">Whether every group prefix and the pattern are visible constants.</param>
/// <param name="Category">The attribute's <c>Category</c>, or null.</param>
/// <param name="Action">The attribute's action.</param>
/// <param name="NameTemplate">The <c>Name</c> template as written, or null.</param>
/// <param name="ValueTemplate">The <c>Value</c> template as written, or null.</param>
/// <param name="FailureAction">The attribute's <c>FailureAction</c>, or null.</param>
/// <param name="Handler"><c>lambda</c>, a local function's name, or <c>Type.Method</c>.</param>
internal sealed record TrackedEndpointSpec(
    EquatableArray<string> HttpMethods,
    string Route,
    bool IsRouteComplete,
    string? Category,
    string Action,
    string? NameTemplate,
    string? ValueTemplate,
    string? FailureAction,
    string Handler);
