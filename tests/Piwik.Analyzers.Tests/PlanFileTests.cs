using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Piwik.CodeFixes;
using Piwik.Generator;
using Piwik.Generator.Analyzers;

namespace Piwik.Analyzers.Tests;

/// <summary>PIWIK030-PIWIK032: the code compared with PiwikTrackingPlan.txt, and the code fix that updates the file.</summary>
public sealed class PlanFileTests
{
    private const string PlanFile = "PiwikTrackingPlan.txt";

    private const string App = """
        using Piwik;
        var app = WebApplication.Create();
        app.{|#0:MapPost|}("/signup", [TrackAs("signup", Category = "account", Name = "{plan}", Goal = {|#4:"Sign-ups"|})] (string plan) => 1);
        app.{|#1:MapPost|}("/login", [TrackAs("login", Category = "account", FailureAction = "login-failed")] () => 1);
        var groups = app.MapGroup("/groups");
        groups.{|#2:MapPost|}("/{groupId}/members", [TrackAs("join", Category = "groups", Name = "{groupId}")] (string groupId) => 1);
        groups.{|#3:MapPost|}("/{groupId}/join", [TrackAs("join", Category = "groups", Name = "{groupId}")] (string groupId) => 1);
        app.MapGet("/health", [DoNotTrack] () => "ok");
        """;

    private const string SignupLine = "event account/signup | routes: POST /signup | name: {plan} | goal: Sign-ups";
    private const string LoginLine = "event account/login | routes: POST /login | failure: login-failed";
    private const string JoinLine = "event groups/join | routes: POST /groups/{groupId}/join, POST /groups/{groupId}/members | name: {groupId}";
    private const string GoalLine = "goal Sign-ups | category: account | action: signup";

    private static readonly string Complete = string.Join("\n", "# Reviewed tracking plan", LoginLine, SignupLine, JoinLine, GoalLine) + "\n";

    [Fact]
    public Task Without_a_plan_file_nothing_is_compared() => Verify.Analyzer(App);

    [Fact]
    public Task A_plan_file_that_matches_the_code_gives_no_diagnostic() => Analyze(Complete);

    [Fact]
    public Task An_entry_added_in_code_is_reported_and_the_fix_adds_its_line() => Fix(
        Without(SignupLine),
        Complete,
        Diagnostic(DiagnosticDescriptors.PlanEntryNotInFile).WithLocation(0).WithArguments("event account/signup", SignupLine));

    [Fact]
    public async Task An_entry_removed_from_code_is_reported_on_the_file_and_the_fix_removes_its_line()
    {
        await Analyze(
            Complete + "event account/logout | routes: POST /logout\n",
            Diagnostic(DiagnosticDescriptors.PlanEntryNotInCode).WithSpan(PlanFile, 6, 1, 6, 44).WithArguments("event account/logout"));

        // The test framework only applies fixes to diagnostics in C# documents; the IDE also offers them on the plan file.
        var fixedText = await PlanFileWorkspace.FixOneAsync(App, Complete + "event account/logout | routes: POST /logout\n", "PIWIK031");
        Assert.Equal(Complete, fixedText);
    }

    [Fact]
    public async Task Fix_all_adds_rewrites_and_removes_every_entry_at_once()
    {
        var stale = "# Reviewed tracking plan\nevent account/logout | routes: POST /logout\nevent groups/join | routes: POST /groups/{groupId}/members\n";
        var fixedText = await PlanFileWorkspace.FixAllAsync(App, stale);
        Assert.Equal(Complete, fixedText);
    }

    [Fact]
    public Task An_entry_changed_in_code_is_reported_and_the_fix_rewrites_its_line()
    {
        var oldJoin = "event groups/join | routes: POST /groups/{groupId}/members | name: {groupId}";
        return Fix(
            Complete.Replace(JoinLine, oldJoin, StringComparison.Ordinal),
            Complete,
            Diagnostic(DiagnosticDescriptors.PlanEntryChanged).WithLocation(2).WithArguments("event groups/join", JoinLine, oldJoin));
    }

