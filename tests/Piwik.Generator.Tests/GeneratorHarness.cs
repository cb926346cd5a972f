extern alias generator;

using System.Collections.Immutable;
using System.Reflection;
using System.Runtime.Loader;
using Microsoft.AspNetCore.Builder;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using generator::Piwik.Generator;

namespace Piwik.Generator.Tests;

/// <summary>Compiles test sources with the Piwik generator (and, on request, ASP.NET Core's Request Delegate Generator) the way the SDK does.</summary>
internal static class GeneratorHarness
{
    // The SDK lets the RDG intercept Map* calls, and the validation generator AddValidation(), through this feature flag
    // (both spellings, old and new compilers).
    private static readonly CSharpParseOptions ParseOptions = CSharpParseOptions.Default
        .WithLanguageVersion(LanguageVersion.Latest)
        .WithFeatures([
            new("InterceptorsNamespaces", "Microsoft.AspNetCore.Http.Generated;Microsoft.Extensions.Validation.Generated"),
            new("InterceptorsPreviewNamespaces", "Microsoft.AspNetCore.Http.Generated;Microsoft.Extensions.Validation.Generated"),
        ]);

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    private static readonly Lazy<ISourceGenerator> RequestDelegateGenerator = new(LoadRequestDelegateGenerator);

    public const string Usings = """
        global using System;
        global using System.Collections.Generic;
        global using System.Linq;
        global using System.Threading.Tasks;
        global using Microsoft.AspNetCore.Builder;
        global using Microsoft.AspNetCore.Http;
        global using Microsoft.AspNetCore.Http.HttpResults;
        global using Microsoft.Extensions.DependencyInjection;
        global using Piwik;

        """;

    public static CSharpCompilation CreateCompilation(string assemblyName, params string[] sources) =>
        CreateCompilation(assemblyName, LanguageVersion.Latest, sources);

