extern alias generator;

using System.Collections.Immutable;
using System.Net;
using System.Reflection;
using System.Runtime.CompilerServices;
using System.Text.Json;
using generator::Piwik.Generator;
using Microsoft.AspNetCore.Builder;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Piwik.Testing;

namespace Piwik.Generator.Tests;

/// <summary>
/// The generated tracking plan (<c>PiwikTrackingPlan</c>): reviewed snapshots, the list read from a compiled assembly,
/// the JSON endpoint over real HTTP, and <c>[assembly: DoNotTrackRoutes]</c> honoured by page views.
/// </summary>
public sealed class TrackingPlanTests
{
    /// <summary>Groups, prefixes that cannot be seen, every Map* method, and the endpoints that are not in the plan.</summary>
    internal const string Shapes = """
        using Microsoft.AspNetCore.Routing;

        namespace Plan;

        public static class AccountEndpoints
        {
            // Mapped on a builder from outside this method: its prefix cannot be seen, so the route is relative.
            public static IEndpointRouteBuilder MapAccount(this IEndpointRouteBuilder endpoints)
            {
                endpoints.MapPost("/password", [TrackAs("password-change", Category = "account")] () => Results.Ok());
                return endpoints;
            }

            [TrackAs("profile-view", Category = "account", Name = "{id}")]
            public static IResult Profile(string id) => Results.Ok();
        }

        public static class Routes
        {
            public const string Export = "/export";

            public static void Map(WebApplication app, string dynamicPattern)
            {
                var api = app.MapGroup("/api").WithTags("api");
                var v1 = api.MapGroup("v1/");
                v1.MapGet("/profiles/{id}", AccountEndpoints.Profile);
                v1.MapMethods("/items", new[] { "PUT", "patch" }, [TrackAs("item-save", Value = "1")] () => Results.Ok());
                app.MapGroup("/admin").MapDelete("/users/{id:int}", [TrackAs("user-delete", Category = "admin", FailureAction = "user-delete-failed")] (int id) => Results.NoContent());
                app.Map("/any", [TrackAs("any")] () => "x");
                app.MapFallback([TrackAs("fallback")] () => Results.NotFound());
                app.MapGet(Export, [TrackAs("export", Category = "reports")] () => "csv");
                app.MapGet(dynamicPattern, [TrackAs("dynamic")] () => "x");
                app.MapAccount();

                var handler = [TrackAs("via-local")] () => "x";
                app.MapGet("/via-local", handler);
                app.MapGet("/local", Local);

                // Still tracked by the runtime (the filter follows [TrackAs] on the handler), so still in the plan.
                app.MapGet("/excluded", [TrackAs("still-tracked")] () => "x").ExcludeFromTracking();

                // Not in the plan: no [TrackAs], and a RequestDelegate (PIWIK011: the runtime records nothing for it).
                app.MapGet("/untracked", () => "x");
                app.MapGet("/request-delegate", [TrackAs("raw")] (HttpContext context) => Task.CompletedTask);

                [TrackAs("local", Category = "admin")]
                static string Local() => "x";
            }
        }
        """;

    /// <summary>
    /// Orders, searches and dimensions, alone and beside <c>[TrackAs]</c>; an app that serves its plan over HTTP.
    /// </summary>
    internal const string Hits = """
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Http.HttpResults;

        namespace PlanHits;

        public sealed record Line(string Sku, decimal Price, int Quantity);
        public sealed record Cart(string Id, decimal Total, decimal Tax, Line[] Lines);
        public sealed record Found(int Count);
        public sealed record Upgrade(string Plan, decimal Total);

        public static class Billing
        {
            [TrackAs("upgrade", Category = "billing", Name = "{request.Plan}", FailureAction = "upgrade-failed")]
            [TrackOrder(Id = "{orderId}", Revenue = "{request.Total}", Discount = "0")]
            [TrackDimension(3, "{request.Plan}")]
            public static Results<Ok, BadRequest> Upgrade(string orderId, Upgrade request) => request.Total > 0 ? TypedResults.Ok() : TypedResults.BadRequest();
        }

        public static class Program
        {
            public static WebApplication Build(string matomoUrl)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Services.AddPiwikTracking(o =>
                {
                    o.Url = matomoUrl;
                    o.AllowInsecureHttp = true;
                    o.DefaultCategory = "app";
                });
                var app = builder.Build();

                app.MapPost("/checkout", [TrackOrder(Id = "{cart.Id}", Revenue = "{cart.Total}", Tax = "{cart.Tax}", Items = "{cart.Lines}")] (Cart cart) => TypedResults.Ok());
                app.MapGet("/search", [TrackSearch(Keyword = "{q}", Category = "docs", Count = "{result.Count}")] (string q) => TypedResults.Ok(new Found(q.Length)));
                app.MapGroup("/profiles").MapGet("/{id}", [TrackDimension(5, "{id}"), TrackDimension(2, "profile")] (string id) => id);
                app.MapPost("/billing/{orderId}/upgrade", Billing.Upgrade);
                app.MapGet("/ping", [TrackAs("ping")] () => "pong");
                app.MapGet("/untracked", () => "x");

                app.MapPiwikTrackingPlan("/_piwik/plan", Piwik.Generated.PiwikTrackingPlan.Endpoints);
                app.UsePiwikTracking();
                return app;
            }
        }
        """;

