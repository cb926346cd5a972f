using Piwik.Generator;

namespace Piwik.Analyzers.Tests;

/// <summary><c>{result}</c> templates (PIWIK020, and PIWIK003/PIWIK012 on the result's members) and order <c>Items</c> (PIWIK021).</summary>
public sealed class ResultTemplateTests
{
    [Fact]
    public Task Results_of_every_carrying_shape_are_quiet() => Verify.Analyzer("""
        using Microsoft.AspNetCore.Http.HttpResults;
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/groups", [TrackAs("group_created", Name = "{result.Id}")] Results<Created<GroupCreated>, NotFound> (string name) => TypedResults.Created("/g/1", new GroupCreated(1)));
        app.MapPost("/a", [TrackAs("a", Name = "{result.Id}")] async Task<Ok<GroupCreated>> () => { await Task.Yield(); return TypedResults.Ok(new GroupCreated(1)); });
        app.MapPost("/b", [TrackAs("b", Name = "{result.Id}")] ValueTask<GroupCreated> () => ValueTask.FromResult(new GroupCreated(1)));
        app.MapPost("/c", [TrackAs("c", Value = "{result}")] () => 3);
        app.MapPost("/d", [TrackAs("d", Name = "{result.Id}")] () => TypedResults.Accepted("/d", new GroupCreated(1)));
        app.MapPost("/e", [TrackAs("e", Name = "{result.Id}")] () => TypedResults.Json(new GroupCreated(1)));
        app.MapPost("/f", [TrackAs("f", Value = "{result.Count}")] () => TypedResults.Ok(new Page(2)));
        app.MapGet("/s", [TrackSearch(Keyword = "{q}", Count = "{result.Count}")] Results<Ok<Page>, BadRequest> (string q) => TypedResults.Ok(new Page(2)));
        app.MapPost("/g/{result}", [TrackAs("g", Name = "{result}")] (string result) => TypedResults.NoContent());

        record GroupCreated(int Id);
        record struct Page(int Count);
        """);

    [Fact]
    public Task A_result_without_a_value_is_an_error_saying_why() => Verify.Analyzer("""
        using Microsoft.AspNetCore.Http.HttpResults;
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/a", [TrackAs("a", Name = "{|#0:{result.Id}|}")] () => { });
        app.MapPost("/b", [TrackAs("b", Name = "{|#1:{result}|}")] async Task () => await Task.Yield());
        app.MapPost("/c", [TrackAs("c", Name = "{|#2:{result.Id}|}")] IResult () => Results.Ok(new GroupCreated(1)));
        app.MapPost("/d", [TrackAs("d", Name = "{|#3:{result}|}")] Results<NoContent, NotFound> () => TypedResults.NoContent());
        app.MapPost("/e", [TrackAs("e", Name = "{|#4:{result.Id}|}")] Results<Ok<GroupCreated>, Created<Other>> () => TypedResults.Ok(new GroupCreated(1)));
        app.MapGet("/s", [{|#5:TrackSearch(Keyword = "{q}", Count = "{result.Count}")|}] (string q) => TypedResults.NoContent());

        record GroupCreated(int Id);
        record Other(int Id);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.ResultHasNoValue).WithLocation(0).WithArguments("result.Id", "the Name template", "the handler returns void, which carries no value"),
        Verify.Diagnostic(DiagnosticDescriptors.ResultHasNoValue).WithLocation(1).WithArguments("result", "the Name template", "the handler returns Task, which carries no value"),
        Verify.Diagnostic(DiagnosticDescriptors.ResultHasNoValue).WithLocation(2).WithArguments("result.Id", "the Name template", "IResult carries no value the compiler can see (declare a typed result such as Ok<T> or Results<Created<T>, NotFound>)"),
        Verify.Diagnostic(DiagnosticDescriptors.ResultHasNoValue).WithLocation(3).WithArguments("result", "the Name template", "no arm of Results<NoContent, NotFound> carries a value (return Ok<T>, Created<T>, Accepted<T>... for one)"),
        Verify.Diagnostic(DiagnosticDescriptors.ResultHasNoValue).WithLocation(4).WithArguments("result.Id", "the Name template", "the arms of Results<Ok<GroupCreated>, Created<Other>> carry different values (GroupCreated, Other); name a member of one type"),
        Verify.Diagnostic(DiagnosticDescriptors.ResultHasNoValue).WithLocation(5).WithArguments("result.Count", "[TrackSearch] Count", "NoContent carries no value the compiler can see (declare a typed result such as Ok<T> or Results<Created<T>, NotFound>)"));

    [Fact]
    public Task Members_of_the_result_are_checked_like_members_of_a_parameter() => Verify.Analyzer("""
        using Microsoft.AspNetCore.Http.HttpResults;
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/a", [TrackAs("a", Name = "{|#0:{result.Number}|}")] () => TypedResults.Ok(new GroupCreated(1, new Owner("x"))));
        app.MapPost("/b", [TrackAs("b", Name = "{|#1:{result.Owner}|}")] () => TypedResults.Ok(new GroupCreated(1, new Owner("x"))));

        record GroupCreated(int Id, Owner Owner);
        record Owner(string Email);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.MemberNotFound).WithLocation(0).WithArguments("result.Number", "Number", "'GroupCreated'"),
        Verify.Diagnostic(DiagnosticDescriptors.PlaceholderNotScalar).WithLocation(1).WithArguments("result.Owner", "Name", "Owner", "; did you mean '{result.Owner.Email}'?"));

