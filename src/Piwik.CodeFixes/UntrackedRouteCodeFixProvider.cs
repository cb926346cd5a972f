using System.Collections.Generic;
using System.Collections.Immutable;
using System.Composition;
using System.Linq;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Piwik.Shared;

namespace Piwik.CodeFixes;

/// <summary>
/// PIWIK001: adds <c>[TrackAs("&lt;action from the route&gt;")]</c> or <c>[DoNotTrack]</c> to the endpoint's handler
/// (lambda, method or local function), and <c>using Piwik;</c> when the attribute is not in scope.
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(UntrackedRouteCodeFixProvider)), Shared]
public sealed class UntrackedRouteCodeFixProvider : CodeFixProvider
{
    private const string TrackAsKey = "Piwik.AddTrackAs";
    private const string DoNotTrackKey = "Piwik.AddDoNotTrack";

    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.UntrackedRoute);

    /// <inheritdoc/>
    /// <remarks>
    /// Not the batch fixer: every single fix may add the same <c>using Piwik;</c>, and the batch fixer drops
    /// overlapping changes. This one edits each document once, with all its handlers and one using.
    /// </remarks>
    public override FixAllProvider GetFixAllProvider() => new AddAttributeFixAllProvider();

    /// <inheritdoc/>
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            var solution = context.Document.Project.Solution;
            if (CreateAttribute(diagnostic, TrackAsKey) is { } trackAs)
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Add [{trackAs}]", ct => AddAttributesAsync(solution, new[] { (diagnostic.AdditionalLocations[0], trackAs) }, ct), TrackAsKey),
                    diagnostic);
            }

            if (CreateAttribute(diagnostic, DoNotTrackKey) is { } doNotTrack)
            {
                context.RegisterCodeFix(
                    CodeAction.Create($"Add [{doNotTrack}]", ct => AddAttributesAsync(solution, new[] { (diagnostic.AdditionalLocations[0], doNotTrack) }, ct), DoNotTrackKey),
                    diagnostic);
            }
        }

        return Task.CompletedTask;
    }

    /// <summary>The attribute a fix adds for a diagnostic, or null when there is nothing to fix.</summary>
    private static AttributeSyntax? CreateAttribute(Diagnostic diagnostic, string equivalenceKey)
    {
        // The analyzer points at the handler's declaration; without one (a handler from metadata) there is nothing to edit.
        if (diagnostic.AdditionalLocations.Count == 0 || !diagnostic.AdditionalLocations[0].IsInSource)
        {
            return null;
        }

        if (equivalenceKey == DoNotTrackKey)
        {
            return SyntaxFactory.Attribute(SyntaxFactory.IdentifierName("DoNotTrack"));
        }

        if (!diagnostic.Properties.TryGetValue(DiagnosticIds.SuggestedActionKey, out var action) || string.IsNullOrEmpty(action))
        {
            return null;
        }

        return SyntaxFactory.Attribute(
            SyntaxFactory.IdentifierName("TrackAs"),
            SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.AttributeArgument(
                SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(action!))))));
    }

    private static async Task<Solution> AddAttributesAsync(
        Solution solution, IEnumerable<(Location Handler, AttributeSyntax Attribute)> edits, CancellationToken cancellationToken)
    {
        foreach (var byDocument in edits.GroupBy(e => e.Handler.SourceTree))
        {
            var document = solution.GetDocument(byDocument.Key);
            if (document is null
                || await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not CompilationUnitSyntax root
                || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } semanticModel)
            {
                continue;
            }

            // One attribute per handler, even when it is mapped on several routes.
            var attributes = new Dictionary<SyntaxNode, AttributeSyntax>();
            foreach (var (location, attribute) in byDocument)
            {
                var handler = root.FindNode(location.SourceSpan, getInnermostNodeForTie: true)
                    .AncestorsAndSelf()
                    .FirstOrDefault(n => n is LambdaExpressionSyntax or MethodDeclarationSyntax or LocalFunctionStatementSyntax);
                if (handler is not null && !attributes.ContainsKey(handler))
                {
                    attributes.Add(handler, attribute);
                }
            }

            if (attributes.Count == 0)
            {
                continue;
            }

            var needsUsing = !semanticModel
                .LookupNamespacesAndTypes(attributes.Keys.First().SpanStart, name: "TrackAsAttribute")
                .Any(s => s.ToDisplayString() == "Piwik.TrackAsAttribute");
            var endOfLine = SyntaxEditing.EndOfLine(root);
            var newRoot = root.ReplaceNodes(attributes.Keys, (original, rewritten) => SyntaxEditing.AddAttribute(rewritten, attributes[original], endOfLine));
            if (needsUsing)
            {
                newRoot = SyntaxEditing.AddUsing(newRoot, "Piwik", endOfLine);
            }

            solution = solution.WithDocumentSyntaxRoot(document.Id, newRoot);
        }

        return solution;
    }

    private sealed class AddAttributeFixAllProvider : FixAllProvider
    {
        public override IEnumerable<FixAllScope> GetSupportedFixAllScopes() =>
            new[] { FixAllScope.Document, FixAllScope.Project, FixAllScope.Solution };

        public override async Task<CodeAction?> GetFixAsync(FixAllContext fixAllContext)
        {
            var documents = fixAllContext.Scope switch
            {
                FixAllScope.Document when fixAllContext.Document is not null => new[] { fixAllContext.Document },
                FixAllScope.Project => fixAllContext.Project.Documents,
                FixAllScope.Solution => fixAllContext.Solution.Projects.SelectMany(p => p.Documents),
                _ => Enumerable.Empty<Document>(),
            };

            var key = fixAllContext.CodeActionEquivalenceKey ?? TrackAsKey;
            var edits = new List<(Location, AttributeSyntax)>();
            foreach (var document in documents)
            {
                foreach (var diagnostic in await fixAllContext.GetDocumentDiagnosticsAsync(document).ConfigureAwait(false))
                {
                    if (CreateAttribute(diagnostic, key) is { } attribute)
                    {
                        edits.Add((diagnostic.AdditionalLocations[0], attribute));
                    }
                }
            }

            var title = key == DoNotTrackKey ? "Add [DoNotTrack] to every untracked endpoint" : "Add [TrackAs] to every untracked endpoint";
            return CodeAction.Create(title, ct => AddAttributesAsync(fixAllContext.Solution, edits, ct), key);
        }
    }
}
