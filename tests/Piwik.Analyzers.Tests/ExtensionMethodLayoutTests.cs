using Piwik.Generator;

namespace Piwik.Analyzers.Tests;

/// <summary>
/// Routes mapped in <c>Map…(this IEndpointRouteBuilder)</c> extension methods, the usual layout of real apps (issue 13):
/// placeholders are checked there too, <c>DoNotTrackRoutes</c> applies, and messages show every visible prefix, mark
/// the unseen one and name handlers where routes read the same. Also MVC controller actions and scalar placeholders.
/// </summary>
public sealed class ExtensionMethodLayoutTests
{
    [Fact]
    public Task A_misspelled_placeholder_of_a_method_group_in_an_extension_method_is_reported() => Verify.Analyzer("""
        using Piwik;
        WebApplication.Create().MapFiles();

        public static class FileEndpoints
        {
            public static IEndpointRouteBuilder MapFiles(this IEndpointRouteBuilder app)
            {
                var files = app.MapGroup("/files");
                files.MapGet("/{fileId}", {|#0:FileApi.Download|});
                files.MapGet("/{fileId}/meta", FileApi.Meta);
                return app;
            }
        }

        public static class FileApi
        {
            [TrackAs("download", Name = "{fileid2}")] public static string Download(string fileId) => fileId;
            [TrackAs("meta", Name = "{fileId}")] public static string Meta(string fileId) => fileId;
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.PlaceholderMaybeUnbound).WithLocation(0).WithArguments("fileid2", "Name", "\u2026/files/{fileId}", ""));

    [Fact]
    public Task A_placeholder_differing_only_by_case_offers_the_parameter() => Verify.Analyzer("""
        using Piwik;
        WebApplication.Create().MapGroup("/shop").MapOrders();

        public static class Api
        {
            public static RouteGroupBuilder MapOrders(this RouteGroupBuilder group)
            {
                group.MapGet("/orders/{id}", [TrackAs("order", Name = "{|#0:{OrderId}|}")] (int orderId) => orderId);
                return group;
            }
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.PlaceholderMaybeUnbound).WithLocation(0).WithArguments("OrderId", "Name", "\u2026/orders/{id}", "; did you mean '{orderId}'?"));

    [Fact]
    public Task Do_not_track_routes_silences_routes_mapped_in_extension_methods() => Verify.Analyzer("""
        using Piwik;
        [assembly: DoNotTrackRoutes("/health", "/metrics/*")]

        WebApplication.Create().MapOps();

        public static class OpsEndpoints
        {
            public static IEndpointRouteBuilder MapOps(this IEndpointRouteBuilder app)
            {
                app.MapGet("/health", () => "ok");
                app.MapGroup("/metrics").MapGet("/cpu", () => 1);
                app.{|#0:MapGet|}("/status", () => "up");
                return app;
            }
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(0).WithArguments("GET \u2026/status", ""));

    [Fact]
    public Task Versioned_groups_filled_in_another_method_are_told_apart_by_handler() => Verify.Analyzer("""
        using Piwik;
        WebApplication.Create().MapCatalog();

        public static class CatalogEndpoints
        {
            public static IEndpointRouteBuilder MapCatalog(this IEndpointRouteBuilder app)
            {
                app.MapGroup("api/catalog").WithTags("v1").MapCatalogV1();
                app.MapGroup("api/catalog").WithTags("v2").MapCatalogV2();
                return app;
            }

            public static RouteGroupBuilder MapCatalogV1(this RouteGroupBuilder api)
            {
                api.MapGet("/items", CatalogApi.GetAllItemsV1);
                return api;
            }

            public static RouteGroupBuilder MapCatalogV2(this RouteGroupBuilder api)
            {
                api.{|#0:MapGet|}("/items", CatalogApi.GetAllItemsV2);
                return api;
            }
        }

        public static class CatalogApi
        {
            [TrackAs("items-list", Category = "catalog")] public static int GetAllItemsV1() => 1;
            [TrackAs("items-list", Category = "catalog", Name = "v2")] public static int GetAllItemsV2() => 2;
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.AmbiguousEvent).WithLocation(0).WithArguments(
            "catalog/items-list", "GET \u2026/items (CatalogApi.GetAllItemsV2)", "GET \u2026/items (CatalogApi.GetAllItemsV1)", "has Name '(none)'"));

    [Fact]
    public Task Visible_prefixes_inside_an_extension_method_are_shown() => Verify.Analyzer("""
        WebApplication.Create().MapItems();

        public static class Endpoints
        {
            public static void MapItems(this IEndpointRouteBuilder app)
            {
                var api = app.MapGroup("/api");
                api.MapGroup("/items").{|#0:MapGet|}("/{id:int}", (int id) => id);
            }
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(0).WithArguments("GET \u2026/api/items/{id:int}", ""));

    [Fact]
    public Task TrackAs_on_a_controller_action_says_controllers_are_not_tracked() => Verify.Library("""
        using Microsoft.AspNetCore.Mvc;
        using Piwik;

        [ApiController]
        [Route("todos")]
        public sealed class TodosController : ControllerBase
        {
            [HttpGet]
            [{|#0:TrackAs("todos-list")|}]
            public IActionResult List() => Ok();
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.TrackAsNotAnEndpoint).WithLocation(0).WithArguments(
            "TodosController.List",
            ": MVC controller actions are not tracked (only minimal-API endpoints are); record this action's event with IPiwikTracker.TrackEvent"));

    [Fact]
    public Task A_placeholder_naming_an_object_or_a_collection_is_an_error() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/signup", [TrackAs("signup", Name = "{|#0:{request}|}")] (SignupRequest request) => 1);
        app.MapPost("/bulk", [TrackAs("bulk", Name = "ids {|#1:{ids}|}")] (int[] ids) => 1);
        app.MapPost("/todo", [TrackAs("todo", Name = "{|#2:{todo}|}")] (Todo todo) => 1);
        app.MapPost("/plan", [TrackAs("plan", Name = "{|#3:{request.Plan}|}")] (Upgrade request) => 1);
        app.MapPost("/any", [TrackAs("any", Name = "{|#4:{body}|}")] (object body) => 1);
        app.MapPost("/ok/{when}", [TrackAs("ok", Name = "{request.Email} {kind} {id} {at} {when} {flag} {site}")]
            (SignupRequest request, Kind kind, Guid id, DateTimeOffset? at, DateOnly when, bool flag, Uri site) => 1);

        record SignupRequest(string Email, string Password, string Plan);
        record Todo(int Id, string Title, bool Done);
        record Upgrade(PlanInfo Plan);
        record PlanInfo(string Name);
        enum Kind { A, B }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.PlaceholderNotScalar).WithLocation(0).WithArguments("request", "Name", "SignupRequest", ""),
        Verify.Diagnostic(DiagnosticDescriptors.PlaceholderNotScalar).WithLocation(1).WithArguments("ids", "Name", "int[]", ""),
        Verify.Diagnostic(DiagnosticDescriptors.PlaceholderNotScalar).WithLocation(2).WithArguments("todo", "Name", "Todo", "; did you mean '{todo.Id}'?"),
        Verify.Diagnostic(DiagnosticDescriptors.PlaceholderNotScalar).WithLocation(3).WithArguments("request.Plan", "Name", "PlanInfo", "; did you mean '{request.Plan.Name}'?"),
        Verify.Diagnostic(DiagnosticDescriptors.PlaceholderNotScalar).WithLocation(4).WithArguments("body", "Name", "object", ""));
}
