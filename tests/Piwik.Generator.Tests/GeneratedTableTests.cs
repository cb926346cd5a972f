extern alias generator;

using System.Runtime.CompilerServices;
using generator::Piwik.Generator;
using Microsoft.AspNetCore.Http;
using Piwik.Infrastructure;

namespace Piwik.Generator.Tests;

/// <summary>
/// The registrations and the plan are text tables in the generated code, read at run time: every character of the
/// attribute values, routes and parameter names must come back as written, and null must stay apart from "~" and "".
/// </summary>
public sealed class GeneratedTableTests
{
    // The app's strings as C# literals, so that the assertions below spell them exactly as the app does. They hold the
    // table's separator, null marker and escape, a run of quotes longer than a raw literal's delimiter, line breaks
    // (C#'s and Unicode's), a control character, a lone surrogate, a valid pair, and text that looks like an escape.
    private const string TrickyApp = """""
        namespace Tricky;

        public static class Routes
        {
            public static void Map(WebApplication app)
            {
                app.MapGet("/a|b/~/\\\"\"\"\"/{id}", [TrackAs("act|~\\\"\"\"\"\n\r\t\u2028\u0085\u0001\uD800x\uD83D\uDE00", Category = "~", FailureAction = "", Name = "{id}|\\u0041~")] (int id) => id);
                app.MapGet("/plain", [TrackAs("~", Category = "", Name = "")] (string? q, HttpContext context) => q);
                app.MapMethods("/methods", new[] { "GET", "X|~" }, [TrackAs("methods|x", Value = "2.5")] () => 1);
                app.MapGet("/hits", [TrackOrder(Id = "o", Revenue = "1", Discount = "", Items = "~")] [TrackSearch(Keyword = "~", Count = "2")] [TrackDimension(8, "|s|")] [TrackDimension(7, "~")] () => 1);
            }
        }
        """"";

    private const string Route = "/a|b/~/\\\"\"\"\"/{id}";
    private const string Action = "act|~\\\"\"\"\"\n\r\t\u2028\u0085\u0001\uD800x\uD83D\uDE00";
    private const string NameTemplate = "{id}|\\u0041~";

    [Fact]
    public void Plan_rows_and_registrations_keep_every_character_and_tell_null_from_tilde_and_empty()
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("TrickyPlan", TrickyApp));
        var plan = run.Results.SelectMany(r => r.GeneratedSources).Single(s => s.HintName == PiwikGenerator.PlanEmitter.HintName).SourceText.ToString();
        Assert.Contains("\"\"\"\"\"\n", plan, StringComparison.Ordinal); // a delimiter longer than the app's """"

        var assembly = GeneratorHarness.EmitAndLoad(output);
        var rows = (IReadOnlyList<TrackedEndpointInfo>)assembly.GetType("Piwik.Generated.PiwikTrackingPlan", throwOnError: true)!
            .GetProperty("Endpoints")!.GetValue(null)!;

        var tricky = Assert.Single(rows, r => r.Route == Route);
        Assert.Equal(Action, tricky.Action);
        Assert.Equal("~", tricky.Category);
        Assert.Equal(string.Empty, tricky.FailureAction);
        Assert.Equal(NameTemplate, tricky.NameTemplate);
        Assert.Null(tricky.ValueTemplate);
        Assert.Equal(["GET"], tricky.HttpMethods);
        Assert.True(tricky.IsRouteComplete);
        Assert.Equal("lambda", tricky.Handler);

        var plain = Assert.Single(rows, r => r.Route == "/plain");
        Assert.Equal("~", plain.Action);
        Assert.Equal(string.Empty, plain.Category);
        Assert.Null(plain.FailureAction);
        Assert.Equal(string.Empty, plain.NameTemplate);

        var methods = Assert.Single(rows, r => r.Route == "/methods");
        Assert.Equal(["GET", "X|~"], methods.HttpMethods);
        Assert.Null(methods.Category);
        Assert.Equal("2.5", methods.ValueTemplate);
        Assert.Null(methods.Order);
        Assert.Null(methods.Search);
        Assert.Empty(methods.Dimensions);

        // The order, search and dimensions: their markers (o, s), ~ and "" as values, null apart from all three.
        var hits = Assert.Single(rows, r => r.Route == "/hits");
        Assert.Null(hits.Action);
        Assert.Equal(("o", "1", null, "", "~"), (hits.Order!.Id, hits.Order.Revenue, hits.Order.Subtotal, hits.Order.Discount, hits.Order.Items));
        Assert.Equal(("~", null, "2"), (hits.Search!.Keyword, hits.Search.Category, hits.Search.Count));
        Assert.Equal([(7, "~"), (8, "|s|")], hits.Dimensions.Select(d => (d.Id, d.ValueTemplate)));

        // The registrations (the registry is per process: one test reads both tables of the one assembly).
        RuntimeHelpers.RunModuleConstructor(assembly.ManifestModule.ModuleHandle);

        var handler = Assert.Single(TrackedHandlerRegistry.All, h => h.Action == Action);
        Assert.Equal("~", handler.Category);
        Assert.Equal(string.Empty, handler.FailureAction);
        Assert.Equal(NameTemplate, handler.NameTemplate);
        Assert.Null(handler.ValueTemplate);
        Assert.Equal([typeof(int)], handler.ParameterTypes);
        Assert.Equal(["id"], handler.ParameterNames);
        Assert.NotNull(handler.Name);
        Assert.Null(handler.Value);

        handler = Assert.Single(TrackedHandlerRegistry.All, h => h.Action == "~" && h.Category == string.Empty);
        Assert.Null(handler.FailureAction);
        Assert.Equal(string.Empty, handler.NameTemplate);
        Assert.Equal([typeof(string), typeof(HttpContext)], handler.ParameterTypes);
        Assert.Equal(["q", "context"], handler.ParameterNames);

        handler = Assert.Single(TrackedHandlerRegistry.All, h => h.Action == "methods|x");
        Assert.Null(handler.Category);
        Assert.Empty(handler.ParameterTypes);
        Assert.Empty(handler.ParameterNames);
        Assert.Null(handler.Name);
        Assert.Equal(2.5, handler.Value!(null!).Number);
    }
}
