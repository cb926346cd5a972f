using System.Reflection;
using Microsoft.CodeAnalysis;
using Piwik.Generator;
using Piwik.Generator.Analyzers;
using Piwik.Shared;

namespace Piwik.Analyzers.Tests;

/// <summary>Every descriptor is supported, documented, release-tracked and linked to its page; the code fixes' copies of ids agree.</summary>
public sealed class DescriptorTests
{
    private static readonly DiagnosticDescriptor[] Descriptors = typeof(DiagnosticDescriptors)
        .GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (DiagnosticDescriptor)f.GetValue(null)!)
        .ToArray();

    [Fact]
    public void Ids_are_unique_and_all_supported()
    {
        Assert.Equal(Descriptors.Length, Descriptors.Select(d => d.Id).Distinct().Count());
        Assert.Equal(Descriptors.Select(d => d.Id).Order(), new TrackingAnalyzer().SupportedDiagnostics.Select(d => d.Id).Order());
    }

    [Fact]
    public void Each_id_has_a_page_a_help_link_and_a_release_entry()
    {
        var root = RepositoryRoot();
        var unshipped = File.ReadAllText(Path.Combine(root, "src", "Piwik.Generator", "AnalyzerReleases.Unshipped.md"));
        var index = File.ReadAllText(Path.Combine(root, "docs", "diagnostics", "README.md"));
        foreach (var descriptor in Descriptors)
        {
            Assert.True(File.Exists(Path.Combine(root, "docs", "diagnostics", descriptor.Id + ".md")), descriptor.Id);
            Assert.EndsWith("/docs/diagnostics/" + descriptor.Id + ".md", descriptor.HelpLinkUri);
            Assert.Contains(descriptor.Id + " | " + descriptor.Category + " | " + descriptor.DefaultSeverity, unshipped);
            Assert.Contains("[" + descriptor.Id + "](" + descriptor.Id + ".md)", index);
        }
    }

    [Fact]
    public void Code_fixes_fix_ids_of_the_analyzer()
    {
        // One DiagnosticIds file (src/Piwik.Shared) is compiled into both assemblies: the fixes can only name real ids.
        var ids = Descriptors.Select(d => d.Id).ToHashSet();
        var fixes = typeof(Piwik.CodeFixes.UntrackedRouteCodeFixProvider).Assembly.GetTypes()
            .Where(t => typeof(Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider).IsAssignableFrom(t) && !t.IsAbstract)
            .Select(t => (Microsoft.CodeAnalysis.CodeFixes.CodeFixProvider)Activator.CreateInstance(t)!)
            .SelectMany(f => f.FixableDiagnosticIds)
            .ToList();
        Assert.NotEmpty(fixes);
        Assert.All(fixes, id => Assert.Contains(id, ids));
        Assert.Equal(TrackingAnalyzer.SuggestedActionKey, DiagnosticIds.SuggestedActionKey);
        Assert.Equal(TemplateChecks.ReplacementKey, DiagnosticIds.ReplacementKey);
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
