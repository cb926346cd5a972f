using System.Collections.Immutable;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;
using Piwik.CodeFixes;
using Piwik.Generator.Analyzers;

namespace Piwik.Analyzers.Tests;

/// <summary>
/// The plan file code fix driven as the IDE drives it, in a real workspace: the analyzer's diagnostics (those on the plan
/// file included, which the test framework does not fix) handed to the provider, its action applied.
/// </summary>
internal static class PlanFileWorkspace
{
    public static async Task<string> FixOneAsync(string source, string planFile, string id)
    {
        var (project, diagnostics) = await AnalyzeAsync(source, planFile);
        var diagnostic = diagnostics.Single(d => d.Id == id);
        var document = diagnostic.Location.IsInSource
            ? (TextDocument)project.GetDocument(diagnostic.Location.SourceTree)!
            : project.AdditionalDocuments.Single();
        var actions = new List<CodeAction>();
        await new PlanFileCodeFixProvider().RegisterCodeFixesAsync(new CodeFixContext(document, diagnostic, (a, _) => actions.Add(a), CancellationToken.None));
        return await ApplyAsync(project, Assert.Single(actions));
    }

    public static async Task<string> FixAllAsync(string source, string planFile)
    {
        var (project, diagnostics) = await AnalyzeAsync(source, planFile);
        var provider = new PlanFileCodeFixProvider();
        var context = new FixAllContext(
            project.Documents.First(),
            provider,
            FixAllScope.Project,
            "Piwik.UpdateTrackingPlanFile",
            provider.FixableDiagnosticIds,
            new Diagnostics(diagnostics),
            CancellationToken.None);
        var action = await provider.GetFixAllProvider().GetFixAsync(context);
        return await ApplyAsync(project, action!);
    }

    private static async Task<string> ApplyAsync(Project project, CodeAction action)
    {
        var operations = await action.GetOperationsAsync(CancellationToken.None);
        var solution = operations.OfType<ApplyChangesOperation>().Single().ChangedSolution;
        var text = await solution.GetProject(project.Id)!.AdditionalDocuments.Single().GetTextAsync();
        return text.ToString();
    }

    private static async Task<(Project Project, ImmutableArray<Diagnostic> Diagnostics)> AnalyzeAsync(string source, string planFile)
    {
        var workspace = new AdhocWorkspace();
        var project = workspace.AddProject(ProjectInfo.Create(
            ProjectId.CreateNewId(), VersionStamp.Default, "App", "App", LanguageNames.CSharp,
            compilationOptions: new CSharpCompilationOptions(OutputKind.ConsoleApplication),
            metadataReferences: Verify.ReferencesForWorkspace()));
        var document = project.AddDocument("Program.cs", Verify.WithoutMarkup(source)).Project
            .AddDocument("GlobalUsings.cs", Verify.GlobalUsingsText);
        var withPlan = document.Project.AddAdditionalDocument("PiwikTrackingPlan.txt", SourceText.From(planFile), filePath: "/app/PiwikTrackingPlan.txt");
        project = withPlan.Project;
        var compilation = (await project.GetCompilationAsync())!;
        var options = new AnalyzerOptions(project.AdditionalDocuments.Select(d => (AdditionalText)new DocumentText(d)).ToImmutableArray());
        var diagnostics = await compilation
            .WithAnalyzers(ImmutableArray.Create<DiagnosticAnalyzer>(new TrackingAnalyzer()), options)
            .GetAnalyzerDiagnosticsAsync();
        return (project, diagnostics);
    }

    private sealed class DocumentText(TextDocument document) : AdditionalText
    {
        public override string Path => document.FilePath!;

        public override SourceText GetText(CancellationToken cancellationToken = default) => document.GetTextAsync(cancellationToken).Result;
    }

    private sealed class Diagnostics(ImmutableArray<Diagnostic> all) : FixAllContext.DiagnosticProvider
    {
        public override Task<IEnumerable<Diagnostic>> GetAllDiagnosticsAsync(Project project, CancellationToken cancellationToken) => Task.FromResult<IEnumerable<Diagnostic>>(all);

        public override Task<IEnumerable<Diagnostic>> GetDocumentDiagnosticsAsync(Document document, CancellationToken cancellationToken) =>
            Task.FromResult(all.Where(d => d.Location.SourceTree is { } tree && tree.FilePath == document.FilePath));

        public override Task<IEnumerable<Diagnostic>> GetProjectDiagnosticsAsync(Project project, CancellationToken cancellationToken) =>
            Task.FromResult(all.Where(d => !d.Location.IsInSource));
    }
}
