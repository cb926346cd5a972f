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

    [Fact]
    public void Plan_of_the_app_with_every_handler_shape() => Verify(TestSources.App);

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
