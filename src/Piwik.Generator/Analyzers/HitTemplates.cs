using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Piwik.Shared;

namespace Piwik.Generator.Analyzers;

/// <summary>
/// The templates of a handler's <c>[TrackOrder]</c>, <c>[TrackSearch]</c> and <c>[TrackDimension]</c>s as written, read
/// one way for the generator's registrations, the generated tracking plan and the plan file's entries.
/// </summary>
internal sealed class HitTemplates
{
    private HitTemplates(string?[]? order, string?[]? search, List<KeyValuePair<int, string?>> dimensions)
    {
        Order = order;
        Search = search;
        Dimensions = dimensions;
    }

    /// <summary>The order's templates in <see cref="HitKey"/>'s slot order (Id, Revenue, Subtotal, Tax, Shipping, Discount, Items); null without <c>[TrackOrder]</c>.</summary>
    public string?[]? Order { get; }

    /// <summary>The search's templates (Keyword, Category, Count); null without <c>[TrackSearch]</c>.</summary>
    public string?[]? Search { get; }

    /// <summary>Each <c>[TrackDimension]</c>'s id and value template, in source order.</summary>
    public List<KeyValuePair<int, string?>> Dimensions { get; }

    /// <summary>Whether the handler has none of the three attributes.</summary>
    public bool IsEmpty => Order is null && Search is null && Dimensions.Count == 0;

    /// <summary>Reads the handler's attributes; with <paramref name="onlyIn"/>, only those written in that syntax tree.</summary>
    public static HitTemplates Read(IMethodSymbol method, SyntaxTree? onlyIn = null)
    {
        string?[]? order = null, search = null;
        var dimensions = new List<KeyValuePair<int, string?>>();
        foreach (var attribute in method.GetAttributes())
        {
            if (onlyIn is not null && attribute.ApplicationSyntaxReference?.SyntaxTree != onlyIn)
            {
                continue;
            }

            switch (Kind(attribute.AttributeClass))
            {
                case "TrackOrderAttribute":
                    order = [Named(attribute, "Id"), Named(attribute, "Revenue"), Named(attribute, "Subtotal"), Named(attribute, "Tax"), Named(attribute, "Shipping"), Named(attribute, "Discount"), Named(attribute, "Items")];
                    break;
                case "TrackSearchAttribute":
                    search = [Named(attribute, "Keyword"), Named(attribute, "Category"), Named(attribute, "Count")];
                    break;
                case "TrackDimensionAttribute" when attribute.ConstructorArguments.Length == 2 && attribute.ConstructorArguments[0].Value is int id:
                    dimensions.Add(new KeyValuePair<int, string?>(id, attribute.ConstructorArguments[1].Value as string));
                    break;
            }
        }

        return new HitTemplates(order, search, dimensions);
    }

    /// <summary>The attribute's class name when it is one of Piwik's three, compared as <c>ForAttributeWithMetadataName</c> does.</summary>
    internal static string? Kind(INamedTypeSymbol? type) =>
        type is { Arity: 0, ContainingType: null, ContainingNamespace: { Name: "Piwik", ContainingNamespace.IsGlobalNamespace: true } }
            && type.Name is "TrackOrderAttribute" or "TrackSearchAttribute" or "TrackDimensionAttribute"
            ? type.Name
            : null;

    /// <summary>The value of a named string argument of an attribute, or null.</summary>
    internal static string? Named(AttributeData attribute, string name)
    {
        foreach (var argument in attribute.NamedArguments)
        {
            if (argument.Key == name)
            {
                return argument.Value.Value as string;
            }
        }

        return null;
    }
}
