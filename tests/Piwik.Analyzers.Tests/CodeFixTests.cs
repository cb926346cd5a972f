using Microsoft.CodeAnalysis.Testing;
using Piwik.CodeFixes;
using Piwik.Generator;

namespace Piwik.Analyzers.Tests;

/// <summary>The code fixes' exact output.</summary>
public sealed class CodeFixTests
{
    private static DiagnosticResult Untracked(int location, string route) =>
        new DiagnosticResult(DiagnosticDescriptors.UntrackedRoute).WithLocation(location).WithLocation(1).WithArguments(route, "");

    [Fact]
    public Task TrackAs_on_a_lambda_with_using_added() => Verify.CodeFix<UntrackedRouteCodeFixProvider>("""
        var app = WebApplication.Create();
        app.{|#0:MapPost|}("/orders/{id}/items", {|#1:(int id) => id|});
        """, """
        using Piwik;

        var app = WebApplication.Create();
        app.MapPost("/orders/{id}/items", [TrackAs("orders-items-create")] (int id) => id);
        """,
        "Piwik.AddTrackAs",
        Untracked(0, "POST /orders/{id}/items"));

    [Fact]
    public Task DoNotTrack_on_a_lambda_keeps_existing_attributes_and_usings() => Verify.CodeFix<UntrackedRouteCodeFixProvider>("""
        using Microsoft.AspNetCore.Authorization;
        using System.Text;

        var app = WebApplication.Create();
        app.MapGroup("/admin").{|#0:MapGet|}("/stats", {|#1:[Authorize] static () => "ok"|});
        """, """
        using Microsoft.AspNetCore.Authorization;
        using Piwik;
        using System.Text;

        var app = WebApplication.Create();
        app.MapGroup("/admin").MapGet("/stats", [DoNotTrack] [Authorize] static () => "ok");
        """,
        "Piwik.AddDoNotTrack",
        Untracked(0, "GET /admin/stats"));

    [Fact]
    public Task TrackAs_on_a_method_goes_on_its_own_line_after_the_doc_comment() => Verify.CodeFix<UntrackedRouteCodeFixProvider>("""
        using Piwik;

        var app = WebApplication.Create();
        app.{|#0:MapGet|}("/orders/{id}", Handlers.GetOrder);

        static class Handlers
        {
            /// <summary>One order.</summary>
            {|#1:public static int GetOrder(int id) => id;|}
        }
        """, """
        using Piwik;

        var app = WebApplication.Create();
        app.MapGet("/orders/{id}", Handlers.GetOrder);

        static class Handlers
        {
            /// <summary>One order.</summary>
            [TrackAs("orders-view")]
            public static int GetOrder(int id) => id;
        }
        """,
        "Piwik.AddTrackAs",
        Untracked(0, "GET /orders/{id}"));

    [Fact]
    public Task DoNotTrack_on_a_local_function() => Verify.CodeFix<UntrackedRouteCodeFixProvider>("""
        namespace Piwik.Sample
        {
            static class Endpoints
            {
                public static void Main() => Map(WebApplication.Create());

                public static void Map(WebApplication app)
                {
                    app.{|#0:MapGet|}("/health", Health);

                    {|#1:static string Health() => "ok";|}
                }
            }
        }
        """, """
        namespace Piwik.Sample
        {
            static class Endpoints
            {
                public static void Main() => Map(WebApplication.Create());

                public static void Map(WebApplication app)
                {
                    app.MapGet("/health", Health);

                    [DoNotTrack]
                    static string Health() => "ok";
                }
            }
        }
        """,
        "Piwik.AddDoNotTrack",
        Untracked(0, "GET /health"));

