using Microsoft.CodeAnalysis;
using Piwik.Shared;

namespace Piwik.Generator;

/// <summary>
/// Every diagnostic of the Piwik analyzer. Ids are assigned by hand and never reused or renumbered: users suppress them
/// by id in <c>.editorconfig</c>, and <c>AnalyzerReleases.*.md</c> records each release's set.
/// </summary>
internal static class DiagnosticDescriptors
{
    private const string TrackingCategory = "Piwik.Tracking";
    private const string HelpLinkBase = "https://github.com/piwik-aspnetcore/piwik/blob/main/docs/diagnostics/";

    /// <summary>
    /// PIWIK001: a minimal-API endpoint whose handler has neither <c>[TrackAs]</c> nor <c>[DoNotTrack]</c>. Arguments: the
    /// route, and <see cref="DimensionAloneHint"/> when the handler has <c>[TrackDimension]</c> (else empty).
    /// </summary>
    public static readonly DiagnosticDescriptor UntrackedRoute = Create(
        DiagnosticIds.UntrackedRoute,
        "Endpoint is not tracked",
        "Route '{0}' is not tracked: add [TrackAs] or [DoNotTrack]{1}",
        DiagnosticSeverity.Warning,
        "Every minimal-API endpoint should state whether it is tracked, so analytics stay complete as the API grows. Exclude whole groups with ExcludeFromTracking() and app-wide routes with [assembly: DoNotTrackRoutes(...)].");

    /// <summary>PIWIK001's second argument for a handler whose only tracking attribute is <c>[TrackDimension]</c>.</summary>
    internal const string DimensionAloneHint = " ([TrackDimension] alone sends nothing: a dimension goes with the endpoint's [TrackAs], [TrackSearch] or [TrackOrder] hit)";

    /// <summary>PIWIK002: a template placeholder that is neither a route parameter nor a handler parameter.</summary>
    public static readonly DiagnosticDescriptor UnknownPlaceholder = Create(
        DiagnosticIds.UnknownPlaceholder,
        "Template placeholder is not a route or handler parameter",
        "Placeholder '{{{0}}}' in the {1} template is neither a route parameter of '{2}' nor a parameter of the handler{3}",
        DiagnosticSeverity.Error,
        "The first name of a placeholder must be a route parameter or a handler parameter. Handler parameters match by exact name, route parameters ignoring case, as ASP.NET Core does.");

    /// <summary>PIWIK003: a placeholder's member path names a member that does not exist.</summary>
    public static readonly DiagnosticDescriptor MemberNotFound = Create(
        DiagnosticIds.MemberNotFound,
        "Template member path does not exist",
        "Placeholder '{{{0}}}': '{1}' is not an accessible property or field of '{2}'",
        DiagnosticSeverity.Error,
        "Each name after the first in a placeholder must be an instance property or field, accessible from the application's own code, of the type before it.");

    /// <summary>PIWIK004: a <c>Value</c> template that does not resolve to a number.</summary>
    public static readonly DiagnosticDescriptor ValueNotNumeric = Create(
        DiagnosticIds.ValueNotNumeric,
        "Value template is not numeric",
        "Value template '{0}' does not resolve to a number: {1}",
        DiagnosticSeverity.Error,
        "Matomo silently drops a non-numeric event value (e_v). A Value template must be a number, or exactly one placeholder whose type is a built-in numeric type (nullable allowed), or a route parameter with a numeric constraint such as {id:int}.");

    /// <summary>PIWIK005: an empty or whitespace action, category or failure action.</summary>
    public static readonly DiagnosticDescriptor EmptyEventPart = Create(
        DiagnosticIds.EmptyEventPart,
        "Event action or category is empty",
        "[TrackAs] {0} must not be empty or whitespace",
        DiagnosticSeverity.Error,
        "Matomo needs a non-empty category (e_c) and action (e_a) for an event, and answers 400 to whitespace. Leave Category unset to use the default category.");

    /// <summary>PIWIK006: <c>[TrackAs]</c> and <c>[DoNotTrack]</c> on the same handler.</summary>
    public static readonly DiagnosticDescriptor TrackAsAndDoNotTrack = Create(
        DiagnosticIds.TrackAsAndDoNotTrack,
        "Handler has both [TrackAs] and [DoNotTrack]",
        "'{0}' has both [TrackAs] and [DoNotTrack]: keep one",
        DiagnosticSeverity.Error,
        "A handler is either tracked or deliberately not tracked.");

