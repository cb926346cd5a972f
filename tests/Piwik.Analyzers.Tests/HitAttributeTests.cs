using Piwik.Generator;

namespace Piwik.Analyzers.Tests;

/// <summary>PIWIK014-PIWIK019: mistakes in <c>[TrackOrder]</c>, <c>[TrackSearch]</c> and <c>[TrackDimension]</c>.</summary>
public sealed class HitAttributeTests
{
    [Fact]
    public Task Well_formed_orders_searches_and_dimensions_are_quiet_and_count_as_tracked() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/orders/{orderId}", [TrackOrder(Id = "{orderId}", Revenue = "{pay.Total}", Tax = "{pay.Tax}", Shipping = "4.5")] [TrackDimension(2, "{pay.Plan}")] (string orderId, Pay pay) => 1);
        app.MapGet("/search", [TrackSearch(Keyword = "{q}", Category = "groups", Count = "{limit}")] (string q, int? limit) => 1);
        app.MapGet("/teams/{team}/search", Handlers.Search);

        record Pay(decimal Total, double? Tax, string Plan);
        static class Handlers
        {
            [TrackSearch(Keyword = "{team}"), TrackDimension(1, "{team}")]
            public static int Search() => 1;
        }
        """);

    [Fact]
    public Task An_order_without_id_or_revenue_is_an_error() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/a", [{|#0:TrackOrder(Revenue = "1")|}] () => 1);
        app.MapPost("/b", [{|#1:TrackOrder|}] () => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.OrderIncomplete).WithLocation(0).WithArguments("Id"),
        Verify.Diagnostic(DiagnosticDescriptors.OrderIncomplete).WithLocation(1).WithArguments("Id and Revenue"));

    [Fact]
    public Task A_dimension_id_below_one_is_an_error() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/a", [TrackAs("a"), {|#0:TrackDimension(0, "x")|}] () => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.DimensionIdNotPositive).WithLocation(0).WithArguments("0"));

    [Fact]
    public Task Amounts_and_counts_must_be_numbers() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapGet("/s", [{|#0:TrackSearch(Keyword = "{q}", Count = "{q}")|}] (string q) => 1);
        app.MapPost("/o", [{|#1:TrackOrder(Id = "x", Revenue = "{total} EUR")|}] (decimal total) => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.HitNumberNotNumeric).WithLocation(0).WithArguments("TrackSearch", "Count", "{q}"),
        Verify.Diagnostic(DiagnosticDescriptors.HitNumberNotNumeric).WithLocation(1).WithArguments("TrackOrder", "Revenue", "{total} EUR"));

    [Fact]
    public Task A_search_without_keyword_is_an_error() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapGet("/s", [{|#0:TrackSearch(Category = "groups")|}] () => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.SearchWithoutKeyword).WithLocation(0));

    [Fact]
    public Task DoNotTrack_with_an_order_search_or_dimension_is_an_error() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapGet("/s", [DoNotTrack, {|#0:TrackSearch(Keyword = "{q}")|}, {|#1:TrackDimension(1, "x")|}] (string q) => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.HitAndDoNotTrack).WithLocation(0).WithArguments("lambda", "TrackSearch"),
        Verify.Diagnostic(DiagnosticDescriptors.HitAndDoNotTrack).WithLocation(1).WithArguments("lambda", "TrackDimension"));

    [Fact]
    public Task Unknown_members_and_objects_in_these_templates_are_errors() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/o", [{|#0:TrackOrder(Id = "{pay.Number}", Revenue = "{pay.Total}")|}] (Pay pay) => 1);
        app.MapPost("/d", [TrackAs("d"), {|#1:TrackDimension(1, "{pay}")|}] (Pay pay) => 1);

        record Pay(decimal Total);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.HitTemplateUnbound).WithLocation(0).WithArguments("TrackOrder", "Id", "pay.Number", "has no readable member 'Number' on Pay"),
        Verify.Diagnostic(DiagnosticDescriptors.HitTemplateUnbound).WithLocation(1).WithArguments("TrackDimension", "value", "pay", "is a Pay, not a scalar"));
}
