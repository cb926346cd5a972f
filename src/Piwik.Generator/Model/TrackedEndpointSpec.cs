namespace Piwik.Generator.Model;

/// <summary>One <c>Map*</c> call whose handler has <c>[TrackAs]</c>, <c>[TrackOrder]</c>, <c>[TrackSearch]</c> or <c>[TrackDimension]</c>: a row of the tracking plan.</summary>
/// <param name="HttpMethods">Upper-case methods; empty for any method (<c>Map</c>, <c>MapFallback</c>); <c>?</c> for one that is not a constant.</param>
/// <param name="Route">The full route when <paramref name="IsRouteComplete"/>, else the pattern as written.</param>
/// <param name="IsRouteComplete">Whether every group prefix and the pattern are visible constants.</param>
/// <param name="Category">The <c>[TrackAs]</c> <c>Category</c>, or null.</param>
/// <param name="Action">The <c>[TrackAs]</c> action, or null without <c>[TrackAs]</c>.</param>
/// <param name="NameTemplate">The <c>Name</c> template as written, or null.</param>
/// <param name="ValueTemplate">The <c>Value</c> template as written, or null.</param>
/// <param name="FailureAction">The attribute's <c>FailureAction</c>, or null.</param>
/// <param name="Handler"><c>lambda</c>, a local function's name, or <c>Type.Method</c>.</param>
/// <param name="Order">The <c>[TrackOrder]</c> templates, or null.</param>
/// <param name="Search">The <c>[TrackSearch]</c> templates, or null.</param>
/// <param name="Dimensions">The <c>[TrackDimension]</c>s, by ascending id (then value).</param>
internal sealed record TrackedEndpointSpec(
    EquatableArray<string> HttpMethods,
    string Route,
    bool IsRouteComplete,
    string? Category,
    string? Action,
    string? NameTemplate,
    string? ValueTemplate,
    string? FailureAction,
    string Handler,
    OrderSpec? Order,
    SearchSpec? Search,
    EquatableArray<DimensionSpec> Dimensions);

/// <summary>A <c>[TrackOrder]</c>'s templates as written, each null when not set.</summary>
internal sealed record OrderSpec(string? Id, string? Revenue, string? Subtotal, string? Tax, string? Shipping, string? Discount, string? Items);

/// <summary>A <c>[TrackSearch]</c>'s templates as written, each null when not set.</summary>
internal sealed record SearchSpec(string? Keyword, string? Category, string? Count);

/// <summary>A <c>[TrackDimension]</c>: its id and value template (empty when written as null).</summary>
internal sealed record DimensionSpec(int Id, string Value);