    [Fact]
    public Task Placeholder_case_is_fixed_to_the_parameter_spelling() => Verify.CodeFix<PlaceholderCaseCodeFixProvider>("""
        using Piwik;

        var app = WebApplication.Create();
        app.MapPost("/orders", [TrackAs("x", Name = {|#1:"order {|#0:{OrderId.Code}|}"|})] (Order orderId) => 1);

        record Order(string Code);
        """, """
        using Piwik;

        var app = WebApplication.Create();
        app.MapPost("/orders", [TrackAs("x", Name = "order {orderId.Code}")] (Order orderId) => 1);

        record Order(string Code);
        """,
        null,
        new DiagnosticResult(DiagnosticDescriptors.UnknownPlaceholder).WithLocation(0).WithLocation(1)
            .WithArguments("OrderId.Code", "Name", "/orders", "; did you mean '{orderId.Code}'?"));

    [Fact]
    public Task A_placeholder_naming_an_object_is_fixed_to_its_one_scalar_member() => Verify.CodeFix<PlaceholderCaseCodeFixProvider>("""
        using Piwik;

        var app = WebApplication.Create();
        app.MapPost("/todos", [TrackAs("x", Name = {|#1:"todo {|#0:{todo}|}"|})] (Todo todo) => 1);

        record Todo(int Id, string Title, bool Done);
        """, """
        using Piwik;

        var app = WebApplication.Create();
        app.MapPost("/todos", [TrackAs("x", Name = "todo {todo.Id}")] (Todo todo) => 1);

        record Todo(int Id, string Title, bool Done);
        """,
        "Piwik.UseScalarMember",
        new DiagnosticResult(DiagnosticDescriptors.PlaceholderNotScalar).WithLocation(0).WithLocation(1)
            .WithArguments("todo", "Name", "Todo", "; did you mean '{todo.Id}'?"));

    [Fact]
    public Task Fix_all_adds_one_using_and_every_attribute() => Verify.CodeFix<UntrackedRouteCodeFixProvider>("""
        var app = WebApplication.Create();
        app.{|#0:MapGet|}("/", {|#1:() => "home"|});
        app.{|#2:MapDelete|}("/orders/{id}", {|#3:(int id) => id|});
        app.{|#4:MapGet|}("/orders", Handlers.List);

        static class Handlers
        {
            {|#5:public static int List() => 1;|}
        }
        """, """
        using Piwik;

        var app = WebApplication.Create();
        app.MapGet("/", [TrackAs("home")] () => "home");
        app.MapDelete("/orders/{id}", [TrackAs("orders-delete")] (int id) => id);
        app.MapGet("/orders", Handlers.List);

        static class Handlers
        {
            [TrackAs("orders-list")]
            public static int List() => 1;
        }
        """,
        "Piwik.AddTrackAs",
        new DiagnosticResult(DiagnosticDescriptors.UntrackedRoute).WithLocation(0).WithLocation(1).WithArguments("GET /", ""),
        new DiagnosticResult(DiagnosticDescriptors.UntrackedRoute).WithLocation(2).WithLocation(3).WithArguments("DELETE /orders/{id}", ""),
        new DiagnosticResult(DiagnosticDescriptors.UntrackedRoute).WithLocation(4).WithLocation(5).WithArguments("GET /orders", ""));

    [Fact]
    public Task Windows_line_endings_are_kept() => Verify.CodeFix<UntrackedRouteCodeFixProvider>(
        "using System.Text;\r\n\r\nvar app = WebApplication.Create();\r\napp.{|#0:MapGet|}(\"/a\", Handlers.A);\r\n\r\nstatic class Handlers\r\n{\r\n    {|#1:public static int A() => 1;|}\r\n}\r\n",
        "using Piwik;\r\nusing System.Text;\r\n\r\nvar app = WebApplication.Create();\r\napp.MapGet(\"/a\", Handlers.A);\r\n\r\nstatic class Handlers\r\n{\r\n    [DoNotTrack]\r\n    public static int A() => 1;\r\n}\r\n",
        "Piwik.AddDoNotTrack",
        Untracked(0, "GET /a"));
}
