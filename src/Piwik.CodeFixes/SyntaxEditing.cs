using System;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Piwik.CodeFixes;

/// <summary>
/// Trivia-exact syntax edits. Done by hand rather than with the formatter so that a fix changes only the lines it
/// must, whatever the user's formatting options.
/// </summary>
internal static class SyntaxEditing
{
    /// <summary>The document's line ending (its first one), so a fix does not mix <c>\n</c> and <c>\r\n</c>.</summary>
    public static SyntaxTrivia EndOfLine(SyntaxNode root)
    {
        var existing = root.DescendantTrivia().FirstOrDefault(t => t.IsKind(SyntaxKind.EndOfLineTrivia));
        return existing.IsKind(SyntaxKind.EndOfLineTrivia) ? existing : SyntaxFactory.EndOfLine(Environment.NewLine);
    }

    /// <summary>
    /// Puts <paramref name="attribute"/> first on a lambda (inline: <c>[A] () =&gt; ...</c>), a method or a local
    /// function (on its own line, at the declaration's indentation, after any doc comment).
    /// </summary>
    public static SyntaxNode AddAttribute(SyntaxNode handler, AttributeSyntax attribute, SyntaxTrivia endOfLine)
    {
        // Attributes need the parenthesized form: x => ... becomes (x) => ...
        if (handler is SimpleLambdaExpressionSyntax simple)
        {
            handler = SyntaxFactory.ParenthesizedLambdaExpression()
                .WithModifiers(simple.Modifiers)
                .WithParameterList(SyntaxFactory.ParameterList(SyntaxFactory.SingletonSeparatedList(simple.Parameter.WithoutTrivia())))
                .WithArrowToken(simple.ArrowToken)
                .WithBlock(simple.Block)
                .WithExpressionBody(simple.ExpressionBody)
                .WithTriviaFrom(simple);
        }

        var leading = handler.GetLeadingTrivia();
        var isLambda = handler is LambdaExpressionSyntax;
        var separator = isLambda
            ? SyntaxFactory.TriviaList(SyntaxFactory.Space)
            : SyntaxFactory.TriviaList(endOfLine).AddRange(Indentation(leading));
        // NormalizeWhitespace replaces elastic trivia, which would otherwise hand the edit to the formatter.
        var list = SyntaxFactory.AttributeList(SyntaxFactory.SingletonSeparatedList(attribute))
            .NormalizeWhitespace()
            .WithLeadingTrivia(leading)
            .WithTrailingTrivia(separator);
        var stripped = handler.WithoutLeadingTrivia();
        return stripped switch
        {
            ParenthesizedLambdaExpressionSyntax lambda => lambda.WithAttributeLists(lambda.AttributeLists.Insert(0, list)),
            MethodDeclarationSyntax method => method.WithAttributeLists(method.AttributeLists.Insert(0, list)),
            LocalFunctionStatementSyntax local => local.WithAttributeLists(local.AttributeLists.Insert(0, list)),
            _ => handler,
        };
    }

    /// <summary>Adds <c>using <paramref name="name"/>;</c> among the file's usings, in ordinal order, or first in the file.</summary>
    public static CompilationUnitSyntax AddUsing(CompilationUnitSyntax root, string name, SyntaxTrivia endOfLine)
    {
        var directive = SyntaxFactory.UsingDirective(SyntaxFactory.ParseName(name))
            .NormalizeWhitespace()
            .WithTrailingTrivia(endOfLine);
        var usings = root.Usings;
        if (usings.Count == 0)
        {
            // First in the file, after any header comment, and a blank line before the code.
            var first = root.GetLeadingTrivia();
            var newRoot = root.WithoutLeadingTrivia();
            directive = directive.WithLeadingTrivia(first).WithTrailingTrivia(endOfLine, endOfLine);
            return newRoot.WithUsings(SyntaxFactory.SingletonList(directive));
        }

        var index = 0;
        while (index < usings.Count
            && (usings[index].Alias is not null || !usings[index].StaticKeyword.IsKind(SyntaxKind.None) || !usings[index].GlobalKeyword.IsKind(SyntaxKind.None)
                || string.CompareOrdinal(usings[index].Name?.ToString(), name) < 0))
        {
            index++;
        }

        if (index == 0)
        {
            // Take over the header comment of the first using.
            directive = directive.WithLeadingTrivia(usings[0].GetLeadingTrivia());
            usings = usings.Replace(usings[0], usings[0].WithoutLeadingTrivia());
        }

        return root.WithUsings(usings.Insert(index, directive));
    }

    private static SyntaxTriviaList Indentation(SyntaxTriviaList leading)
    {
        var result = SyntaxFactory.TriviaList();
        for (var i = leading.Count - 1; i >= 0 && leading[i].IsKind(SyntaxKind.WhitespaceTrivia); i--)
        {
            result = result.Insert(0, leading[i]);
        }

        return result;
    }
}
