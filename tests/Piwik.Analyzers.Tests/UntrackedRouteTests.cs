using Piwik.Generator;

namespace Piwik.Analyzers.Tests;

/// <summary>PIWIK001: which endpoints count as untracked, for each handler shape, group and exclusion mechanism.</summary>
public sealed class UntrackedRouteTests
{
    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult Untracked(int location, string route) =>
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(location).WithArguments(route, "");

    [Fact]
    public Task Lambda_without_attribute_is_reported_at_the_map_call() => Verify.Analyzer("""
        var app = WebApplication.Create();
        app.{|#0:MapGet|}("/orders/{id}", (int id) => id);
        """,
        Untracked(0, "GET /orders/{id}"));

    [Fact]
    public Task Annotated_lambdas_are_not_reported() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapGet("/orders/{id}", [TrackAs("order-view")] (int id) => id);
        app.MapGet("/ping", [DoNotTrack] () => "pong");
        app.MapPost("/orders", [TrackAs("order-create", Category = "orders")] static async () => { await Task.Yield(); return 1; });
        """);

    [Fact]
    public Task A_dimension_alone_records_nothing_and_is_reported() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.{|#0:MapGet|}("/teams/{team}", [TrackDimension(1, "{team}")] (string team) => team);
        app.MapGet("/teams/{team}/search", [TrackSearch(Keyword = "{q}"), TrackDimension(1, "{team}")] (string team, string q) => q);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(0).WithArguments("GET /teams/{team}", DiagnosticDescriptors.DimensionAloneHint));

    [Fact]
    public Task Every_map_method_names_its_verb() => Verify.Analyzer("""
        var app = WebApplication.Create();
        app.{|#0:MapPost|}("/a", () => 1);
        app.{|#1:MapPut|}("/a", () => 1);
        app.{|#2:MapDelete|}("/a", () => 1);
        app.{|#3:MapPatch|}("/a", () => 1);
        app.{|#4:MapMethods|}("/a", new[] { "GET", HttpMethods.Head }, () => 1);
        app.{|#5:Map|}("b", () => 1);
        app.{|#6:MapFallback|}(() => 1);
        app.{|#7:MapFallback|}("/c/{*rest}", () => 1);
        """,
        Untracked(0, "POST /a"), Untracked(1, "PUT /a"), Untracked(2, "DELETE /a"), Untracked(3, "PATCH /a"),
        Untracked(4, "GET,HEAD /a"), Untracked(5, "ANY /b"), Untracked(6, "ANY /{*path:nonfile}"), Untracked(7, "ANY /c/{*rest}"));

    [Fact]
    public Task Endpoints_the_framework_maps_without_a_handler_of_the_app_s_are_not_reported() => Verify.Analyzer("""
        var builder = WebApplication.CreateBuilder();
        builder.Services.AddHealthChecks();
        builder.Services.AddSignalR();
        var app = builder.Build();
        app.MapStaticAssets();
        app.MapHealthChecks("/health");
        app.MapHub<ChatHub>("/chat");
        app.MapFallbackToFile("index.html");
        app.MapGroup("/spa").MapFallbackToFile("{*path:nonfile}", "spa/index.html");

        public sealed class ChatHub : Microsoft.AspNetCore.SignalR.Hub { }
        """);

    [Fact]
    public Task Methods_and_local_functions_are_handlers_too() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.{|#0:MapGet|}("/static", Handlers.Untracked);
        app.MapGet("/static-tracked", Handlers.Tracked);
        app.{|#1:MapGet|}("/instance", new Handlers().Instance);
        app.{|#2:MapGet|}("/local", Local);
        app.MapGet("/local-tracked", LocalTracked);
        app.{|#3:MapGet|}("/delegate", new Func<int>(Handlers.Untracked));

        int Local() => 1;
        [TrackAs("local")] int LocalTracked() => 1;

        class Handlers
        {
            public static int Untracked() => 1;
            [TrackAs("tracked")] public static int Tracked() => 1;
            public int Instance() => 1;
        }
        """,
        Untracked(0, "GET /static"), Untracked(1, "GET /instance"), Untracked(2, "GET /local"), Untracked(3, "GET /delegate"));

    [Fact]
    public Task Group_prefixes_are_part_of_the_route() => Verify.Analyzer("""
        var app = WebApplication.Create();
        var api = app.MapGroup("/api");
        var orders = api.MapGroup("orders/").WithTags("orders");
        orders.{|#0:MapGet|}("/{id}", (int id) => id);
        orders.{|#1:MapGet|}("/", () => 1);
        app.MapGroup("/v2").{|#2:MapDelete|}("/x", () => 1);
        """,
        Untracked(0, "GET /api/orders/{id}"), Untracked(1, "GET /api/orders"), Untracked(2, "DELETE /v2/x"));

    [Fact]
    public Task A_prefix_that_is_not_a_constant_marks_what_it_hides() => Verify.Analyzer("""
        Endpoints.Map(WebApplication.Create(), "/p");

        static class Endpoints
        {
            public static void Map(IEndpointRouteBuilder routes, string prefix)
            {
                routes.{|#0:MapGet|}("/orders", () => 1);
                routes.MapGroup(prefix).{|#1:MapGet|}("/{id}", (int id) => id);
                routes.{|#2:MapGet|}(prefix + "/items", () => 1);
            }
        }
        """,
        Untracked(0, "GET /orders"), Untracked(1, "GET \u2026/{id}"), Untracked(2, "GET prefix + \"/items\""));

    [Fact]
    public Task Excluded_groups_are_not_reported() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        var admin = app.MapGroup("/admin").ExcludeFromTracking();
        admin.MapGet("/a", () => 1);
        admin.MapGroup("/nested").MapGet("/b", () => 1);

        var later = app.MapGroup("/later");
        later.MapGet("/c", () => 1);
        later.ExcludeFromTracking();

        var chained = app.MapGroup("/chained").RequireAuthorization().ExcludeFromTracking().WithTags("x");
        chained.MapGet("/d", () => 1);

        var tracked = app.MapGroup("/tracked");
        tracked.{|#0:MapGet|}("/e", () => 1);
        tracked.MapGroup("/inner").ExcludeFromTracking();
        """,
        Untracked(0, "GET /tracked/e"));

    [Fact]
    public Task Excluded_endpoints_are_not_reported() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapGet("/a", () => 1).ExcludeFromTracking();
        app.MapGet("/b", () => 1).WithName("b").ExcludeFromTracking();
        app.MapGet("/c", () => 1).WithMetadata(new DoNotTrackAttribute());
        var d = app.MapGet("/d", () => 1);
        d.ExcludeFromTracking();
        app.{|#0:MapGet|}("/f", () => 1).WithName("f");
        // The runtime reads [TrackAs] from the handler only: as metadata it tracks nothing.
        app.{|#1:MapGet|}("/e", () => 1).WithMetadata(new TrackAsAttribute("e"));
        """,
        Untracked(0, "GET /f"), Untracked(1, "GET /e"));

    [Fact]
    public Task Assembly_route_list_excludes_matching_routes() => Verify.Analyzer("""
        using Piwik;
        [assembly: DoNotTrackRoutes("/health", "/metrics/*")]
        [assembly: DoNotTrackRoutes("/internal/ready/")]
        var app = WebApplication.Create();
        app.MapGet("/health", () => "ok");
        app.MapGet("/HEALTH/", () => "ok");
        app.MapGet("/metrics", () => "ok");
        app.MapGet("/metrics/{name}", (string name) => name);
        app.MapGroup("/internal").MapGet("/ready", () => "ok");
        app.{|#0:MapGet|}("/healthz", () => "no");
        app.{|#1:MapGet|}("/metricsx", () => "no");
        """,
        Untracked(0, "GET /healthz"), Untracked(1, "GET /metricsx"));

    [Fact]
    public Task Handler_in_a_local_variable_is_followed() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        var tracked = [TrackAs("x")] () => 1;
        app.MapGet("/a", tracked);
        var untracked = () => 1;
        app.{|#0:MapGet|}("/b", untracked);
        """,
        Untracked(0, "GET /b"));

    [Fact]
    public Task Other_map_methods_are_not_reported() => Verify.Analyzer("""
        var app = WebApplication.Create();
        new Router().MapGet("/a", () => 1);
        new Mapper().Map<string>(42);
        app.MapGet("/rd", (HttpContext context) => context.Response.WriteAsync("request delegate"));
        app.MapGet("/rd2", new RequestDelegate(context => Task.CompletedTask));
        Delegate unknown = GetHandler();
        app.MapGet("/unknown", unknown);
        RouteHandlerExtensions.MapGet(app, "/mine", () => 1);

        static Delegate GetHandler() => () => 1;

        class Router { public void MapGet(string pattern, Delegate handler) { } }
        class Mapper { public T Map<T>(object source) => default!; }
        static class RouteHandlerExtensions
        {
            public static void MapGet(IEndpointRouteBuilder builder, string pattern, Delegate handler) { }
        }
        """);

    [Fact]
    public Task Generated_code_is_skipped() => Verify.Analyzer(new[]
    {
        "var app = WebApplication.Create();\nGenerated.Map(app);\n",
        """
        // <auto-generated/>
        static class Generated
        {
            public static void Map(WebApplication app) => app.MapGet("/generated", () => 1);
        }
        """,
    });

    [Fact]
    public Task TrackAs_on_a_request_delegate_handler_records_nothing() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.{|#0:MapGet|}("/rd", [TrackAs("rd")] (HttpContext context) => context.Response.WriteAsync("x"));
        app.MapGroup("/g").{|#1:MapPost|}("/rd", Handlers.Write);
        app.{|#2:MapFallback|}(Handlers.Write);
        app.MapGet("/ok", [TrackAs("ok")] (HttpContext context) => Results.Text("x"));
        app.MapGet("/plain", (HttpContext context) => context.Response.WriteAsync("x"));

        static class Handlers
        {
            [TrackAs("write")] public static Task Write(HttpContext context) => Task.CompletedTask;
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.TrackAsOnRequestDelegate).WithLocation(0).WithArguments("GET /rd"),
        Verify.Diagnostic(DiagnosticDescriptors.TrackAsOnRequestDelegate).WithLocation(1).WithArguments("POST /g/rd"),
        Verify.Diagnostic(DiagnosticDescriptors.TrackAsOnRequestDelegate).WithLocation(2).WithArguments("ANY /{*path:nonfile}"));

    [Fact]
    public Task Verbs_from_collection_expressions_and_patterns_from_expressions() => Verify.Analyzer("""
        var app = WebApplication.Create();
        app.{|#0:MapMethods|}("/a", ["PUT", "PATCH"], () => 1);
        app.{|#1:Map|}(Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse("/p/{id}"), (int id) => id);
        const string Orders = "/orders";
        app.{|#2:MapGet|}(Orders + "/{id}", (int id) => id);
        """,
        Untracked(0, "PUT,PATCH /a"),
        Untracked(1, "ANY Microsoft.AspNetCore.Routing.Patterns.RoutePatternFactory.Parse(\"/p/{id}\")"),
        Untracked(2, "GET /orders/{id}"));

    [Fact]
    public Task A_group_local_assigned_twice_keeps_only_what_both_agree_on() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        var group = app.MapGroup("/a").ExcludeFromTracking();
        if (args.Length > 0)
        {
            group = app.MapGroup("/b");
        }

        group.{|#0:MapGet|}("/x", () => 1);

        var both = app.MapGroup("/c").ExcludeFromTracking();
        if (args.Length > 0)
        {
            both = app.MapGroup("/c").ExcludeFromTracking();
        }

        both.MapGet("/y", () => 1);
        """,
        Untracked(0, "GET \u2026/x"));
}
