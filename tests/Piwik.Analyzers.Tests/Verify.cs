using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp.Testing;
using Microsoft.CodeAnalysis.Testing;
using Piwik.Generator.Analyzers;

namespace Piwik.Analyzers.Tests;

/// <summary>
/// Runs the analyzer (and a code fix) on test sources compiled as an ASP.NET Core app. References come from the
/// machine's targeting packs, not from NuGet reference-assembly packages, so the tests run offline.
/// </summary>
internal static class Verify
{
    /// <summary>What an ASP.NET Core project's implicit usings give; <c>Piwik</c> is deliberately not among them.</summary>
    private const string GlobalUsings = """
        global using System;
        global using System.Collections.Generic;
        global using System.Linq;
        global using System.Threading.Tasks;
        global using Microsoft.AspNetCore.Builder;
        global using Microsoft.AspNetCore.Http;
        global using Microsoft.AspNetCore.Routing;
        global using Microsoft.Extensions.DependencyInjection;
        """;

    private static readonly Lazy<ImmutableArray<MetadataReference>> References = new(LoadReferences);

    /// <summary>The implicit usings, for tests that build a workspace of their own.</summary>
    public static string GlobalUsingsText => GlobalUsings;

    /// <summary>The targeting packs and Piwik.Runtime, for tests that build a workspace of their own.</summary>
    public static ImmutableArray<MetadataReference> ReferencesForWorkspace() => References.Value;

    /// <summary>The source without the test framework's <c>{|#n:...|}</c> location markup.</summary>
    public static string WithoutMarkup(string source) =>
        System.Text.RegularExpressions.Regex.Replace(source, @"\{\|#\d+:(.*?)\|\}", "$1");

    /// <summary>An expected diagnostic; additional locations (the handler, for code fixes) are checked by the code fix tests.</summary>
    public static DiagnosticResult Diagnostic(DiagnosticDescriptor descriptor) =>
        new DiagnosticResult(descriptor).WithOptions(DiagnosticOptions.IgnoreAdditionalLocations);

    public static async Task Analyzer(string source, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TrackingAnalyzer, DefaultVerifier>();
        Configure(test.TestState, source);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    /// <summary>Analyzes with an analyzer config file (a <c>.globalconfig</c> or <c>.editorconfig</c>), as the build passes it.</summary>
    public static async Task AnalyzerWithConfig(string source, string configPath, string config, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TrackingAnalyzer, DefaultVerifier>();
        Configure(test.TestState, source);
        test.TestState.AnalyzerConfigFiles.Add((configPath, config));
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    /// <summary>Analyzes a class library (the other tests compile applications).</summary>
    public static async Task Library(string source, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TrackingAnalyzer, DefaultVerifier>();
        Configure(test.TestState, source);
        test.TestState.OutputKind = OutputKind.DynamicallyLinkedLibrary;
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    /// <summary>Analyzes several files of one project.</summary>
    public static async Task Analyzer(string[] sources, params DiagnosticResult[] expected)
    {
        var test = new CSharpAnalyzerTest<TrackingAnalyzer, DefaultVerifier>();
        Configure(test.TestState, sources[0]);
        foreach (var extra in sources.Skip(1))
        {
            test.TestState.Sources.Add(extra);
        }

        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    public static async Task CodeFix<TFix>(string source, string fixedSource, string? equivalenceKey, params DiagnosticResult[] expected)
        where TFix : CodeFixProvider, new()
    {
        var test = new CSharpCodeFixTest<TrackingAnalyzer, TFix, DefaultVerifier>
        {
            CodeActionEquivalenceKey = equivalenceKey,
            // Only the fixed diagnostic goes away; others the sources carry on purpose stay.
            CompilerDiagnostics = CompilerDiagnostics.Errors,
        };
        Configure(test.TestState, source);
        Configure(test.FixedState, fixedSource);
        test.ExpectedDiagnostics.AddRange(expected);
        await test.RunAsync();
    }

    internal static void Configure(SolutionState state, string source)
    {
        state.Sources.Add(source);
        state.Sources.Add(("GlobalUsings.cs", GlobalUsings));
        state.OutputKind = OutputKind.ConsoleApplication;
        state.ReferenceAssemblies = new ReferenceAssemblies("net10.0");
        state.AdditionalReferences.AddRange(References.Value);
    }

    private static ImmutableArray<MetadataReference> LoadReferences()
    {
        // <dotnet>/shared/Microsoft.NETCore.App/<version>/System.Private.CoreLib.dll → <dotnet>/packs/<pack>/<version>/ref/net<major>.0
        var dotnet = Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));
        var framework = "net" + Environment.Version.Major + ".0";
        var builder = ImmutableArray.CreateBuilder<MetadataReference>();
        foreach (var pack in new[] { "Microsoft.NETCore.App.Ref", "Microsoft.AspNetCore.App.Ref" })
        {
            var directory = Directory.GetDirectories(Path.Combine(dotnet, "packs", pack), Environment.Version.Major + ".*")
                .Select(d => Path.Combine(d, "ref", framework))
                .Where(Directory.Exists)
                .OrderBy(d => Version.Parse(Path.GetFileName(Path.GetDirectoryName(Path.GetDirectoryName(d))!)))
                .Last();
            builder.AddRange(Directory.GetFiles(directory, "*.dll").Select(f => MetadataReference.CreateFromFile(f)));
        }

        builder.Add(MetadataReference.CreateFromFile(typeof(Piwik.TrackAsAttribute).Assembly.Location));
        return builder.ToImmutable();
    }
}
