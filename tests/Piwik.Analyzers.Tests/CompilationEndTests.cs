using Piwik.Generator;

namespace Piwik.Analyzers.Tests;

/// <summary>PIWIK007 and PIWIK009: rules that need every endpoint of the compilation.</summary>
public sealed class CompilationEndTests
{
    [Fact]
    public Task TrackAs_on_a_method_never_mapped_is_reported() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapGet("/used", Handlers.Used);
        Delegate stored = Handlers.ThroughVariable;
        app.MapGet("/stored", stored);
        Handlers.Unused();
        var notMapped = [TrackAs("lambda")] () => 1;

        [{|#1:TrackAs("local")|}] int UnusedLocal() => 1;

        static class Handlers
        {
            [TrackAs("used")] public static int Used() => 1;
            [TrackAs("stored")] public static int ThroughVariable() => 1;
            [{|#0:TrackAs("unused")|}] public static int Unused() => 1;
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.TrackAsNotAnEndpoint).WithLocation(0).WithArguments("Handlers.Unused", ""),
        Verify.Diagnostic(DiagnosticDescriptors.TrackAsNotAnEndpoint).WithLocation(1).WithArguments("UnusedLocal", ""));

    [Fact]
    public Task Same_event_with_different_meaning_is_reported() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapGet("/orders/{id}", [TrackAs("order", Category = "shop", Name = "{id}")] (int id) => 1);
        app.{|#0:MapDelete|}("/orders/{id}", [TrackAs("order", Category = "shop", Name = "{id}")] (int id) => 1);
        app.{|#1:MapGet|}("/carts/{id}", [TrackAs("order", Category = "shop", Name = "cart {id}")] (int id) => 1);
        app.MapGet("/v2/orders/{id}", [TrackAs("order", Category = "shop", Name = "{id}")] (int id) => 1);
        app.MapGet("/other/{id}", [TrackAs("order", Category = "other")] (int id) => 1);
        app.MapGet("/a", Handlers.Shared);
        app.MapGet("/b", Handlers.Shared);

        static class Handlers
        {
            [TrackAs("shared", Value = "1")] public static int Shared() => 1;
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.AmbiguousEvent).WithLocation(0).WithArguments("shop/order", "DELETE /orders/{id}", "GET /orders/{id}", "uses GET"),
        Verify.Diagnostic(DiagnosticDescriptors.AmbiguousEvent).WithLocation(1).WithArguments("shop/order", "GET /carts/{id}", "GET /orders/{id}", "has Name '{id}'"));

    [Fact]
    public Task Public_handlers_of_a_library_may_be_mapped_elsewhere() => Verify.Library("""
        using Piwik;

        public static class Handlers
        {
            [TrackAs("public")] public static int Public() => 1;
            [{|#0:TrackAs("internal")|}] internal static int Internal() => 1;
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.TrackAsNotAnEndpoint).WithLocation(0).WithArguments("Handlers.Internal", ""));

    [Fact]
    public Task Tracked_handlers_in_excluded_groups_still_count() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/orders", [TrackAs("order")] () => 1);
        var admin = app.MapGroup("/admin").ExcludeFromTracking();
        admin.{|#0:MapDelete|}("/orders", [TrackAs("order")] () => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.AmbiguousEvent).WithLocation(0).WithArguments("order", "DELETE /admin/orders", "POST /orders", "uses POST"));
}
