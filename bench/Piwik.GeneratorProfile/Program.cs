// In-process profile of Piwik.Generator and TrackingAnalyzer: builds the app of bench/build-cost.sh as a
// CSharpCompilation and times, on fresh compilations (nothing bound yet, as in a full rebuild):
//   - the binding floor: one semantic model, GetOperation on every Map* call (what any semantic generator pays);
//   - the Piwik generator alone, with its tracked steps' CPU time; and with the Request Delegate Generator (RDG) alone
//     and both together, as the SDK runs them;
//   - the compiler's emit of the app with the generated code (what the generated code itself costs);
//   - the analyzer on the output compilation (CompilationWithAnalyzers telemetry).
//
//   dotnet run -c Release --project bench/Piwik.GeneratorProfile -- [endpoints=1000] [reps=5] [floor,generators,emit,analyzer]
using System.Collections.Immutable;
using System.Diagnostics;
using System.Reflection;
using System.Runtime.Loader;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Piwik;
using Piwik.Generator;
using Piwik.Generator.Analyzers;

var endpoints = args.Length > 0 ? int.Parse(args[0]) : 1000;
var reps = args.Length > 1 ? int.Parse(args[1]) : 5;
var sections = args.Length > 2 ? args[2].Split(',') : ["floor", "generators", "emit", "analyzer"];

var parseOptions = CSharpParseOptions.Default.WithLanguageVersion(LanguageVersion.Latest).WithFeatures([
    new("InterceptorsNamespaces", "Microsoft.AspNetCore.Http.Generated"),
    new("InterceptorsPreviewNamespaces", "Microsoft.AspNetCore.Http.Generated"),
]);
SyntaxTree[] trees =
[
    CSharpSyntaxTree.ParseText(Sources.ImplicitUsings, parseOptions, "App.GlobalUsings.g.cs"),
    CSharpSyntaxTree.ParseText(Sources.Program(endpoints), parseOptions, "Program.cs"),
];
var references = References();
CSharpCompilation Fresh() => CSharpCompilation.Create("App", trees, references,
    new CSharpCompilationOptions(OutputKind.ConsoleApplication, nullableContextOptions: NullableContextOptions.Enable, optimizationLevel: OptimizationLevel.Release, concurrentBuild: false));

var rdg = LoadRequestDelegateGenerator();
Console.WriteLine($"{endpoints} [TrackAs] endpoints in a top-level Program.cs; {reps} runs each on fresh compilations (first run of each is warm-up, not counted); load average {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");

if (sections.Contains("floor"))
{
    Measure("binding floor: GetOperation on every Map* call, one semantic model", () =>
    {
        var compilation = Fresh();
        var tree = compilation.SyntaxTrees[1];
        var model = compilation.GetSemanticModel(tree);
        foreach (var node in tree.GetRoot().DescendantNodes().OfType<InvocationExpressionSyntax>())
        {
            if (node.Expression is MemberAccessExpressionSyntax { Name.Identifier.ValueText: var name } && name.StartsWith("Map", StringComparison.Ordinal))
            {
                _ = model.GetOperation(node);
            }
        }
    });

    Measure("compiler: GetDiagnostics of the app (binds everything, no generators)", () => Fresh().GetDiagnostics());
}

if (sections.Contains("generators"))
{
    var steps = new Dictionary<string, (TimeSpan Time, int Count)>();
    Measure("Piwik generator alone", () => RunGenerators([new PiwikGenerator().AsSourceGenerator()], steps));
    foreach (var (name, (time, count)) in steps.OrderByDescending(s => s.Value.Time))
    {
        Console.WriteLine($"    step {name,-26} {time.TotalMilliseconds / reps,9:F1} ms per run, warm-up included ({count / reps} executions)");
    }

    // RDG binds every Map* call on the semantic model that all syntax providers share: what Piwik adds is the difference.
    MeasureInterleaved(
    [
        ("RDG alone", () => RunGenerators([rdg], null)),
        ("RDG + Piwik generator (as the SDK runs them)", () => RunGenerators([rdg, new PiwikGenerator().AsSourceGenerator()], null)),
    ]);
}

// The compiler's own work on the generated code: emit the app with RDG's output, and with RDG's and Piwik's.
CSharpGeneratorDriver.Create([rdg], parseOptions: parseOptions).RunGeneratorsAndUpdateCompilation(Fresh(), out var rdgOutput, out _);
CSharpGeneratorDriver.Create([rdg, new PiwikGenerator().AsSourceGenerator()], parseOptions: parseOptions)
    .RunGeneratorsAndUpdateCompilation(Fresh(), out var output, out _);
