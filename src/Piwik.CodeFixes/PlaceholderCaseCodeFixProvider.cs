using System.Collections.Immutable;
using System.Composition;
using System.Globalization;
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
/// Rewrites a placeholder in the template literal to the one the diagnostic suggests: for PIWIK002 and PIWIK013, the
/// handler parameter that differs only by case (<c>{OrderId}</c> → <c>{orderId}</c>); for PIWIK012, the one scalar
/// member of an object (<c>{todo}</c> → <c>{todo.Id}</c>).
/// </summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(PlaceholderCaseCodeFixProvider)), Shared]
public sealed class PlaceholderCaseCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.UnknownPlaceholder, DiagnosticIds.PlaceholderMaybeUnbound, DiagnosticIds.PlaceholderNotScalar);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        foreach (var diagnostic in context.Diagnostics)
        {
            if (diagnostic.AdditionalLocations.Count == 0
                || !diagnostic.Properties.TryGetValue(DiagnosticIds.ReplacementKey, out var replacement) || replacement is null
                || !diagnostic.Properties.TryGetValue(DiagnosticIds.StartKey, out var startText)
                || !int.TryParse(startText, NumberStyles.None, CultureInfo.InvariantCulture, out var start)
                || !diagnostic.Properties.TryGetValue(DiagnosticIds.LengthKey, out var lengthText)
                || !int.TryParse(lengthText, NumberStyles.None, CultureInfo.InvariantCulture, out var length))
            {
                continue;
            }

            var template = diagnostic.AdditionalLocations[0];
            var solution = context.Document.Project.Solution;
            context.RegisterCodeFix(
                CodeAction.Create(
                    $"Use '{replacement}'",
                    ct => ReplaceAsync(solution, template, start, length, replacement, ct),
                    diagnostic.Id == DiagnosticIds.PlaceholderNotScalar ? "Piwik.UseScalarMember" : "Piwik.FixPlaceholderCase"),
                diagnostic);
        }

        return Task.CompletedTask;
    }

    private static async Task<Solution> ReplaceAsync(Solution solution, Location templateLocation, int start, int length, string replacement, CancellationToken cancellationToken)
    {
        var document = solution.GetDocument(templateLocation.SourceTree);
        if (document is null || await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not { } root)
        {
            return solution;
        }

        // Only a string literal can be rewritten; a template held in a constant is left to the user.
        if (root.FindNode(templateLocation.SourceSpan, getInnermostNodeForTie: true) is not LiteralExpressionSyntax literal
            || !literal.IsKind(SyntaxKind.StringLiteralExpression))
        {
            return solution;
        }

        var value = literal.Token.ValueText;
        if (start < 0 || start + length > value.Length)
        {
            return solution;
        }

        var newValue = value.Substring(0, start) + replacement + value.Substring(start + length);
        var newLiteral = SyntaxFactory.LiteralExpression(SyntaxKind.StringLiteralExpression, SyntaxFactory.Literal(newValue)).WithTriviaFrom(literal);
        return document.WithSyntaxRoot(root.ReplaceNode(literal, newLiteral)).Project.Solution;
    }
}
