using Piwik.CodeFixes;
using Piwik.Generator;

namespace Piwik.Analyzers.Tests;

/// <summary>PIWIK023: a <c>[TrackAs]</c> handler whose declared results never answer 2xx but redirect records nothing.</summary>
public sealed class RedirectTests
{
    private static Microsoft.CodeAnalysis.Testing.DiagnosticResult RecordsNothing(int location, string handler, string results) =>
        Verify.Diagnostic(DiagnosticDescriptors.RedirectRecordsNothing).WithLocation(location).WithArguments(handler, results);

    [Fact]
    public Task A_handler_that_only_redirects_or_refuses_is_reported_unless_a_redirect_is_its_success() => Verify.Analyzer("""
        using Microsoft.AspNetCore.Http.HttpResults;
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/logout", [{|#0:TrackAs("logout")|}] () => TypedResults.Redirect("/"));
        app.MapPost("/login", [{|#1:TrackAs("login", FailureAction = "login-failed")|}] Results<RedirectHttpResult, UnauthorizedHttpResult, BadRequest<string>> (string password) =>
            password == "x" ? TypedResults.Redirect("/home") : TypedResults.Unauthorized());
        app.MapGet("/go", Api.Go);

        // Not reported: a redirect that is the success, an answer that may be 2xx, a result whose status cannot be seen,
        // and no redirect at all.
        app.MapPost("/signed-in", [TrackAs("signed-in", RedirectIsSuccess = true)] () => TypedResults.Redirect("/"));
        app.MapGet("/maybe", [TrackAs("maybe")] Results<Ok, RedirectHttpResult> (bool b) => b ? TypedResults.Ok() : TypedResults.Redirect("/"));
        app.MapGet("/any", [TrackAs("any")] IResult () => Results.Redirect("/"));
        app.MapGet("/missing", [TrackAs("missing")] () => TypedResults.NotFound());

        static class Api
        {
            [{|#2:TrackAs("go")|}]
            public static async Task<RedirectToRouteHttpResult> Go()
            {
                await Task.Yield();
                return TypedResults.RedirectToRoute("home");
            }
        }
        """,
        RecordsNothing(0, "lambda", "RedirectHttpResult"),
        RecordsNothing(1, "lambda", "Results<RedirectHttpResult, UnauthorizedHttpResult, BadRequest<string>>"),
        RecordsNothing(2, "Api.Go", "RedirectToRouteHttpResult"));

    [Fact]
    public Task The_code_fix_says_the_redirect_is_the_success() => Verify.CodeFix<RedirectIsSuccessCodeFixProvider>("""
        using Microsoft.AspNetCore.Http.HttpResults;
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/logout", [{|#0:TrackAs("logout")|}] () => TypedResults.Redirect("/"));
        app.MapPost("/login", [{|#1:TrackAs("login", FailureAction = "login-failed")|}] Results<RedirectHttpResult, UnauthorizedHttpResult> (string password) =>
            password == "x" ? TypedResults.Redirect("/home") : TypedResults.Unauthorized());
        """, """
        using Microsoft.AspNetCore.Http.HttpResults;
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/logout", [TrackAs("logout", RedirectIsSuccess = true)] () => TypedResults.Redirect("/"));
        app.MapPost("/login", [TrackAs("login", FailureAction = "login-failed", RedirectIsSuccess = true)] Results<RedirectHttpResult, UnauthorizedHttpResult> (string password) =>
            password == "x" ? TypedResults.Redirect("/home") : TypedResults.Unauthorized());
        """,
        "Piwik.RedirectIsSuccess",
        RecordsNothing(0, "lambda", "RedirectHttpResult"),
        RecordsNothing(1, "lambda", "Results<RedirectHttpResult, UnauthorizedHttpResult>"));
}