if (sections.Contains("emit"))
{
    var handlersTree = output.SyntaxTrees.Single(t => t.FilePath.EndsWith("PiwikTrackedHandlers.g.cs", StringComparison.Ordinal));
    var planTree = output.SyntaxTrees.Single(t => t.FilePath.EndsWith("PiwikTrackingPlan.g.cs", StringComparison.Ordinal));
    var variants = new List<(string What, Compilation Compilation)>
    {
        ("compiler: emit the app with RDG's output", rdgOutput),
        ("compiler: emit the app with RDG's and Piwik's output", output),
        ("    with the handler registrations only (no plan)", output.RemoveSyntaxTrees(planTree)),
        ("    with the tracking plan only (no registrations)", output.RemoveSyntaxTrees(handlersTree)),
    };
    if (Environment.GetEnvironmentVariable("PIWIK_PROFILE_EXPERIMENT") == "nullable")
    {
        var text = handlersTree.GetText().ToString().Replace("#nullable enable", "#nullable disable", StringComparison.Ordinal);
        variants.Add(("    experiment: registrations only, #nullable disable",
            output.RemoveSyntaxTrees(planTree).ReplaceSyntaxTree(handlersTree, CSharpSyntaxTree.ParseText(text, parseOptions, handlersTree.FilePath))));
    }

    // Interleaved, so that a change in the machine's load hits every variant alike.
    MeasureInterleaved(variants.Select(v => (v.What, (Action)(() => Emit(v.Compilation)))).ToList());
}

// The analyzer, on the output of both generators (what the compiler analyzes).
if (sections.Contains("analyzer"))
{
    var analyzerTimes = new List<double>();
    for (var i = 0; i < reps; i++)
    {
        var withAnalyzers = output.RemoveAllSyntaxTrees().AddSyntaxTrees(output.SyntaxTrees)
            .WithAnalyzers([new TrackingAnalyzer()], new CompilationWithAnalyzersOptions(new AnalyzerOptions([]), null, concurrentAnalysis: false, logAnalyzerExecutionTime: true));
        var diagnostics = withAnalyzers.GetAnalyzerDiagnosticsAsync().GetAwaiter().GetResult();
        var telemetry = withAnalyzers.GetAnalyzerTelemetryInfoAsync(withAnalyzers.Analyzers[0], CancellationToken.None).GetAwaiter().GetResult();
        if (i > 0)
        {
            analyzerTimes.Add(telemetry.ExecutionTime.TotalMilliseconds);
        }

        if (i == 0)
        {
            Console.WriteLine($"  analyzer diagnostics: {diagnostics.Length}");
        }
    }

    Console.WriteLine($"{"TrackingAnalyzer (its own execution time, telemetry)",-70} median {Median(analyzerTimes),8:F1} ms  [{string.Join(", ", analyzerTimes.Select(t => t.ToString("F0")))}]");
}

void MeasureInterleaved(List<(string What, Action Action)> actions)
{
    var times = actions.Select(_ => new List<double>()).ToList();
    for (var i = 0; i < reps; i++)
    {
        for (var j = 0; j < actions.Count; j++)
        {
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            actions[j].Action();
            if (i > 0)
            {
                times[j].Add((Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds);
            }
        }
    }

    for (var j = 0; j < actions.Count; j++)
    {
        Console.WriteLine($"{actions[j].What,-70} median {Median(times[j]),8:F1} ms CPU  [{string.Join(", ", times[j].Select(t => t.ToString("F0")))}]");
    }
}

void Measure(string what, Action action)
{
    var times = new List<double>();
    for (var i = 0; i < reps; i++)
    {
        var cpu = Process.GetCurrentProcess().TotalProcessorTime;
        action();
        var elapsed = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMilliseconds;
        if (i > 0)
        {
            times.Add(elapsed);
        }
    }

    Console.WriteLine($"{what,-70} median {Median(times),8:F1} ms CPU  [{string.Join(", ", times.Select(t => t.ToString("F0")))}]");
}

void RunGenerators(ISourceGenerator[] generators, Dictionary<string, (TimeSpan Time, int Count)>? stepTimes)
{
    var driver = CSharpGeneratorDriver.Create(generators, parseOptions: parseOptions,
        driverOptions: new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: stepTimes is not null));
    var run = driver.RunGenerators(Fresh()).GetRunResult();
    if (run.Diagnostics.Length > 0)
    {
        throw new InvalidOperationException(string.Join(Environment.NewLine, run.Diagnostics));
    }

    if (stepTimes is null)
    {
        return;
    }

    foreach (var (name, executions) in run.Results[0].TrackedSteps)
    {
        var (time, count) = stepTimes.TryGetValue(name, out var sum) ? sum : default;
        stepTimes[name] = (time + executions.Aggregate(TimeSpan.Zero, (t, s) => t + s.ElapsedTime), count + executions.Length);
    }
}

