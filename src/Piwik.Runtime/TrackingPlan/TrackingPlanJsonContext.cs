using System.Text.Json.Serialization;

namespace Piwik.TrackingPlan;

/// <summary>The JSON answer of <c>MapPiwikTrackingPlan</c>.</summary>
/// <param name="DefaultCategory">The category of events whose <see cref="TrackAsAttribute.Category"/> is null.</param>
/// <param name="Endpoints">One row per tracked endpoint.</param>
internal sealed record TrackingPlanDocument(string DefaultCategory, IReadOnlyList<TrackingPlanRow> Endpoints);

/// <summary>A <see cref="TrackedEndpointInfo"/>, plus the category its events really carry (null without an event).</summary>
internal sealed record TrackingPlanRow(
    IReadOnlyList<string> HttpMethods,
    string Route,
    bool IsRouteComplete,
    string? Category,
    string? EventCategory,
    string? Action,
    string? FailureAction,
    string? NameTemplate,
    string? ValueTemplate,
    string Handler,
    TrackedOrderInfo? Order,
    TrackedSearchInfo? Search,
    IReadOnlyList<TrackedDimensionInfo> Dimensions);

/// <summary>Source-generated serialization: no reflection, so the endpoint works trimmed and under Native AOT.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase, WriteIndented = true, DefaultIgnoreCondition = JsonIgnoreCondition.Never)]
[JsonSerializable(typeof(TrackingPlanDocument))]
internal sealed partial class TrackingPlanJsonContext : JsonSerializerContext;
