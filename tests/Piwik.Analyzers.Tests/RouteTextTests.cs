using Piwik.Shared;

namespace Piwik.Analyzers.Tests;

/// <summary>The route text rules: suggested actions (PIWIK001 fix), DoNotTrackRoutes matching, group prefixes.</summary>
public sealed class RouteTextTests
{
    [Theory]
    [InlineData("POST", "/orders/{id}/items", null, "orders-items-create")]
    [InlineData("GET", "/orders/{id}", null, "orders-view")]
    [InlineData("GET", "/orders", null, "orders-list")]
    [InlineData("GET", "/", null, "home")]
    [InlineData("PUT", "/orders/{id:int}", null, "orders-update")]
    [InlineData("PATCH", "/Order_Items/{id}", null, "order-items-update")]
    [InlineData("DELETE", "/api/v1/orderItems/{id}", null, "api-v1-order-items-delete")]
    [InlineData("GET,HEAD", "/files/{*path}", null, "files")]
    [InlineData("ANY", "/{*path:nonfile}", null, "request")]
    [InlineData("GET", "/report.{format}", null, "report-view")]
    [InlineData("GET", null, "GetOrder", "get-order")]
    [InlineData("POST", null, null, "create")]
    public void Suggested_action_follows_the_route(string verb, string? route, string? handler, string expected) =>
        Assert.Equal(expected, RouteText.SuggestAction(verb, route, handler));

    [Theory]
    [InlineData("/health", "/health", true)]
    [InlineData("/health", "/Health/", true)]
    [InlineData("health", "/health", true)]
    [InlineData("/health", "/healthz", false)]
    [InlineData("/metrics/*", "/metrics", true)]
    [InlineData("/metrics/*", "/metrics/{name}", true)]
    [InlineData("/metrics/*", "/metricsx", false)]
    [InlineData("/*", "/anything/at/all", true)]
    [InlineData("/orders/{id}", "/orders/{orderId}", false)]
    public void Excluded_routes_match_exactly_or_by_prefix(string pattern, string route, bool expected) =>
        Assert.Equal(expected, RouteText.IsExcludedBy(pattern, route));

    [Theory]
    [InlineData("", "/orders", "/orders")]
    [InlineData("", "orders", "/orders")]
    [InlineData("/api", "/orders", "/api/orders")]
    [InlineData("/api/", "orders", "/api/orders")]
    [InlineData("/api", "/", "/api")]
    [InlineData("/", "/", "/")]
    public void Group_prefix_and_pattern_combine(string prefix, string pattern, string expected) =>
        Assert.Equal(expected, RouteText.Combine(prefix, pattern));

    [Fact]
    public void Route_parameter_names_drop_constraints_defaults_and_catch_alls() =>
        Assert.Equal(new[] { "id", "rest", "opt", "slug" }, RouteText.ParameterNames("/{id:int:min(1)}/{**rest}/{opt?}/{{x}}/{slug=home}"));
}