    [Fact]
    public async Task Fix_all_fills_a_new_plan_file_sorted_with_its_comments_kept()
    {
        var test = new CSharpCodeFixTest<TrackingAnalyzer, PlanFileCodeFixProvider, DefaultVerifier>
        {
            CodeActionEquivalenceKey = "Piwik.UpdateTrackingPlanFile",
            // One fix-all iteration updates every entry; the single-fix path is what the tests above check.
            NumberOfFixAllIterations = 1,
            NumberOfFixAllInDocumentIterations = 1,
            NumberOfFixAllInProjectIterations = 1,
            CodeFixTestBehaviors = CodeFixTestBehaviors.SkipFixAllInDocumentCheck | CodeFixTestBehaviors.SkipLocalDiagnosticCheck,
            NumberOfIncrementalIterations = 4,
        };
        Verify.Configure(test.TestState, App);
        test.TestState.AdditionalFiles.Add((PlanFile, "# Reviewed tracking plan\n"));
        Verify.Configure(test.FixedState, App);
        test.FixedState.AdditionalFiles.Add((PlanFile, Complete));
        test.ExpectedDiagnostics.AddRange(
        [
            Diagnostic(DiagnosticDescriptors.PlanEntryNotInFile).WithLocation(0).WithArguments("event account/signup", SignupLine),
            Diagnostic(DiagnosticDescriptors.PlanEntryNotInFile).WithLocation(1).WithArguments("event account/login", LoginLine),
            Diagnostic(DiagnosticDescriptors.PlanEntryNotInFile).WithLocation(2).WithArguments("event groups/join", JoinLine),
            Diagnostic(DiagnosticDescriptors.PlanEntryNotInFile).WithLocation(4).WithArguments("goal Sign-ups", GoalLine),
        ]);
        await test.RunAsync();
    }

    [Fact]
    public async Task Orders_searches_and_dimensions_are_plan_entries_too()
    {
        const string app = """
            using Microsoft.AspNetCore.Http.HttpResults;
            using Piwik;
            var app = WebApplication.Create();
            app.{|#0:MapPost|}("/checkout", [TrackOrder(Id = "{result.Id}", Revenue = "{result.Total}", Items = "{cart.Lines}"), TrackDimension(2, "{cart.Plan}")] (Cart cart) => TypedResults.Ok(new Receipt("r", 1m)));
            app.{|#1:MapGet|}("/search", [TrackSearch(Keyword = "{q}", Category = "groups", Count = "{result.Count}"), TrackDimension(2, "search")] (string q) => TypedResults.Ok(new Page(1)));

            record Line(string Sku);
            record Cart(string Plan, Line[] Lines);
            record Receipt(string Id, decimal Total);
            record Page(int Count);
            """;
        const string order = "order POST /checkout | id: {result.Id} | revenue: {result.Total} | items: {cart.Lines}";
        const string search = "search GET /search | keyword: {q} | category: groups | count: {result.Count}";
        const string dimension = "dimension 2 | routes: GET /search, POST /checkout | value: {cart.Plan}";

        var test = new CSharpAnalyzerTest<TrackingAnalyzer, DefaultVerifier>();
        Verify.Configure(test.TestState, app);
        test.TestState.AdditionalFiles.Add((PlanFile, "# plan\n" + search + "\n"));
        test.ExpectedDiagnostics.AddRange(
        [
            Diagnostic(DiagnosticDescriptors.PlanEntryNotInFile).WithLocation(0).WithArguments("order POST /checkout", order),
            Diagnostic(DiagnosticDescriptors.PlanEntryNotInFile).WithLocation(0).WithArguments("dimension 2", dimension),
        ]);
        await test.RunAsync();

        var fixedText = await PlanFileWorkspace.FixAllAsync(app, "# plan\n");
        Assert.Equal("# plan\n" + string.Join("\n", dimension, order, search) + "\n", fixedText);
    }

    private static string Without(string line) => Complete.Replace(line + "\n", string.Empty, StringComparison.Ordinal);

    private static DiagnosticResult Diagnostic(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor) => Verify.Diagnostic(descriptor);

    private static async Task Analyze(string planFile, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TrackingAnalyzer, DefaultVerifier>();
        Verify.Configure(test.TestState, App);
        test.TestState.AdditionalFiles.Add((PlanFile, planFile));
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    private static async Task Fix(string planFile, string fixedPlanFile, params DiagnosticResult[] expected)
    {
        var test = new CSharpCodeFixTest<TrackingAnalyzer, PlanFileCodeFixProvider, DefaultVerifier>
        {
            CodeActionEquivalenceKey = "Piwik.UpdateTrackingPlanFile",
            // Compilation-end diagnostics are never local; their fix edits the plan file, not the code.
            CodeFixTestBehaviors = CodeFixTestBehaviors.SkipLocalDiagnosticCheck,
        };
        Verify.Configure(test.TestState, App);
        test.TestState.AdditionalFiles.Add((PlanFile, planFile));
        Verify.Configure(test.FixedState, App);
        test.FixedState.AdditionalFiles.Add((PlanFile, fixedPlanFile));
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }
}
