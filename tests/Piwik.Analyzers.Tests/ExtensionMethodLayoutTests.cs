using Piwik.Generator;

namespace Piwik.Analyzers.Tests;

/// <summary>
/// Routes mapped in <c>Map…(this IEndpointRouteBuilder)</c> extension methods, the usual layout of real apps (issue 13):
/// the builder is followed to the method's callers, so a group made in one method and filled in another has its whole
/// route; where a caller cannot be seen (a library's public method, a delegate, an interface) or callers disagree, the
/// messages show every visible prefix and mark the unseen one. Placeholders are checked either way, <c>DoNotTrackRoutes</c>
/// and exclusions apply, and handlers are named where routes read the same. Also MVC controller actions and scalar
/// placeholders.
/// </summary>
public sealed class ExtensionMethodLayoutTests
{
    [Fact]
    public Task A_misspelled_placeholder_in_an_extension_method_is_an_error_naming_the_whole_route() => Verify.Analyzer("""
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
        Verify.Diagnostic(DiagnosticDescriptors.UnknownPlaceholder).WithLocation(0).WithArguments("fileid2", "Name", "/files/{fileId}", ""));

    [Fact]
    public Task In_a_library_a_public_extension_method_s_callers_are_unseen_so_a_misspelled_placeholder_is_a_warning() => Verify.Library("""
        using Piwik;

        public static class FileEndpoints
        {
            public static IEndpointRouteBuilder MapFiles(this IEndpointRouteBuilder app)
            {
                var files = app.MapGroup("/files");
                files.MapGet("/{fileId}", {|#0:FileApi.Download|});
                return app;
            }

            // Called here, but an application referencing the library may call MapFiles too, on a group of its own.
            public static void MapAll(this IEndpointRouteBuilder app) => app.MapGroup("/all").MapFiles();
        }

        public static class FileApi
        {
            [TrackAs("download", Name = "{fileid2}")] public static string Download(string fileId) => fileId;
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
        Verify.Diagnostic(DiagnosticDescriptors.UnknownPlaceholder).WithLocation(0).WithArguments("OrderId", "Name", "/shop/orders/{id}", "; did you mean '{orderId}'?"));

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
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(0).WithArguments("GET /status", ""));

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
            "catalog/items-list", "GET /api/catalog/items (CatalogApi.GetAllItemsV2)", "GET /api/catalog/items (CatalogApi.GetAllItemsV1)", "has Name '(none)'"));

    [Fact]
    public Task Prefixes_inside_an_extension_method_add_to_its_caller_s() => Verify.Analyzer("""
        WebApplication.Create().MapGroup("/v1").MapItems();

        public static class Endpoints
        {
            public static void MapItems(this IEndpointRouteBuilder app)
            {
                var api = app.MapGroup("/api");
                api.MapGroup("/items").{|#0:MapGet|}("/{id:int}", (int id) => id);
            }
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(0).WithArguments("GET /v1/api/items/{id:int}", ""));

    [Fact]
    public Task Callers_that_give_different_prefixes_leave_the_outer_prefix_unseen() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapGroup("/v1").MapItems();
        app.MapGroup("/v2").MapItems();

        public static class Endpoints
        {
            public static void MapItems(this IEndpointRouteBuilder app)
            {
                app.{|#0:MapGet|}("/items", () => 1);
                app.MapGet("/items/{id}", [TrackAs("item", Name = "{|#1:{itemId}|}")] (int id) => id);
            }
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(0).WithArguments("GET \u2026/items", ""),
        Verify.Diagnostic(DiagnosticDescriptors.PlaceholderMaybeUnbound).WithLocation(1).WithArguments("itemId", "Name", "\u2026/items/{id}", ""));

    [Fact]
    public Task A_group_the_caller_excludes_excludes_the_routes_another_method_fills() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        var api = app.MapGroup("/api");
        app.MapGroup("/internal").ExcludeFromTracking().MapInternal();
        api.MapPublic();
        api.MapGroup("/ops").ExcludeFromTracking().MapShared();
        api.MapGroup("/shared").MapShared();

        static class Endpoints
        {
            public static RouteGroupBuilder MapInternal(this RouteGroupBuilder group)
            {
                group.MapGet("/cache", () => 1);
                group.MapGroup("/jobs").MapPost("/{id}", (int id) => id);
                return group;
            }

            public static void MapPublic(this RouteGroupBuilder group) => group.{|#0:MapGet|}("/items", () => 1);

            // One caller excludes the group, the other does not: reported, with the prefix they disagree on unseen.
            public static void MapShared(this RouteGroupBuilder group) => group.{|#1:MapGet|}("/status", () => 1);
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(0).WithArguments("GET /api/items", ""),
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(1).WithArguments("GET \u2026/status", ""));

    [Fact]
    public Task Local_functions_and_instance_methods_are_followed_to_their_callers() => Verify.Analyzer("""
        var app = WebApplication.Create();
        var api = app.MapGroup("/api");
        MapLocal(api.MapGroup("/local"));
        new ReportsModule().Map(api.MapGroup("/reports"));

        void MapLocal(IEndpointRouteBuilder routes) => routes.{|#0:MapGet|}("/a", () => 1);

        sealed class ReportsModule
        {
            public void Map(IEndpointRouteBuilder routes) => routes.{|#1:MapGet|}("/b", () => 2);
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(0).WithArguments("GET /api/local/a", ""),
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(1).WithArguments("GET /api/reports/b", ""));

    [Fact]
    public Task A_method_called_through_a_delegate_or_an_interface_has_callers_the_analyzer_cannot_see() => Verify.Analyzer("""
        using System;
        var app = WebApplication.Create();
        Action<IEndpointRouteBuilder> map = Endpoints.MapA;
        map(app.MapGroup("/hidden"));
        Endpoints.MapA(app.MapGroup("/a"));
        IModule module = new Module();
        module.AddRoutes(app.MapGroup("/m"));
        new Module().AddRoutes(app.MapGroup("/m"));

        static class Endpoints
        {
            public static void MapA(IEndpointRouteBuilder routes) => routes.{|#0:MapGet|}("/a", () => 1);
        }

        interface IModule { void AddRoutes(IEndpointRouteBuilder app); }

        sealed class Module : IModule
        {
            public void AddRoutes(IEndpointRouteBuilder app) => app.{|#1:MapGet|}("/b", () => 2);
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(0).WithArguments("GET \u2026/a", ""),
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(1).WithArguments("GET \u2026/b", ""));

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
