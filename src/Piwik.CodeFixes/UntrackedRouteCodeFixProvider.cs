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
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            // The analyzer points at the handler's declaration; without one (a handler from metadata) there is nothing to edit.
            if (diagnostic.AdditionalLocations.Count == 0 || !diagnostic.AdditionalLocations[0].IsInSource)
            {
                continue;
            }

            var handler = diagnostic.AdditionalLocations[0];
            var solution = context.Document.Project.Solution;
            if (diagnostic.Properties.TryGetValue(DiagnosticIds.SuggestedActionKey, out var action) && !string.IsNullOrEmpty(action))
            {
                var trackAs = SyntaxFactory.Attribute(
                    SyntaxFactory.IdentifierName("TrackAs"),
                    SyntaxFactory.AttributeArgumentList(SyntaxFactory.SingletonSeparatedList(SyntaxFactory.AttributeArgument(
                        SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(action!))))));
                context.RegisterCodeFix(
                    CodeAction.Create($"Add [TrackAs(\"{action}\")]", ct => AddAttributeAsync(solution, handler, trackAs, ct), TrackAsKey),
                    diagnostic);
            }

            var doNotTrack = SyntaxFactory.Attribute(SyntaxFactory.IdentifierName("DoNotTrack"));
            context.RegisterCodeFix(
                CodeAction.Create("Add [DoNotTrack]", ct => AddAttributeAsync(solution, handler, doNotTrack, ct), DoNotTrackKey),
                diagnostic);
        }

        return Task.CompletedTask;
    }

    private static async Task<Solution> AddAttributeAsync(Solution solution, Location handlerLocation, AttributeSyntax attribute, CancellationToken cancellationToken)
    {
        var document = solution.GetDocument(handlerLocation.SourceTree);
        if (document is null
            || await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not CompilationUnitSyntax root
            || await document.GetSemanticModelAsync(cancellationToken).ConfigureAwait(false) is not { } semanticModel)
        {
            return solution;
        }

        var handler = root.FindNode(handlerLocation.SourceSpan, getInnermostNodeForTie: true)
            .AncestorsAndSelf()
            .FirstOrDefault(n => n is LambdaExpressionSyntax or MethodDeclarationSyntax or LocalFunctionStatementSyntax);
        if (handler is null)
        {
            return solution;
        }

        var needsUsing = !semanticModel
            .LookupNamespacesAndTypes(handler.SpanStart, name: "TrackAsAttribute")
            .Any(s => s.ToDisplayString() == "Piwik.TrackAsAttribute");
        var endOfLine = SyntaxEditing.EndOfLine(root);
        var newRoot = root.ReplaceNode(handler, SyntaxEditing.AddAttribute(handler, attribute, endOfLine));
        if (needsUsing)
        {
            newRoot = SyntaxEditing.AddUsing((CompilationUnitSyntax)newRoot, "Piwik", endOfLine);
        }

        return document.WithSyntaxRoot(newRoot).Project.Solution;
    }
}