    /// <summary>PIWIK007: <c>[TrackAs]</c> on a method that is never used as an endpoint handler.</summary>
    public static readonly DiagnosticDescriptor TrackAsNotAnEndpoint = Create(
        DiagnosticIds.TrackAsNotAnEndpoint,
        "[TrackAs] method is never used as an endpoint handler",
        "'{0}' has [TrackAs] but is never used as a minimal-API endpoint handler in this project{1}",
        DiagnosticSeverity.Warning,
        "[TrackAs] only records events for minimal-API route handlers (Map*(pattern, Delegate)). A method that is never passed to one records nothing. MVC controller actions are not tracked: record their events with IPiwikTracker.TrackEvent.",
        WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>PIWIK008: a literal longer than Matomo stores.</summary>
    public static readonly DiagnosticDescriptor LiteralTooLong = Create(
        DiagnosticIds.LiteralTooLong,
        "Event text is longer than Matomo stores",
        "[TrackAs] {0} is {1} UTF-8 bytes; Matomo stores at most {2}",
        DiagnosticSeverity.Warning,
        "Matomo cuts event categories, actions and names (e_c, e_a, e_n) at 1024 bytes, so longer texts are recorded truncated.");

    /// <summary>PIWIK009: the same category and action on endpoints that record different things.</summary>
    public static readonly DiagnosticDescriptor AmbiguousEvent = Create(
        DiagnosticIds.AmbiguousEvent,
        "Same event on endpoints that record different things",
        "Event '{0}' of route '{1}' is also recorded by route '{2}', which {3}: use a distinct action or the same templates",
        DiagnosticSeverity.Warning,
        "Two endpoints may share a category/action pair only when they mean the same thing: same HTTP method and the same Name and Value templates. Otherwise Matomo reports cannot tell them apart.",
        WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>PIWIK022: the project compiles with a C# version the generated code does not compile in.</summary>
    public static readonly DiagnosticDescriptor LanguageVersionTooOld = Create(
        DiagnosticIds.LanguageVersionTooOld,
        "Piwik's generated code needs C# 11 or later",
        "This project compiles with C# {0}, and Piwik's generated code needs C# 11 or later: none was generated, so templates, orders, searches, dimensions and the tracking plan would not work. Set <LangVersion> to 11 or later, or remove it (.NET 8 and later default to C# 12 or newer).",
        DiagnosticSeverity.Error,
        "The generator emits C# 11 (file-local types, raw string literals). Below that it generates nothing and this error says why, instead of compile errors in generated files.",
        WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>PIWIK023: a <c>[TrackAs]</c> handler whose declared results never answer 2xx, but may redirect.</summary>
    public static readonly DiagnosticDescriptor RedirectRecordsNothing = Create(
        DiagnosticIds.RedirectRecordsNothing,
        "[TrackAs] handler answers with a redirect, which records nothing",
        "'{0}' returns {1}, which never answers 2xx: its redirect records nothing unless [TrackAs] sets RedirectIsSuccess = true",
        DiagnosticSeverity.Warning,
        "Only a 2xx answer records the action. A handler that answers its success with a redirect (Post/Redirect/Get) says so with RedirectIsSuccess = true; without it the event is never recorded.");

    /// <summary>PIWIK010: a template that does not parse.</summary>
    public static readonly DiagnosticDescriptor InvalidTemplate = Create(
        DiagnosticIds.InvalidTemplate,
        "Template is malformed",
        "The {0} template '{1}' is malformed: {2}",
        DiagnosticSeverity.Error,
        "Placeholders are {parameter} or {parameter.Member.Member}; write {{ and }} for literal braces.");

    /// <summary>PIWIK011: <c>[TrackAs]</c> on a handler that ASP.NET Core binds as a <c>RequestDelegate</c>.</summary>
    public static readonly DiagnosticDescriptor TrackAsOnRequestDelegate = Create(
        DiagnosticIds.TrackAsOnRequestDelegate,
        "[TrackAs] on a RequestDelegate endpoint records nothing",
        "Route '{0}' binds its handler as a RequestDelegate, which Piwik cannot track: [TrackAs] records nothing here",
        DiagnosticSeverity.Warning,
        "A handler that takes only HttpContext and returns Task is bound to the Map*(pattern, RequestDelegate) overload, which is not a route handler: the tracking filter does not run. Return a result (Results.Text(...)) or take another parameter, so that the Delegate overload is chosen.");

    /// <summary>PIWIK012: a <c>Name</c> placeholder that resolves to a type that is not a scalar.</summary>
    public static readonly DiagnosticDescriptor PlaceholderNotScalar = Create(
        DiagnosticIds.PlaceholderNotScalar,
        "Template placeholder is not a scalar",
        "Placeholder '{{{0}}}' in the {1} template is of type '{2}', which is not a scalar: name one of its members instead{3}",
        DiagnosticSeverity.Error,
        "A placeholder must resolve to a string, char, bool, number, enum, Guid, DateTime, DateTimeOffset, DateOnly, TimeOnly, TimeSpan or Uri (or their nullables). A record, class, struct, collection, array, object or dynamic would be sent as its ToString(), which can hold anything (a password in a record, 'System.Int32[]' for an array).");

    /// <summary>PIWIK013: a placeholder that only an unseen outer group prefix could hold.</summary>
    public static readonly DiagnosticDescriptor PlaceholderMaybeUnbound = Create(
        DiagnosticIds.PlaceholderMaybeUnbound,
        "Template placeholder is not in the visible route",
        "Placeholder '{{{0}}}' in the {1} template is neither a parameter of the handler nor a route parameter of '{2}'; only an outer group prefix the analyzer cannot see could hold it{3}",
        DiagnosticSeverity.Warning,
        "The route is mapped on a builder from outside the method (an extension method's IEndpointRouteBuilder or RouteGroupBuilder), so its outer prefix is unknown here. If no prefix holds the name, the event has no name: start-up logs a warning naming the endpoint and the placeholder. Make the severity an error in .editorconfig to be strict.");
    // PIWIK030-PIWIK034: the tracking plan file and goals (Analyzers/Plan).

    /// <summary>PIWIK030: an entry of the code's tracking plan that the plan file does not have.</summary>
    public static readonly DiagnosticDescriptor PlanEntryNotInFile = Create(
        DiagnosticIds.PlanEntryNotInFile,
        "Tracking plan entry is not in PiwikTrackingPlan.txt",
        "The code tracks '{0}', which PiwikTrackingPlan.txt does not list: add the line '{1}'",
        DiagnosticSeverity.Warning,
        "When a project has a PiwikTrackingPlan.txt, every tracked event and goal must be listed in it, so that a reviewer sees the tracking a change adds in the file's diff. The code fix adds the line.",
        WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>PIWIK031: a plan file entry that the code no longer has.</summary>
    public static readonly DiagnosticDescriptor PlanEntryNotInCode = Create(
        DiagnosticIds.PlanEntryNotInCode,
        "PiwikTrackingPlan.txt lists an entry the code no longer tracks",
        "PiwikTrackingPlan.txt lists '{0}', which the code no longer tracks: remove the line, or restore the tracking",
        DiagnosticSeverity.Warning,
        "An entry removed from the code (an action renamed, an endpoint deleted) leaves Matomo goals and dashboards that wait for events which no longer come. The code fix removes the line, which shows the removal in review.",
        WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>PIWIK032: an entry whose line differs between the code and the plan file.</summary>
    public static readonly DiagnosticDescriptor PlanEntryChanged = Create(
        DiagnosticIds.PlanEntryChanged,
        "Tracking plan entry differs from PiwikTrackingPlan.txt",
        "'{0}' differs from PiwikTrackingPlan.txt: the code gives '{1}', the file says '{2}'",
        DiagnosticSeverity.Warning,
        "A tracked event's routes, templates, failure action or goal changed in the code but not in the plan file. The code fix rewrites the line.",
        WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>PIWIK033: a goal whose event action is also used in another category.</summary>
    public static readonly DiagnosticDescriptor GoalActionNotUnique = Create(
        DiagnosticIds.GoalActionNotUnique,
        "Goal event action is used in another category",
        "Goal '{0}' matches event action '{1}', which category '{2}' also records: Matomo would convert the goal on both; give this event an action no other category uses",
        DiagnosticSeverity.Warning,
        "A Matomo goal made from an event matches the event action alone, in every category (verified on Matomo 5.1.2). A goal's action must therefore be unique across categories, failure actions included.",
        WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>PIWIK034: one goal name on events with different actions.</summary>
    public static readonly DiagnosticDescriptor GoalNameOnTwoActions = Create(
        DiagnosticIds.GoalNameOnTwoActions,
        "Goal name is used with two actions",
        "Goal '{0}' is set on action '{1}' and on action '{2}': a Matomo goal matches one action; use one goal name per action",
        DiagnosticSeverity.Warning,
        "A goal made from an event matches exactly one event action, so one goal name cannot stand for two actions.",
        WellKnownDiagnosticTags.CompilationEnd);

    /// <summary>PIWIK014: <c>[TrackOrder]</c> without <c>Id</c> or <c>Revenue</c>.</summary>
    public static readonly DiagnosticDescriptor OrderIncomplete = Create(
        DiagnosticIds.OrderIncomplete,
        "[TrackOrder] without Id or Revenue",
        "[TrackOrder] needs {0}",
        DiagnosticSeverity.Error,
        "Matomo stores an order by its id (ec_id) with its revenue: without an id it would be a cart update, without a revenue a wrong figure.");

    /// <summary>PIWIK015: <c>[TrackDimension]</c> with an id that is not greater than 0.</summary>
    public static readonly DiagnosticDescriptor DimensionIdNotPositive = Create(
        DiagnosticIds.DimensionIdNotPositive,
        "[TrackDimension] id is not greater than 0",
        "[TrackDimension] id {0} is not a Matomo custom dimension id: it must be greater than 0",
        DiagnosticSeverity.Error,
        "Matomo numbers custom dimensions from 1 (dimension1, dimension2, ...).");

    /// <summary>PIWIK016: an amount or count template that is not a number.</summary>
    public static readonly DiagnosticDescriptor HitNumberNotNumeric = Create(
        DiagnosticIds.HitNumberNotNumeric,
        "Amount or count template is not numeric",
        "[{0}] {1} '{2}' is not a number",
        DiagnosticSeverity.Error,
        "Revenue, Subtotal, Tax, Shipping, Discount and Count must be a numeric constant, exactly one placeholder of a built-in numeric type (nullable allowed), or a route value.");

    /// <summary>PIWIK017: <c>[TrackSearch]</c> without a keyword.</summary>
    public static readonly DiagnosticDescriptor SearchWithoutKeyword = Create(
        DiagnosticIds.SearchWithoutKeyword,
        "[TrackSearch] without Keyword",
        "[TrackSearch] needs a Keyword: what was searched for",
        DiagnosticSeverity.Error,
        "Matomo stores a site search by its keyword; without one there is nothing to record.");

    /// <summary>PIWIK018: an order, search or dimension attribute together with <c>[DoNotTrack]</c>.</summary>
    public static readonly DiagnosticDescriptor HitAndDoNotTrack = Create(
        DiagnosticIds.HitAndDoNotTrack,
        "Handler has [DoNotTrack] and an order, search or dimension attribute",
        "'{0}' has both [{1}] and [DoNotTrack]: keep one",
        DiagnosticSeverity.Error,
        "A handler is tracked or deliberately not.");

    /// <summary>PIWIK019: a placeholder of an order, search or dimension template that cannot be read.</summary>
    public static readonly DiagnosticDescriptor HitTemplateUnbound = Create(
        DiagnosticIds.HitTemplateUnbound,
        "Order, search or dimension placeholder cannot be read",
        "[{0}] {1}: placeholder '{{{2}}}' {3}",
        DiagnosticSeverity.Error,
        "A placeholder names a handler parameter or a route value, then members that exist, and ends on a scalar (a string, a number, a Guid, ...), as in [TrackAs] templates.");

    /// <summary>PIWIK020: <c>{result…}</c> on a handler whose return type carries no value templates can read.</summary>
    public static readonly DiagnosticDescriptor ResultHasNoValue = Create(
        DiagnosticIds.ResultHasNoValue,
        "Handler result has no value to read",
        "Placeholder '{{{0}}}' in {1} reads the handler's result, but {2}",
        DiagnosticSeverity.Error,
        "{result} is the value the handler returns (through Task<T> or ValueTask<T>), or the value a typed result carries: Ok<T>, Created<T>, CreatedAtRoute<T>, Accepted<T>, JsonHttpResult<T>, or the one value type the arms of a Results<...> union carry. A handler returning void, Task, IResult or results without a value has none.");

    /// <summary>PIWIK021: an order's <c>Items</c> that is not a collection of readable order lines.</summary>
    public static readonly DiagnosticDescriptor OrderItemsUnreadable = Create(
        DiagnosticIds.OrderItemsUnreadable,
        "Order items cannot be read",
        "[TrackOrder] Items: {0}",
        DiagnosticSeverity.Error,
        "Items is one placeholder naming a collection (an array, a list, any IEnumerable<T>) whose element type has a scalar Sku, optionally scalar Name and Category and numeric Price and Quantity, matched by name ignoring case.");

    private static DiagnosticDescriptor Create(
        string id, string title, string messageFormat, DiagnosticSeverity severity, string description, params string[] customTags) =>
        new(id, title, messageFormat, TrackingCategory, severity, isEnabledByDefault: true, description, HelpLinkBase + id + ".md", customTags);
}
