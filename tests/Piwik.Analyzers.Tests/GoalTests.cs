using Piwik.Generator;

namespace Piwik.Analyzers.Tests;

/// <summary>PIWIK033 and PIWIK034: goals that Matomo would convert on the wrong events.</summary>
public sealed class GoalTests
{
    [Fact]
    public Task A_goal_whose_action_another_category_records_is_reported() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/groups", [TrackAs("create", Category = "groups", Goal = {|#0:"Groups created"|})] () => 1);
        app.MapPost("/projects", [TrackAs("create", Category = "projects")] () => 1);
        app.MapPost("/signup", [TrackAs("signup", Category = "account", Goal = "Sign-ups")] () => 1);
        app.MapPost("/login", [TrackAs("login", Category = "account", FailureAction = "denied")] () => 1);
        app.MapPost("/pay", [TrackAs("denied", Category = "billing", Goal = {|#1:"Refusals"|})] () => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.GoalActionNotUnique).WithLocation(0).WithArguments("Groups created", "create", "projects"),
        Verify.Diagnostic(DiagnosticDescriptors.GoalActionNotUnique).WithLocation(1).WithArguments("Refusals", "denied", "account"));

    [Fact]
    public Task One_goal_name_on_two_actions_is_reported() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/signup", [TrackAs("signup", Category = "account", Goal = "Sign-ups")] () => 1);
        app.MapPost("/invite", [TrackAs("accept-invite", Category = "account", Goal = {|#0:"Sign-ups"|})] () => 1);
        app.MapPost("/v2/signup", [TrackAs("signup", Category = "account", Goal = "Sign-ups")] () => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.GoalNameOnTwoActions).WithLocation(0).WithArguments("Sign-ups", "accept-invite", "signup"));

    [Fact]
    public Task Goals_on_unique_actions_and_one_handler_on_two_routes_are_fine() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/signup", Handlers.Signup);
        app.MapPost("/v2/signup", Handlers.Signup);
        app.MapPost("/groups/{id}/members", [TrackAs("group-join", Category = "groups", Goal = "Joins")] (string id) => 1);

        static class Handlers
        {
            [TrackAs("signup", Category = "account", Value = "9.5", Goal = "Sign-ups")] public static int Signup() => 1;
        }
        """);
}
