using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Piwik.Shared;

namespace Piwik.CodeFixes;

/// <summary>
/// PIWIK030-PIWIK032: updates <c>PiwikTrackingPlan.txt</c> to match the code (adds, rewrites or removes the entry's line),
/// for one diagnostic or, with fix-all, for every one of a project at once. Registered for C# documents (added and
/// changed entries are reported on the code) and additional documents (removed entries are reported on the file).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PlanFileCodeFixProvider),
    DocumentKinds = new[] { nameof(TextDocumentKind.Document), nameof(TextDocumentKind.AdditionalDocument) }), Shared]
public sealed class PlanFileCodeFixProvider : CodeFixProvider
{
    private const string EquivalenceKey = "Piwik.UpdateTrackingPlanFile";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } =
        ImmutableArray.Create(DiagnosticIds.PlanEntryNotInFile, DiagnosticIds.PlanEntryNotInCode, DiagnosticIds.PlanEntryChanged);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => PlanFileFixAllProvider.Instance;

    /// <inheritdoc/>
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var project = context.TextDocument.Project;
        foreach (var diagnostic in context.Diagnostics)
        {
            var title = diagnostic.Id == DiagnosticIds.PlanEntryNotInCode ? "Remove the line from PiwikTrackingPlan.txt" : "Update PiwikTrackingPlan.txt";
            context.RegisterCodeFix(
                CodeAction.Create(title, ct => UpdateAsync(project.Solution, new[] { (project.Id, (IEnumerable<Diagnostic>)new[] { diagnostic }) }, ct), EquivalenceKey),
                diagnostic);
        }

        return Task.CompletedTask;
    }

    /// <summary>Applies each project's diagnostics to that project's plan file.</summary>
    internal static async Task<Solution> UpdateAsync(Solution solution, IEnumerable<(ProjectId Project, IEnumerable<Diagnostic> Diagnostics)> work, CancellationToken cancellationToken)
    {
        foreach (var (projectId, diagnostics) in work)
        {
            // No file, no diagnostics: the analyzer only reports against an existing file.
            if (solution.GetProject(projectId) is not { } project || PlanFileText.Find(project) is not { } file)
            {
                continue;
            }

            var text = await file.GetTextAsync(cancellationToken).ConfigureAwait(false);
            solution = solution.WithAdditionalDocumentText(file.Id, PlanFileText.Apply(text, diagnostics));
        }

        return solution;
    }

    /// <summary>Fix-all: every plan diagnostic of the projects in scope, one rewrite of each plan file.</summary>
    private sealed class PlanFileFixAllProvider : FixAllProvider
    {
        public static readonly PlanFileFixAllProvider Instance = new();

        public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() =>
            new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

        public override async Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
        {
            var projects = fixAllContext.Scope == FixAllScope.Solution
                ? fixAllContext.Solution.Projects.ToList()
                : new List<Project> { fixAllContext.Project };
            var work = new List<(ProjectId, IEnumerable<Diagnostic>)>();
            foreach (var project in projects)
            {
                // The plan file is one per project, so even "fix all in document" updates it for the whole project:
                // a partial plan file would only report again.
                var diagnostics = await fixAllContext.GetAllDiagnosticsAsync(project).ConfigureAwait(false);
                work.Add((project.Id, diagnostics.Where(d => fixAllContext.DiagnosticIds.Contains(d.Id)).ToList()));
            }

            var solution = fixAllContext.Solution;
            return CodeAction.Create("Update PiwikTrackingPlan.txt", ct => UpdateAsync(solution, work, ct), EquivalenceKey);
        }
    }
}