    [Fact]
    public Task Order_items_name_a_collection_of_lines_with_a_sku() => Verify.Analyzer("""
        using Microsoft.AspNetCore.Http.HttpResults;
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/ok", [TrackOrder(Id = "{c.Id}", Revenue = "{c.Total}", Items = "{c.Lines}")] (Cart c) => 1);
        app.MapPost("/ok2", [TrackOrder(Id = "{result.Id}", Revenue = "{result.Total}", Items = "{result.Items}")] () => TypedResults.Ok(new Receipt("r", 1m, [])));
        app.MapPost("/a", [{|#0:TrackOrder(Id = "{c.Id}", Revenue = "{c.Total}", Items = "{c.Total}")|}] (Cart c) => 1);
        app.MapPost("/b", [{|#1:TrackOrder(Id = "{c.Id}", Revenue = "{c.Total}", Items = "{c.Id}")|}] (Cart c) => 1);
        app.MapPost("/c", [{|#2:TrackOrder(Id = "{c.Id}", Revenue = "{c.Total}", Items = "{c.Notes}")|}] (Cart c) => 1);
        app.MapPost("/d", [{|#3:TrackOrder(Id = "{c.Id}", Revenue = "{c.Total}", Items = "{c.Odd}")|}] (Cart c) => 1);
        app.MapPost("/e", [{|#4:TrackOrder(Id = "{c.Id}", Revenue = "{c.Total}", Items = "lines: {c.Lines}")|}] (Cart c) => 1);
        app.MapPost("/f", [{|#5:TrackOrder(Id = "{c.Id}", Revenue = "{c.Total}", Items = "{c.Missing}")|}] (Cart c) => 1);

        record Line(string SKU, string Name, decimal price, int Quantity, string Category);
        record Note(string Text);
        record OddLine(string Sku, string Price);
        record Cart(string Id, decimal Total, List<Line> Lines, Note[] Notes, IEnumerable<OddLine> Odd);
        record Receipt(string Id, decimal Total, PiwikOrderItem[] Items);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.OrderItemsUnreadable).WithLocation(0).WithArguments("'{c.Total}' is a decimal, not a collection of order lines"),
        Verify.Diagnostic(DiagnosticDescriptors.OrderItemsUnreadable).WithLocation(1).WithArguments("'{c.Id}' is a string, not a collection of order lines"),
        Verify.Diagnostic(DiagnosticDescriptors.OrderItemsUnreadable).WithLocation(2).WithArguments("the element type Note has no readable 'Sku' member (the product's SKU, required)"),
        Verify.Diagnostic(DiagnosticDescriptors.OrderItemsUnreadable).WithLocation(3).WithArguments("OddLine.Price is a string, not a number"),
        Verify.Diagnostic(DiagnosticDescriptors.OrderItemsUnreadable).WithLocation(4).WithArguments("'lines: {c.Lines}' must be one placeholder naming a collection, such as '{cart.Lines}'"),
        Verify.Diagnostic(DiagnosticDescriptors.HitTemplateUnbound).WithLocation(5).WithArguments("TrackOrder", "Items", "c.Missing", "has no readable member 'Missing' on Cart"));
}
