using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;
using Piwik.Shared;

namespace Piwik.Generator.Analyzers;

/// <summary>A <c>[TrackAs]</c> application: its values, and where each argument is written (for precise locations).</summary>
internal sealed class TrackAsInfo
{
    private TrackAsInfo(AttributeData data, AttributeSyntax? syntax)
    {
        Data = data;
        Syntax = syntax;
        Action = data.ConstructorArguments.Length == 1 ? data.ConstructorArguments[0].Value as string : null;
        foreach (var argument in data.NamedArguments)
        {
            var text = argument.Value.Value as string;
            switch (argument.Key)
            {
                case "Category": Category = text; HasCategory = true; break;
                case "Name": Name = text; break;
                case "Value": Value = text; break;
                case "FailureAction": FailureAction = text; HasFailureAction = true; break;
                case "Goal": Goal = text; break;
                case "RedirectIsSuccess": RedirectIsSuccess = argument.Value.Value is true; break;
            }
        }

        NameTemplate = Name is null ? null : TemplateParser.Parse(Name);
        ValueTemplate = Value is null ? null : TemplateParser.Parse(Value);
    }

    public AttributeData Data { get; }

    /// <summary>The attribute as written; null when the handler comes from metadata.</summary>
    public AttributeSyntax? Syntax { get; }

    public string? Action { get; }

    public string? Category { get; }

    /// <summary>Whether <c>Category</c> is set explicitly (to null or a text).</summary>
    public bool HasCategory { get; }

    public string? Name { get; }

    public string? Value { get; }

    public string? FailureAction { get; }

    public bool HasFailureAction { get; }

    /// <summary>The Matomo goal this event converts (<c>Goal = "Sign-ups"</c>); null when it is not a goal.</summary>
    public string? Goal { get; }

    /// <summary>Whether a 3xx answer records the action (<c>RedirectIsSuccess = true</c>).</summary>
    public bool RedirectIsSuccess { get; }

    public ParsedTemplate? NameTemplate { get; }

    public ParsedTemplate? ValueTemplate { get; }

    /// <summary><c>category/action</c>, or just the action with the default category, for messages.</summary>
    public string EventText => Category is null ? Action ?? string.Empty : Category + "/" + Action;

    public static TrackAsInfo? For(IMethodSymbol handler, KnownSymbols known)
    {
        var data = handler.GetAttributes().FirstOrDefault(known.IsTrackAs);
        return data is null ? null : new TrackAsInfo(data, data.ApplicationSyntaxReference?.GetSyntax() as AttributeSyntax);
    }

    public static TrackAsInfo From(AttributeData data, AttributeSyntax syntax) => new(data, syntax);

    /// <summary>The argument expression for the constructor's action (<c>"Action"</c>) or a named property; null if absent.</summary>
    public ExpressionSyntax? ArgumentExpression(string name)
    {
        if (Syntax?.ArgumentList is not { } arguments)
        {
            return null;
        }

        foreach (var argument in arguments.Arguments)
        {
            var isAction = argument.NameEquals is null && (argument.NameColon is null || argument.NameColon.Name.Identifier.ValueText == "action");
            if (name == "Action" ? isAction : argument.NameEquals?.Name.Identifier.ValueText == name)
            {
                return argument.Expression;
            }
        }

        return null;
    }

    /// <summary>Where an argument is written, or the attribute itself.</summary>
    public Location ArgumentLocation(string name) =>
        ArgumentExpression(name)?.GetLocation() ?? Syntax?.GetLocation() ?? Location.None;

    /// <summary>
    /// The location of part of a template: exact inside a plain <c>"..."</c> literal without escapes (where template
    /// offsets are text offsets), else the whole argument.
    /// </summary>
    public Location TemplateLocation(string name, int start, int length)
    {
        var expression = ArgumentExpression(name);
        if (expression is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.StringLiteralExpression))
        {
            var token = literal.Token;
            if (token.Text.Length == token.ValueText.Length + 2 && token.Text[0] == '"')
            {
                return Location.Create(literal.SyntaxTree, new TextSpan(token.SpanStart + 1 + start, length));
            }
        }

        return expression?.GetLocation() ?? Syntax?.GetLocation() ?? Location.None;
    }
}