void Emit(Compilation generated)
{
    // A new compilation over the same trees: nothing bound yet, as in the compiler after the generators ran.
    var fresh = generated.RemoveAllSyntaxTrees().AddSyntaxTrees(generated.SyntaxTrees);
    using var stream = new MemoryStream();
    var result = fresh.Emit(stream);
    if (!result.Success)
    {
        throw new InvalidOperationException(string.Join(Environment.NewLine, result.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(5)));
    }
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted.Count == 0 ? 0 : sorted[(sorted.Count - 1) / 2];
}

static ImmutableArray<MetadataReference> References()
{
    _ = typeof(WebApplication);
    var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
        .Where(p => p.Contains("Microsoft.NETCore.App", StringComparison.Ordinal) || p.Contains("Microsoft.AspNetCore.App", StringComparison.Ordinal))
        .Append(typeof(TrackAsAttribute).Assembly.Location)
        .Distinct();
    return [.. paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
}

static ISourceGenerator LoadRequestDelegateGenerator()
{
    // Shipped as an analyzer in the ASP.NET Core targeting pack of the SDK that runs this.
    var packs = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", "..", "packs", "Microsoft.AspNetCore.App.Ref");
    var version = typeof(WebApplication).Assembly.GetName().Version!;
    var directory = Directory.GetDirectories(packs)
        .Where(d => Version.TryParse(Path.GetFileName(d), out var v) && v.Major == version.Major)
        .OrderByDescending(d => Version.Parse(Path.GetFileName(d)))
        .First();
    var path = Path.Combine(directory, "analyzers", "dotnet", "cs", "Microsoft.AspNetCore.Http.RequestDelegateGenerator.dll");
    var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(path));
    var type = assembly.GetTypes().Single(t => t.Name == "RequestDelegateGenerator");
    return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
}

/// <summary>The app of bench/build-cost.sh, the same four endpoint shapes.</summary>
internal static class Sources
{
    public const string ImplicitUsings = """
        global using global::Microsoft.AspNetCore.Builder;
        global using global::Microsoft.AspNetCore.Hosting;
        global using global::Microsoft.AspNetCore.Http;
        global using global::Microsoft.AspNetCore.Routing;
        global using global::Microsoft.Extensions.Configuration;
        global using global::Microsoft.Extensions.DependencyInjection;
        global using global::Microsoft.Extensions.Hosting;
        global using global::Microsoft.Extensions.Logging;
        global using global::System;
        global using global::System.Collections.Generic;
        global using global::System.IO;
        global using global::System.Linq;
        global using global::System.Net.Http;
        global using global::System.Net.Http.Json;
        global using global::System.Threading;
        global using global::System.Threading.Tasks;
        """;

    public static string Program(int endpoints)
    {
        var source = new StringBuilder();
        source.AppendLine("using Piwik;");
        source.AppendLine("var builder = WebApplication.CreateSlimBuilder(args);");
        source.AppendLine("builder.Services.AddPiwikTracking(builder.Configuration.GetSection(\"Piwik\"));");
        source.AppendLine("var app = builder.Build();");
        for (var i = 1; i <= endpoints; i++)
        {
            source.AppendLine((i % 4) switch
            {
                0 => $"app.MapGet(\"/items{i}/{{id}}\", [TrackAs(\"view{i}\", Category = \"items\", Name = \"{{id}}\")] (int id) => TypedResults.Ok(id));",
                1 => $"app.MapPost(\"/orders{i}\", [TrackAs(\"create{i}\", Category = \"orders\", Name = \"{{order.Plan}}\", Value = \"{{order.Total}}\")] (Order order) => TypedResults.Created(\"/orders{i}/1\"));",
                2 => $"app.MapDelete(\"/groups{i}/{{groupId}}/members/{{memberId}}\", [TrackAs(\"leave{i}\", Category = \"groups\", Name = \"{{groupId}}\", FailureAction = \"leave-failed{i}\")] (string groupId, int memberId) => memberId > 0 ? Results.NoContent() : Results.NotFound());",
                _ => $"app.MapGet(\"/search{i}\", [TrackAs(\"search{i}\", Category = \"search\")] (string? q) => TypedResults.Ok(q ?? \"\"));",
            });
        }

        source.AppendLine("app.UsePiwikTracking();");
        source.AppendLine("app.Run();");
        source.AppendLine("internal sealed record Order(string Plan, decimal Total);");
        return source.ToString();
    }
}
