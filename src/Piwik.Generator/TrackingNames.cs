namespace Piwik.Generator;

/// <summary>Names of the generator's pipeline steps, for <c>WithTrackingName</c> and the incrementality tests.</summary>
internal static class TrackingNames
{
    /// <summary>Each <c>[TrackAs]</c> method parsed into a model (null when it cannot be described).</summary>
    public const string Handlers = "TrackAsHandlers";

    /// <summary>The methods that have a model.</summary>
    public const string ValidHandlers = "TrackAsValidHandlers";

    /// <summary>Each attributed lambda or local function, parsed into a model when it has <c>[TrackAs]</c> (else null).</summary>
    public const string InlineHandlers = "TrackAsInlineHandlers";

    /// <summary>The lambdas and local functions that have a model.</summary>
    public const string ValidInlineHandlers = "TrackAsValidInlineHandlers";

    /// <summary>All handlers of the compilation (methods, then lambdas and local functions, each in source order), for the one generated file.</summary>
    public const string AllHandlers = "TrackAsAllHandlers";

    /// <summary>Each <c>Map*</c>-named call site resolved into a tracking-plan row (null when untracked or not ASP.NET Core's).</summary>
    public const string EndpointCalls = "PlanEndpointCalls";

    /// <summary>The call sites that are tracked endpoints.</summary>
    public const string TrackedEndpoints = "PlanTrackedEndpoints";

    /// <summary>All tracked endpoints of the compilation, for the plan file.</summary>
    public const string AllTrackedEndpoints = "PlanAllTrackedEndpoints";

    /// <summary>The namespace of the generated <c>PiwikTrackingPlan</c> (from <c>build_property.RootNamespace</c>).</summary>
    public const string PlanNamespace = "PlanNamespace";

    /// <summary>The patterns of each <c>[assembly: DoNotTrackRoutes]</c> attribute list.</summary>
    public const string ExcludedRoutes = "DoNotTrackRoutes";

    /// <summary>All <c>DoNotTrackRoutes</c> patterns of the compilation, for the registration file.</summary>
    public const string AllExcludedRoutes = "DoNotTrackRoutesAll";

    /// <summary>Each method with <c>[TrackOrder]</c>, <c>[TrackSearch]</c> or <c>[TrackDimension]</c>, per attribute.</summary>
    public const string HitHandlers = "HitHandlers";

    /// <summary>Each lambda or local function with one of those attributes.</summary>
    public const string InlineHitHandlers = "InlineHitHandlers";

    /// <summary>All of them, distinct, for the hit registrations file.</summary>
    public const string AllHitHandlers = "AllHitHandlers";

    /// <summary>Whether the project's C# version can compile the generated code (C# 11 or later).</summary>
    public const string LanguageVersion = "LanguageVersion";
}
