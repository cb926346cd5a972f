using System.Collections.Immutable;
using System.Composition;
using System.Threading;
using System.Threading.Tasks;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CodeActions;
using Microsoft.CodeAnalysis.CodeFixes;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Piwik.Shared;

namespace Piwik.CodeFixes;

/// <summary>PIWIK023: adds <c>RedirectIsSuccess = true</c> to the <c>[TrackAs]</c> of a handler that answers its success with a redirect.</summary>
[ExportCodeFixProvider(LanguageNames.CSharp, Name = nameof(RedirectIsSuccessCodeFixProvider)), Shared]
public sealed class RedirectIsSuccessCodeFixProvider : CodeFixProvider
{
    /// <inheritdoc/>
    public override ImmutableArray<string> FixableDiagnosticIds { get; } = ImmutableArray.Create(DiagnosticIds.RedirectRecordsNothing);

    /// <inheritdoc/>
    public override FixAllProvider GetFixAllProvider() => WellKnownFixAllProviders.BatchFixer;

    /// <inheritdoc/>
    public override async Task RegisterCodeFixesAsync(CodeFixContext context)
    {
        var root = await context.Document.GetSyntaxRootAsync(context.CancellationToken).ConfigureAwait(false);
        foreach (var diagnostic in context.Diagnostics)
        {
            if (root?.FindNode(diagnostic.Location.SourceSpan, getInnermostNodeForTie: true)?.FirstAncestorOrSelf<AttributeSyntax>() is not { } attribute)
            {
                continue;
            }

            var document = context.Document;
            context.RegisterCodeFix(
                CodeAction.Create(
                    "Record the redirect as the success (RedirectIsSuccess = true)",
                    ct => AddAsync(document, attribute, ct),
                    "Piwik.RedirectIsSuccess"),
                diagnostic);
        }
    }

    private static async Task<Document> AddAsync(Document document, AttributeSyntax attribute, CancellationToken cancellationToken)
    {
        if (await document.GetSyntaxRootAsync(cancellationToken).ConfigureAwait(false) is not { } root)
        {
            return document;
        }

        var argument = SyntaxFactory.AttributeArgument(SyntaxFactory.LiteralExpression(SyntaxKind.TrueLiteralExpression))
            .WithNameEquals(SyntaxFactory.NameEquals(SyntaxFactory.IdentifierName("RedirectIsSuccess")));
        var arguments = attribute.ArgumentList ?? SyntaxFactory.AttributeArgumentList();
        return document.WithSyntaxRoot(root.ReplaceNode(attribute, attribute.WithArgumentList(arguments.AddArguments(argument))));
    }
}