    /// <summary>A compilation at a given C# version (a project's <c>LangVersion</c>).</summary>
    public static CSharpCompilation CreateCompilation(string assemblyName, LanguageVersion languageVersion, params string[] sources)
    {
        var options = ParseOptions.WithLanguageVersion(languageVersion);
        return CSharpCompilation.Create(
            assemblyName,
            [CSharpSyntaxTree.ParseText(Usings, options, "Usings.cs"), .. sources.Select((s, i) => CSharpSyntaxTree.ParseText(s, options, $"Source{i}.cs"))],
            References.Value,
            new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));
    }

    /// <param name="withRequestDelegateGenerator">Whether ASP.NET Core's Request Delegate Generator runs too.</param>
    /// <param name="trackSteps">Whether the driver records incremental steps.</param>
    /// <param name="rootNamespace">The project's <c>RootNamespace</c>, as the SDK passes it (<c>build_property.RootNamespace</c>); null for none.</param>
    /// <param name="withValidationsGenerator">Whether ASP.NET Core's minimal-API validation generator runs too.</param>
    public static GeneratorDriver CreateDriver(bool withRequestDelegateGenerator = false, bool trackSteps = false, string? rootNamespace = null, bool withValidationsGenerator = false)
    {
        ISourceGenerator[] generators = withRequestDelegateGenerator
            ? [new PiwikGenerator().AsSourceGenerator(), RequestDelegateGenerator.Value]
            : [new PiwikGenerator().AsSourceGenerator()];
        if (withValidationsGenerator)
        {
            generators = [.. generators, ValidationsGenerator];
        }

        var options = new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: trackSteps);
        var driver = CSharpGeneratorDriver.Create(generators, parseOptions: ParseOptions, driverOptions: options);
        return rootNamespace is null ? driver : driver.WithUpdatedAnalyzerConfigOptions(new GlobalOptionsProvider("build_property.RootNamespace", rootNamespace));
    }

    /// <summary>Runs the generators and returns the output compilation; fails on any generator or compiler error or warning.</summary>
    public static (Compilation Output, GeneratorDriverRunResult Run) Generate(CSharpCompilation compilation, bool withRequestDelegateGenerator = false, string? rootNamespace = null, bool withValidationsGenerator = false)
    {
        // Generated sources are parsed as the project's own (the SDK passes the project's parse options to generators).
        var driver = CreateDriver(withRequestDelegateGenerator, rootNamespace: rootNamespace, withValidationsGenerator: withValidationsGenerator)
            .WithUpdatedParseOptions((CSharpParseOptions)compilation.SyntaxTrees.First().Options)
            .RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics.Where(d => d.Severity >= DiagnosticSeverity.Warning));
        var problems = output.GetDiagnostics().Where(d => d.Severity >= DiagnosticSeverity.Warning).ToArray();
        Assert.True(problems.Length == 0, string.Join(Environment.NewLine, problems.Select(d => d.ToString())));
        return (output, driver.GetRunResult());
    }

    /// <summary>The text of the Piwik generator's one output file, or null when it produced none.</summary>
    public static string? PiwikOutput(GeneratorDriverRunResult run) =>
        run.Results.SelectMany(r => r.GeneratedSources).Where(s => s.HintName == PiwikGenerator.Emitter.HintName).Select(s => s.SourceText.ToString()).SingleOrDefault();

    /// <summary>The Piwik analyzer's diagnostics on a compilation (generated code included, as in a build), in source order.</summary>
    public static async Task<IReadOnlyList<Diagnostic>> AnalyzeAsync(Compilation compilation)
    {
        var analyzers = System.Collections.Immutable.ImmutableArray.Create<Microsoft.CodeAnalysis.Diagnostics.DiagnosticAnalyzer>(new generator::Piwik.Generator.Analyzers.TrackingAnalyzer());
        var diagnostics = await compilation.WithAnalyzers(analyzers).GetAnalyzerDiagnosticsAsync();
        return [.. diagnostics.OrderBy(d => d.Location.SourceTree?.FilePath, StringComparer.Ordinal).ThenBy(d => d.Location.SourceSpan.Start)];
    }

    /// <summary>
    /// Compiles an app with the Piwik generator, with or without the Request Delegate Generator, proves that the RDG
    /// really ran (it intercepts <c>Map*</c> calls) or really did not, and loads the result.
    /// </summary>
    public static Assembly BuildApp(string assemblyName, string source, bool withRequestDelegateGenerator)
    {
        var (output, run) = Generate(CreateCompilation(assemblyName, source), withRequestDelegateGenerator);
        Assert.NotNull(PiwikOutput(run));
        Assert.Equal(withRequestDelegateGenerator, Intercepted(run));
        return EmitAndLoad(output);
    }

    /// <summary>Whether the Request Delegate Generator intercepted any <c>Map*</c> call.</summary>
    public static bool Intercepted(GeneratorDriverRunResult run) =>
        run.Results.SelectMany(r => r.GeneratedSources).Any(s => s.HintName.Contains("GeneratedRouteBuilderExtensions", StringComparison.Ordinal));

    /// <summary>Emits and loads the assembly into the default context, sharing Piwik.Runtime and ASP.NET Core with the tests.</summary>
    public static Assembly EmitAndLoad(Compilation output)
    {
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join(Environment.NewLine, emitted.Diagnostics));
        stream.Position = 0;
        return AssemblyLoadContext.Default.LoadFromStream(stream);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // The framework assemblies this test process runs on (.NET and ASP.NET Core), plus Piwik.Runtime.
        _ = typeof(WebApplication);
        var paths = ((string)AppContext.GetData("TRUSTED_PLATFORM_ASSEMBLIES")!).Split(Path.PathSeparator)
            .Where(p => p.Contains("Microsoft.NETCore.App", StringComparison.Ordinal) || p.Contains("Microsoft.AspNetCore.App", StringComparison.Ordinal))
            .Append(typeof(TrackAsAttribute).Assembly.Location)
            .Concat(RealAppLibraries())
            .Distinct();
        return [.. paths.Select(p => (MetadataReference)MetadataReference.CreateFromFile(p))];
    }

    /// <summary>The libraries real apps map routes with (API versioning, Carter) that the layout tests use, and what they need.</summary>
    private static IEnumerable<string> RealAppLibraries() =>
        new[] { "Asp.Versioning.Abstractions.dll", "Asp.Versioning.Http.dll", "Carter.dll", "FluentValidation.dll" }
            .Select(name => Path.Combine(AppContext.BaseDirectory, name));

    private static ISourceGenerator LoadRequestDelegateGenerator() => LoadPackGenerator("Microsoft.AspNetCore.Http.RequestDelegateGenerator.dll", "RequestDelegateGenerator");

    /// <summary>ASP.NET Core's minimal-API validation generator (<c>AddValidation()</c>), from the same pack.</summary>
    internal static ISourceGenerator ValidationsGenerator => ValidationsGeneratorInstance.Value;

    private static readonly Lazy<ISourceGenerator> ValidationsGeneratorInstance = new(() => LoadPackGenerator("Microsoft.Extensions.Validation.ValidationsGenerator.dll", "ValidationsGenerator"));

    private static ISourceGenerator LoadPackGenerator(string file, string typeName)
    {
        // Shipped as an analyzer in the ASP.NET Core targeting pack of the SDK that runs the tests.
        var packs = Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", "..", "packs", "Microsoft.AspNetCore.App.Ref");
        var version = typeof(WebApplication).Assembly.GetName().Version!;
        var directory = Directory.GetDirectories(packs)
            .Where(d => Version.TryParse(Path.GetFileName(d), out var v) && v.Major == version.Major)
            .OrderByDescending(d => Version.Parse(Path.GetFileName(d)))
            .First();
        var path = Path.Combine(directory, "analyzers", "dotnet", "cs", file);
        var assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(Path.GetFullPath(path));
        var type = assembly.GetTypes().Single(t => t.Name == typeName);
        return ((IIncrementalGenerator)Activator.CreateInstance(type)!).AsSourceGenerator();
    }

    /// <summary>Global analyzer options, as the SDK passes MSBuild properties (<c>build_property.*</c>).</summary>
    internal sealed class GlobalOptionsProvider(string key, string value) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptionsProvider
    {
        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GlobalOptions { get; } = new Options(ImmutableDictionary<string, string>.Empty.Add(key, value));

        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(SyntaxTree tree) => new Options(ImmutableDictionary<string, string>.Empty);

        public override Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions GetOptions(AdditionalText textFile) => new Options(ImmutableDictionary<string, string>.Empty);

        private sealed class Options(ImmutableDictionary<string, string> values) : Microsoft.CodeAnalysis.Diagnostics.AnalyzerConfigOptions
        {
            public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
        }
    }
}
