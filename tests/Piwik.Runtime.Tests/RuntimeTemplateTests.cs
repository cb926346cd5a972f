using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing.Patterns;
using Piwik.Endpoints;

namespace Piwik.Runtime.Tests;

/// <summary>
/// Templates without generated code (the runtime fallback): only route values, and only scalars among them. A route
/// value that middleware or a route default set to an object is never rendered with its <c>ToString()</c>.
/// </summary>
public sealed class RuntimeTemplateTests
{
    private sealed record SignupRequest(string Email, string Password);

    private static string Handler(string request) => request;

    [Fact]
    public void An_object_in_the_route_values_is_not_rendered()
    {
        var attribute = new TrackAsAttribute("signup") { Name = "{request}", Value = "{count}" };
        var handler = RuntimeTrackedHandler.Create(attribute, ((Func<string, string>)Handler).Method, RoutePatternFactory.Parse("/signup/{request}/{count}"), out var unbound);
        Assert.Empty(unbound);

        var http = new DefaultHttpContext();
        http.Request.RouteValues["request"] = new SignupRequest("alice@example.com", "hunter2");
        http.Request.RouteValues["count"] = new[] { 1, 2 };
        var context = new DefaultEndpointFilterInvocationContext(http, "x");
        Assert.True(handler.Name!(context).IsNone);
        Assert.True(handler.Value!(context).IsNone);

        // Scalars still are: a string as it is, a number parsed in the invariant culture.
        http.Request.RouteValues["request"] = "pro";
        http.Request.RouteValues["count"] = "12.5";
        Assert.Equal("pro", handler.Name(context).Text);
        Assert.Equal(12.5, handler.Value(context).Number);
    }

    [Fact]
    public void A_member_path_or_a_name_missing_from_the_route_is_unbound_and_reported()
    {
        var attribute = new TrackAsAttribute("signup") { Name = "{request.Email}", Value = "{nope}" };
        var handler = RuntimeTrackedHandler.Create(attribute, ((Func<string, string>)Handler).Method, RoutePatternFactory.Parse("/signup/{request}"), out var unbound);
        Assert.Equal(["{request.Email}", "{nope}"], unbound);
        Assert.Null(handler.Name);
        Assert.Null(handler.Value);
    }

    [Fact]
    public async Task An_app_built_without_the_generator_names_each_endpoint_at_start_up_under_its_own_event_id()
    {
        // This test project does not run Piwik.Generator: both endpoints fall back to their attributes.
        await using var app = await TestApp.StartAsync(
            o => o.Url = null,
            map: web =>
            {
                web.MapGet("/plans/{plan}", [TrackAs("plan-view", Name = "{plan}")] (string plan) => plan);
                web.MapGet("/search", [TrackSearch(Keyword = "{q}")] (string q) => q);
                web.UsePiwikTracking();
            });

        var noTable = Assert.Single(app.Logs.Entries, e => e.Id.Id == 1300);
        Assert.Contains("/plans/{plan}", noTable.Message, StringComparison.Ordinal);
        var noHits = Assert.Single(app.Logs.Entries, e => e.Id.Id == 1306);
        Assert.Contains("/search", noHits.Message, StringComparison.Ordinal);
        Assert.Contains("[TrackSearch]", noHits.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(app.Logs.Entries, e => e.Id.Id == 1303); // a generated table left out: another warning
    }
}