    [Fact]
    public void Plan_of_the_app_with_every_handler_shape() => Verify(TestSources.App);

    [Fact]
    public void Plan_of_order_search_and_dimension_endpoints() => Verify(Hits);

    [Fact]
    public void Plan_of_groups_relative_routes_and_every_map_method() => Verify(Shapes);

    [Fact]
    public void Plan_lives_in_the_project_root_namespace()
    {
        var compilation = GeneratorHarness.CreateCompilation("RootNamespace", Shapes);
        var driver = GeneratorHarness.CreateDriver().WithUpdatedAnalyzerConfigOptions(new GeneratorHarness.GlobalOptionsProvider("build_property.RootNamespace", "Contoso.Shop"));
        var run = driver.RunGenerators(compilation).GetRunResult();
        Assert.Contains("namespace Contoso.Shop\n{", PlanOutput(run), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null, "Piwik.Generated")]
    [InlineData("", "Piwik.Generated")]
    [InlineData("MinimalApi", "MinimalApi")]
    [InlineData("Contoso.Shop.Api", "Contoso.Shop.Api")]
    [InlineData("my-app", "Piwik.Generated")]
    [InlineData("Contoso.class", "Piwik.Generated")]
    public void Plan_namespace_falls_back_when_the_root_namespace_is_not_usable(string? rootNamespace, string expected) =>
        Assert.Equal(expected, PiwikGenerator.PlanParser.PlanNamespace(rootNamespace));

