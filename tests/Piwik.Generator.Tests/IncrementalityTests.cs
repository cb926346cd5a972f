extern alias generator;

using generator::Piwik.Generator;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace Piwik.Generator.Tests;

/// <summary>An edit that does not touch a [TrackAs] handler must leave every step of the generator cached.</summary>
public sealed class IncrementalityTests
{
    private static readonly string[] Steps =
    [
        TrackingNames.Handlers, TrackingNames.ValidHandlers, TrackingNames.AllHandlers,
        TrackingNames.EndpointCalls, TrackingNames.TrackedEndpoints, TrackingNames.AllTrackedEndpoints, TrackingNames.PlanNamespace,
        TrackingNames.ExcludedRoutes, TrackingNames.AllExcludedRoutes,
    ];

    [Fact]
    public void Unrelated_edit_keeps_every_named_step_cached()
    {
        var compilation = GeneratorHarness.CreateCompilation("Incremental", TestSources.App, "namespace Other; public static class Unrelated { public static int Answer() => 41; }");
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);

        // Edit the unrelated file, and also the handlers' file away from any handler (a new member after them).
        var unrelated = compilation.SyntaxTrees.Single(t => t.FilePath == "Source1.cs");
        var handlers = compilation.SyntaxTrees.Single(t => t.FilePath == "Source0.cs");
        var edited = compilation
            .ReplaceSyntaxTree(unrelated, unrelated.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("namespace Other; public static class Unrelated { public static int Answer() => 42; }")))
            .ReplaceSyntaxTree(handlers, CSharpSyntaxTree.ParseText(TestSources.App + "\nnamespace TestApp { public static class Extra { public static int Value => 1; } }", (CSharpParseOptions)handlers.Options, handlers.FilePath));

        var run = driver.RunGenerators(edited).GetRunResult().Results.Single();
        foreach (var step in Steps)
        {
            Assert.True(run.TrackedSteps.ContainsKey(step), $"Step {step} did not run: is it still named?");
            foreach (var output in run.TrackedSteps[step].SelectMany(s => s.Outputs))
            {
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{step}: {output.Reason}");
            }
        }

        Assert.All(run.TrackedOutputSteps.SelectMany(s => s.Value).SelectMany(s => s.Outputs), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void Editing_a_route_changes_the_plan()
    {
        var compilation = GeneratorHarness.CreateCompilation("Incremental3", TestSources.App);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Source0.cs");
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(TestSources.App.Replace("\"/signup\"", "\"/register\"", StringComparison.Ordinal), (CSharpParseOptions)tree.Options, tree.FilePath));

        var run = driver.RunGenerators(edited).GetRunResult();
        var steps = run.Results.Single().TrackedSteps;
        Assert.Contains(steps[TrackingNames.AllTrackedEndpoints].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        var plan = run.Results.Single().GeneratedSources.Single(s => s.HintName == PiwikGenerator.PlanEmitter.HintName).SourceText.ToString();
        Assert.Contains("\n                /register|1|", plan, StringComparison.Ordinal); // the row's first field: its route
    }

    [Fact]
    public void Editing_a_handler_attribute_changes_the_output()
    {
        var compilation = GeneratorHarness.CreateCompilation("Incremental2", TestSources.App);
        var driver = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation);
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Source0.cs");
        var edited = compilation.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(TestSources.App.Replace("\"signup\"", "\"register\"", StringComparison.Ordinal), (CSharpParseOptions)tree.Options, tree.FilePath));

        var run = driver.RunGenerators(edited).GetRunResult();
        Assert.Contains(run.Results.Single().TrackedSteps[TrackingNames.AllHandlers].SelectMany(s => s.Outputs), o => o.Reason == IncrementalStepRunReason.Modified);
        Assert.Contains("|account|register|", GeneratorHarness.PiwikOutput(run), StringComparison.Ordinal); // the row's category and action
    }
}
