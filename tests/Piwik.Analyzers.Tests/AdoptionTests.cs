using Microsoft.CodeAnalysis;
using Piwik.Generator;

namespace Piwik.Analyzers.Tests;

/// <summary>
/// Gradual adoption: the global analyzer config that <c>&lt;PiwikUntrackedRouteSeverity&gt;</c> adds to the build
/// (src/Piwik.Runtime/build/Piwik.targets) makes PIWIK001 a suggestion, which TreatWarningsAsErrors does not promote;
/// a project's own <c>.editorconfig</c> still wins. The package test builds a fresh app with the property.
/// </summary>
public sealed class AdoptionTests
{
    private const string App = """
        var app = WebApplication.Create();
        app.{|#0:MapGet|}("/orders", () => 1);
        """;

    private static string ShippedConfig(string severity) =>
        File.ReadAllText(Path.Combine(RepositoryRoot(), "src", "Piwik.Runtime", "build", "severity", $"PIWIK001.{severity}.globalconfig"));

    [Fact]
    public Task The_suggestion_config_reports_untracked_routes_as_suggestions() => Verify.AnalyzerWithConfig(
        App, "/piwik/PIWIK001.suggestion.globalconfig", ShippedConfig("suggestion"),
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(0).WithArguments("GET /orders", "").WithSeverity(DiagnosticSeverity.Info));

    [Fact]
    public Task The_none_config_silences_them() => Verify.AnalyzerWithConfig(App.Replace("{|#0:MapGet|}", "MapGet", StringComparison.Ordinal), "/piwik/PIWIK001.none.globalconfig", ShippedConfig("none"));

    [Fact]
    public void Every_documented_value_ships_a_config()
    {
        foreach (var severity in new[] { "error", "warning", "suggestion", "silent", "none" })
        {
            Assert.Contains($"dotnet_diagnostic.PIWIK001.severity = {severity}", ShippedConfig(severity), StringComparison.Ordinal);
            Assert.Contains("is_global = true", ShippedConfig(severity), StringComparison.Ordinal);
        }
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Piwik.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Piwik.sln not found above " + AppContext.BaseDirectory);
    }
}
