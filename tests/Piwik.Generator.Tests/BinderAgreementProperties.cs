extern alias generator;

using CsCheck;
using generator::Piwik.Generator;
using generator::Piwik.Generator.Model;
using generator::Piwik.Shared;
using Microsoft.CodeAnalysis;

namespace Piwik.Generator.Tests;

/// <summary>
/// The analyzer and the generator share one binder: over generated handler shapes (parameter types, member paths,
/// route values, typos, objects and collections, malformed templates), a template the analyzer accepts is exactly one
/// the generator binds with every route value in the route, and the other way round.
/// </summary>
public sealed class BinderAgreementProperties
{
    private static readonly string[] Types = ["string", "int", "int?", "decimal", "Guid", "bool", "Kind", "Rec", "Rec?", "Inner", "int[]", "object", "List<string>"];

    private static readonly string[] Placeholders =
    [
        "{p0}", "{p1}", "{p2}", "{p0.Name}", "{p0.Count}", "{p0.Inner}", "{p0.Inner.City}", "{p0.Missing}", "{p1.Inner.City}",
        "{a}", "{A}", "{b}", "{a.Length}", "{zz}", "{p0}x", "{", "{}", "12.5", "text", "{p1.Count}",
    ];

    private static readonly Gen<string[]> Parameters = Gen.OneOf<string>(Types).Array[0, 3];

    private static readonly Gen<string> Template = Gen.OneOf<string>(Placeholders).Array[1, 2].Select(parts => string.Join(" ", parts));

    private static readonly Gen<(string[] Types, string? Name, string? Value)> Handler =
        Gen.Select(Parameters, Template.Null(), Gen.OneOf<string>(Placeholders).Null());

    [Fact]
    public void The_analyzer_accepts_exactly_the_templates_the_generator_binds() =>
        Handler.Array[10, 20].Sample(handlers => Check(handlers), iter: 12, threads: 1);

    private static void Check((string[] Types, string? Name, string? Value)[] handlers)
    {
        var lines = new List<string>();
        for (var i = 0; i < handlers.Length; i++)
        {
            var (types, name, value) = handlers[i];
            var parameters = string.Join(", ", types.Select((t, k) => $"{t} p{k}"));
            var arguments = (name is null ? "" : $", Name = {Literal(name)}") + (value is null ? "" : $", Value = {Literal(value)}");
            lines.Add($"        app.MapPost(\"/r{i}/{{a}}/{{b:int}}\", [TrackAs(\"h{i}\"{arguments})] ({parameters}) => 1);");
        }

        var source = $$"""
            namespace Shapes;
            public enum Kind { One, Two }
            public sealed record Inner(string City);
            public sealed record Rec(string Name, int Count, Inner Inner);
            public static class Program
            {
                public static void Map(WebApplication app)
                {
            {{string.Join("\n", lines)}}
                }
            }
            """;
        var compilation = GeneratorHarness.CreateCompilation("Agreement", source);
        var run = GeneratorHarness.CreateDriver(trackSteps: true).RunGenerators(compilation).GetRunResult().Results.Single();
        var specs = run.TrackedSteps[TrackingNames.AllHandlers].SelectMany(s => s.Outputs).Select(o => o.Value).OfType<EquatableArray<TrackedHandlerSpec>>().Single()
            .ToDictionary(s => s.Action);
        var errors = GeneratorHarness.AnalyzeAsync(compilation).GetAwaiter().GetResult().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        var tree = compilation.SyntaxTrees.Single(t => t.FilePath == "Source0.cs");

        for (var i = 0; i < handlers.Length; i++)
        {
            var (_, name, value) = handlers[i];
            var line = tree.GetText().Lines.Single(l => l.ToString().Contains($"TrackAs(\"h{i}\"", StringComparison.Ordinal));
            var lineText = line.ToString();
            var valueColumn = lineText.IndexOf(", Value = ", StringComparison.Ordinal);
            var lineErrors = errors.Where(e => line.Span.Contains(e.Location.SourceSpan.Start)).ToList();
            var spec = specs[$"h{i}"];
            foreach (var (property, template, accessor) in new[] { ("Name", name, spec.Name), ("Value", value, spec.Value) })
            {
                if (template is null)
                {
                    continue;
                }

                var analyzerAccepts = !lineErrors.Any(e =>
                {
                    var column = e.Location.SourceSpan.Start - line.Start;
                    return property == "Value" ? valueColumn >= 0 && column >= valueColumn : valueColumn < 0 || column < valueColumn;
                });
                var generatorBinds = accessor is not null
                    && PlaceholderBinding.ParseAll(accessor.Bindings)!.All(b => b.Source != BindingSource.RouteValue || b.Root is "a" or "A" or "b");
                Assert.True(
                    analyzerAccepts == generatorBinds,
                    $"{property} = {template} on ({string.Join(", ", handlers[i].Types)}): analyzer {(analyzerAccepts ? "accepts" : "rejects")}, generator {(generatorBinds ? "binds" : "does not bind")}; {string.Join("; ", lineErrors.Select(e => e.Id + " " + e.GetMessage(System.Globalization.CultureInfo.InvariantCulture)))}");
            }
        }
    }

    private static string Literal(string text) => Microsoft.CodeAnalysis.CSharp.SymbolDisplay.FormatLiteral(text, quote: true);
}
