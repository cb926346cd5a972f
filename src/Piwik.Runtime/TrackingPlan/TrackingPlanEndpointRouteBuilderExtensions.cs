using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Piwik;
using Piwik.TrackingPlan;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Serves an application's tracking plan as JSON, for developers and dashboard owners.</summary>
public static class TrackingPlanEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps a <c>GET</c> endpoint at <paramref name="pattern"/> that answers with the tracking plan as JSON: the default
    /// category, then one row per tracked endpoint with its methods, route, category (and the category events really
    /// carry), actions, templates, handler, and the order, search and dimensions it records. The endpoint itself is not tracked and not listed in OpenAPI documents.
    /// </summary>
    /// <remarks>
    /// The plan describes the application's analytics, not its data, but it still maps out the API: map it only where
    /// it is wanted, typically <c>if (app.Environment.IsDevelopment())</c>, or chain <c>RequireAuthorization()</c>.
    /// Native AOT and trimming safe (System.Text.Json source generation).
    /// </remarks>
    /// <param name="endpoints">The app, or another route builder.</param>
    /// <param name="pattern">The route, for example <c>/_piwik/plan</c>.</param>
    /// <param name="plan">The generated plan: <c>PiwikTrackingPlan.Endpoints</c> from the project's root namespace.</param>
    /// <returns>A builder to add conventions (authorization, host filters) to the endpoint.</returns>
    /// <example><code>
    /// if (app.Environment.IsDevelopment())
    /// {
    ///     app.MapPiwikTrackingPlan("/_piwik/plan", PiwikTrackingPlan.Endpoints);
    /// }
    /// </code></example>
    public static IEndpointConventionBuilder MapPiwikTrackingPlan(this IEndpointRouteBuilder endpoints, string pattern, IReadOnlyList<TrackedEndpointInfo> plan)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(pattern);
        ArgumentNullException.ThrowIfNull(plan);

        var rows = plan.ToArray();
        RequestDelegate handler = new TrackingPlanResponder(rows).InvokeAsync;
        return endpoints.MapGet(pattern, handler)
            .ExcludeFromTracking()
            .ExcludeFromDescription();
    }

    /// <summary>Writes the plan; the JSON is built once, on the first request, when the options are final.</summary>
    private sealed class TrackingPlanResponder(TrackedEndpointInfo[] rows)
    {
        private byte[]? _json;

        public Task InvokeAsync(HttpContext context)
        {
            var json = _json ??= Serialize(rows, context.RequestServices.GetService<IOptions<PiwikOptions>>()?.Value.DefaultCategory);
            context.Response.ContentType = "application/json; charset=utf-8";
            context.Response.ContentLength = json.Length;
            return context.Response.Body.WriteAsync(json, context.RequestAborted).AsTask();
        }

        private static byte[] Serialize(TrackedEndpointInfo[] rows, string? defaultCategory)
        {
            defaultCategory ??= new PiwikOptions().DefaultCategory;
            var document = new TrackingPlanDocument(
                defaultCategory,
                [.. rows.Select(row => new TrackingPlanRow(
                    row.HttpMethods,
                    row.Route,
                    row.IsRouteComplete,
                    row.Category,
                    row.Action is null ? null : row.Category ?? defaultCategory,
                    row.Action,
                    row.FailureAction,
                    row.NameTemplate,
                    row.ValueTemplate,
                    row.Handler,
                    row.Order,
                    row.Search,
                    row.Dimensions))]);
            return System.Text.Json.JsonSerializer.SerializeToUtf8Bytes(document, TrackingPlanJsonContext.Default.TrackingPlanDocument);
        }
    }
}