    [Fact]
    public void No_tracked_endpoint_no_plan()
    {
        var (_, run) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("NoPlan", """
            namespace Empty;
            public static class Routes
            {
                public static void Map(WebApplication app) => app.MapGet("/", [DoNotTrack] () => "x");
            }
            """));
        Assert.DoesNotContain(run.Results.SelectMany(r => r.GeneratedSources), s => s.HintName == PiwikGenerator.PlanEmitter.HintName);
    }

    [Fact]
    public void Compiled_plan_lists_every_tracked_endpoint()
    {
        // RDG off: the Request Delegate Generator warns (RDG002) about the handler passed through a local. The plan does
        // not depend on it; the app test below runs with it on.
        var (output, _) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("PlanShapes", Shapes));
        var rows = ReadPlan(GeneratorHarness.EmitAndLoad(output));

        string[] expected =
        [
            "ANY /{*path:nonfile}: (default)/fallback",
            "GET /local: admin/local",
            "GET /via-local: (default)/via-local",
            "GET /excluded: (default)/still-tracked",
            "GET /api/v1/profiles/{id}: account/profile-view",
            "PUT,PATCH /api/v1/items: (default)/item-save",
            "ANY /any: (default)/any",
            "DELETE /admin/users/{id:int}: admin/user-delete | user-delete-failed",
            "GET /export: reports/export",
            "GET dynamicPattern (relative): (default)/dynamic",
            "POST \u2026/password (relative): account/password-change",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), rows.Select(r => r.ToString()).Order(StringComparer.Ordinal));

        var profile = Assert.Single(rows, r => r.Action == "profile-view");
        Assert.Equal(["GET"], profile.HttpMethods);
        Assert.True(profile.IsRouteComplete);
        Assert.Equal("{id}", profile.NameTemplate);
        Assert.Null(profile.ValueTemplate);
        Assert.Equal("AccountEndpoints.Profile", profile.Handler);
        Assert.Equal("Local", Assert.Single(rows, r => r.Action == "local").Handler);
        Assert.Equal("lambda", Assert.Single(rows, r => r.Action == "item-save").Handler);
        Assert.Equal("1", Assert.Single(rows, r => r.Action == "item-save").ValueTemplate);
        Assert.Empty(Assert.Single(rows, r => r.Action == "any").HttpMethods);
        Assert.False(Assert.Single(rows, r => r.Action == "password-change").IsRouteComplete);
    }

    [Fact]
    public void Compiled_plan_has_the_whole_route_of_a_group_filled_in_another_method_when_every_caller_is_seen()
    {
        const string Source = """
            using Microsoft.AspNetCore.Routing;

            public static class Program
            {
                public static void Main()
                {
                    var app = WebApplication.Create();
                    var api = app.MapGroup("/api");
                    api.MapGroup("/users").MapUsers();
                    app.MapGroup("/v1").MapShared();
                    app.MapGroup("/v2").MapShared();
                }
            }

            public static class UserEndpoints
            {
                public static RouteGroupBuilder MapUsers(this RouteGroupBuilder users)
                {
                    users.MapPost("/{id}/password", [TrackAs("password-change", Category = "account")] (int id) => Results.Ok());
                    return users;
                }

                public static void MapShared(this IEndpointRouteBuilder app) => app.MapGet("/status", [TrackAs("status")] () => "up");
            }
            """;

        // An application: its methods have no callers but its own. MapShared's two callers disagree: its prefix stays unseen.
        var application = GeneratorHarness.CreateCompilation("PlanCallers", Source);
        application = application.WithOptions(application.Options.WithOutputKind(OutputKind.ConsoleApplication));
        Assert.Equal(
            ["GET \u2026/status (relative): (default)/status", "POST /api/users/{id}/password: account/password-change"],
            ReadPlan(GeneratorHarness.EmitAndLoad(GeneratorHarness.Generate(application).Output)).Select(r => r.ToString()).Order(StringComparer.Ordinal));

        // The same code as a library: an application referencing it may call its public methods on groups of its own.
        Assert.Equal(
            ["GET \u2026/status (relative): (default)/status", "POST \u2026/{id}/password (relative): account/password-change"],
            ReadPlan(GeneratorHarness.EmitAndLoad(GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("PlanCallersLibrary", Source)).Output))
                .Select(r => r.ToString()).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Compiled_plan_lists_orders_searches_and_dimensions_alone_and_beside_TrackAs()
    {
        var rows = ReadPlan(GeneratorHarness.EmitAndLoad(GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("PlanHitRows", Hits)).Output));

        string[] expected =
        [
            "POST /checkout: order {cart.Id}",
            "GET /search: search {q}",
            "GET /profiles/{id}: dimension 2 profile + dimension 5 {id}",
            "POST /billing/{orderId}/upgrade: billing/upgrade | upgrade-failed + order {orderId} + dimension 3 {request.Plan}",
            "GET /ping: (default)/ping",
        ];
        Assert.Equal(expected.Order(StringComparer.Ordinal), rows.Select(r => r.ToString()).Order(StringComparer.Ordinal));

        var checkout = Assert.Single(rows, r => r.Route == "/checkout");
        Assert.Null(checkout.Action);
        Assert.Null(checkout.Category);
        Assert.Null(checkout.Search);
        Assert.Empty(checkout.Dimensions);
        Assert.Equal("lambda", checkout.Handler);
        var order = checkout.Order!;
        Assert.Equal(
            new string?[] { "{cart.Id}", "{cart.Total}", null, "{cart.Tax}", null, null, "{cart.Lines}" },
            new[] { order.Id, order.Revenue, order.Subtotal, order.Tax, order.Shipping, order.Discount, order.Items }.AsEnumerable());

        var search = Assert.Single(rows, r => r.Route == "/search");
        Assert.Null(search.Action);
        Assert.Null(search.Order);
        Assert.Equal(new string?[] { "{q}", "docs", "{result.Count}" }, new[] { search.Search!.Keyword, search.Search.Category, search.Search.Count }.AsEnumerable());

        var profile = Assert.Single(rows, r => r.Route == "/profiles/{id}");
        Assert.Null(profile.Action);
        Assert.Null(profile.Order);
        Assert.Null(profile.Search);
        Assert.Equal([(2, "profile"), (5, "{id}")], profile.Dimensions.Select(d => (d.Id, d.ValueTemplate)));

        var upgrade = Assert.Single(rows, r => r.Route == "/billing/{orderId}/upgrade");
        Assert.Equal(["POST"], upgrade.HttpMethods);
        Assert.Equal(("billing", "upgrade", "upgrade-failed", "{request.Plan}"), (upgrade.Category, upgrade.Action, upgrade.FailureAction, upgrade.NameTemplate));
        Assert.Equal("Billing.Upgrade", upgrade.Handler);
        Assert.Equal(("{orderId}", "{request.Total}", "0", null), (upgrade.Order!.Id, upgrade.Order.Revenue, upgrade.Order.Discount, upgrade.Order.Items));
        Assert.Null(upgrade.Search);
        Assert.Equal(3, Assert.Single(upgrade.Dimensions).Id);

        var ping = Assert.Single(rows, r => r.Route == "/ping");
        Assert.Null(ping.Order);
        Assert.Null(ping.Search);
        Assert.Empty(ping.Dimensions);
    }

    [Fact]
    public async Task Plan_endpoint_serves_orders_searches_and_dimensions_as_json()
    {
        var assembly = GeneratorHarness.EmitAndLoad(GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("PlanHitApp", Hits), withRequestDelegateGenerator: true).Output);
        await using var matomo = await StandInMatomo.StartAsync();
        var app = (WebApplication)assembly.GetType("PlanHits.Program")!.GetMethod("Build")!.Invoke(null, [matomo.BaseUrl])!;
        var json = await GetPlanAsync(app);

        using var document = JsonDocument.Parse(json);
        var rows = document.RootElement.GetProperty("endpoints").EnumerateArray().ToArray();
        Assert.Equal(["/billing/{orderId}/upgrade", "/checkout", "/ping", "/profiles/{id}", "/search"], rows.Select(r => r.GetProperty("route").GetString()));

        var checkout = rows[1];
        Assert.Equal(JsonValueKind.Null, checkout.GetProperty("action").ValueKind);
        Assert.Equal(JsonValueKind.Null, checkout.GetProperty("eventCategory").ValueKind);
        Assert.Equal(JsonValueKind.Null, checkout.GetProperty("search").ValueKind);
        Assert.Equal(0, checkout.GetProperty("dimensions").GetArrayLength());
        var order = checkout.GetProperty("order");
        Assert.Equal(["id", "revenue", "subtotal", "tax", "shipping", "discount", "items"], order.EnumerateObject().Select(p => p.Name));
        Assert.Equal("{cart.Id}", order.GetProperty("id").GetString());
        Assert.Equal("{cart.Total}", order.GetProperty("revenue").GetString());
        Assert.Equal(JsonValueKind.Null, order.GetProperty("subtotal").ValueKind);
        Assert.Equal("{cart.Lines}", order.GetProperty("items").GetString());

        var search = rows[4].GetProperty("search");
        Assert.Equal(["keyword", "category", "count"], search.EnumerateObject().Select(p => p.Name));
        Assert.Equal(["{q}", "docs", "{result.Count}"], search.EnumerateObject().Select(p => p.Value.GetString()));
        Assert.Equal(JsonValueKind.Null, rows[4].GetProperty("order").ValueKind);

        var dimensions = rows[3].GetProperty("dimensions").EnumerateArray().ToArray();
        Assert.Equal([(2, "profile"), (5, "{id}")], dimensions.Select(d => (d.GetProperty("id").GetInt32(), d.GetProperty("valueTemplate").GetString())));
        Assert.Equal(JsonValueKind.Null, rows[3].GetProperty("action").ValueKind);

        var upgrade = rows[0];
        Assert.Equal("upgrade", upgrade.GetProperty("action").GetString());
        Assert.Equal("billing", upgrade.GetProperty("eventCategory").GetString());
        Assert.Equal("{orderId}", upgrade.GetProperty("order").GetProperty("id").GetString());
        Assert.Equal(3, Assert.Single(upgrade.GetProperty("dimensions").EnumerateArray()).GetProperty("id").GetInt32());

        // An event without a category: the row's category stays null, the events carry the configured default.
        Assert.Equal(JsonValueKind.Null, rows[2].GetProperty("category").ValueKind);
        Assert.Equal("app", rows[2].GetProperty("eventCategory").GetString());
        Assert.Equal(JsonValueKind.Null, rows[2].GetProperty("order").ValueKind);
    }

    [Fact]
    public async Task Plan_endpoint_serves_the_plan_as_json_and_DoNotTrackRoutes_suppress_page_views()
    {
        var assembly = GeneratorHarness.EmitAndLoad(GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("PlanApp", TestSources.App), withRequestDelegateGenerator: true).Output);
        Assert.Equal(10, ReadPlan(assembly).Count);

        await using var matomo = await StandInMatomo.StartAsync();
        var build = assembly.GetType("TestApp.Program")!.GetMethod("Build")!;
        var app = (WebApplication)build.Invoke(null, [matomo.BaseUrl, true])!;
        string json;
        await using (app)
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            using (var response = await client.GetAsync(new Uri("/_piwik/plan", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
                Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
                json = await response.Content.ReadAsStringAsync();
            }

            // [assembly: DoNotTrackRoutes("/metrics/*")] covers the group route /metrics/{name}: no page view.
            using (var response = await client.GetAsync(new Uri("/metrics/cpu", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            using (var response = await client.GetAsync(new Uri("/untracked/x", UriKind.Relative)))
            {
                Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            }

            await app.StopAsync();
        }

        // Only the untracked route outside the patterns is a page view; neither /metrics nor the plan endpoint is.
        var pageView = Assert.Single(matomo.Tracked);
        Assert.Equal("GET /untracked/{x}", pageView["action_name"]);

        using var document = JsonDocument.Parse(json);
        Assert.Equal("app", document.RootElement.GetProperty("defaultCategory").GetString());
        var rows = document.RootElement.GetProperty("endpoints").EnumerateArray().ToArray();
        Assert.Equal(10, rows.Length);
        var join = Assert.Single(rows, r => r.GetProperty("action").GetString() == "join");
        Assert.Equal("/groups/{groupId}/members", join.GetProperty("route").GetString());
        Assert.Equal(["POST"], join.GetProperty("httpMethods").EnumerateArray().Select(m => m.GetString()));
        Assert.True(join.GetProperty("isRouteComplete").GetBoolean());
        Assert.Equal("groups", join.GetProperty("eventCategory").GetString());
        Assert.Equal("join-failed", join.GetProperty("failureAction").GetString());
        Assert.Equal("{groupId}", join.GetProperty("nameTemplate").GetString());
        Assert.Equal("Join", join.GetProperty("handler").GetString());
        var move = Assert.Single(rows, r => r.GetProperty("action").GetString() == "move");
        Assert.Equal(JsonValueKind.Null, move.GetProperty("category").ValueKind);
        Assert.Equal("app", move.GetProperty("eventCategory").GetString());
    }

    [Fact]
    public void DoNotTrackRoutes_are_registered_in_generated_code()
    {
        var (_, run) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("Excluded", """
            [assembly: DoNotTrackRoutes("/health", "/metrics/*")]
            [assembly: DoNotTrackRoutes("/ready", "/health")]
            namespace Excluded;
            public static class Routes
            {
                public static void Map(WebApplication app) => app.MapGet("/health", () => "ok");
            }
            """));
        Assert.Contains(
            """global::Piwik.Infrastructure.TrackedHandlerRegistry.ExcludeRoutes("/health", "/metrics/*", "/ready");""",
            GeneratorHarness.PiwikOutput(run),
            StringComparison.Ordinal);
    }

    /// <summary>Starts the app on Kestrel, answers <c>GET /_piwik/plan</c> as JSON, and stops it.</summary>
    private static async Task<string> GetPlanAsync(WebApplication app)
    {
        await using (app)
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            using var response = await client.GetAsync(new Uri("/_piwik/plan", UriKind.Relative));
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("application/json", response.Content.Headers.ContentType?.MediaType);
            var json = await response.Content.ReadAsStringAsync();
            await app.StopAsync();
            return json;
        }
    }

    private static List<TrackedEndpointInfo> ReadPlan(Assembly assembly)
    {
        var plan = assembly.GetType("Piwik.Generated.PiwikTrackingPlan", throwOnError: true)!;
        Assert.True(plan.IsPublic && plan.IsAbstract && plan.IsSealed, "PiwikTrackingPlan is a public static class");
        return [.. (IReadOnlyList<TrackedEndpointInfo>)plan.GetProperty("Endpoints")!.GetValue(null)!];
    }

    private static string? PlanOutput(GeneratorDriverRunResult run) =>
        run.Results.SelectMany(r => r.GeneratedSources).Where(s => s.HintName == PiwikGenerator.PlanEmitter.HintName).Select(s => s.SourceText.ToString()).SingleOrDefault();

    private static void Verify(string source, [CallerMemberName] string name = "")
    {
        var (_, run) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("Plan_" + name, source));
        SnapshotTests.VerifyText(PlanOutput(run)!, name);
    }
}
