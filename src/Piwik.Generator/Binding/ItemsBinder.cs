using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Piwik.Generator.Model;
using Piwik.Shared;

namespace Piwik.Generator.Binding;

/// <summary>An order's <c>Items</c> template bound to a handler: the generated accessor, or why there is none.</summary>
internal sealed class BoundItems
{
    /// <summary>The accessor's code (<c>static context => …</c>), when bound.</summary>
    public string? Accessor { get; init; }

    /// <summary>Whether the collection is read from the handler's result.</summary>
    public bool ReadsResult { get; init; }

    /// <summary>Why the template does not bind (PIWIK021), when it does not.</summary>
    public string? Problem { get; init; }

    /// <summary>The placeholder's own binding problem (a missing member, no result value...), reported as for any template.</summary>
    public BoundPlaceholder? Placeholder { get; init; }
}

/// <summary>
/// Binds <c>[TrackOrder(Items = "{…}")]</c>: one placeholder naming a collection (an array or any
/// <c>IEnumerable&lt;T&gt;</c>, not a string) whose element type has, by name ignoring case, a scalar <c>Sku</c>
/// (required), scalar <c>Name</c> and <c>Category</c>, and numeric <c>Price</c> and <c>Quantity</c> (all optional).
/// The generator emits the accessor; the analyzer reports the problem, with the same answer.
/// </summary>
internal static class ItemsBinder
{
    public static BoundItems Bind(string template, IMethodSymbol handler, Compilation compilation)
    {
        var parsed = TemplateParser.Parse(template);
        if (!parsed.IsValid || !parsed.IsSinglePlaceholder)
        {
            return new BoundItems { Problem = $"'{template}' must be one placeholder naming a collection, such as '{{cart.Lines}}'" };
        }

        var placeholder = parsed.Placeholders.First();
        var bound = TemplateBinder.Bind(placeholder, handler, compilation, scalar: false);
        if (bound.Problem != PlaceholderProblem.None)
        {
            return new BoundItems { Placeholder = bound };
        }

        var type = bound.Type!;
        var element = ElementOf(type);
        if (element is null)
        {
            return new BoundItems { Problem = $"'{{{placeholder.Text}}}' is a {Display(type)}, not a collection of order lines" };
        }

        if (!PiwikGenerator.Parser.IsNameable(element, compilation))
        {
            return new BoundItems { Problem = $"the element type {Display(element)} cannot be named by generated code (make it accessible)" };
        }

        var arguments = new StringBuilder();
        foreach (var (name, number, required) in new[] { ("Sku", false, true), ("Name", false, false), ("Category", false, false), ("Price", true, false), ("Quantity", true, false) })
        {
            var member = TemplateBinder.FindMemberIgnoringCase(element, name, compilation);
            if (member is null)
            {
                if (required)
                {
                    return new BoundItems { Problem = $"the element type {Display(element)} has no readable '{name}' member (the product's SKU, required)" };
                }

                arguments.Append(", null");
                continue;
            }

            var memberType = TemplateBinder.MemberType(member);
            var kind = TemplateBinder.KindOf(memberType);
            if (number ? !PlaceholderBinding.IsNumeric(kind) : kind == ScalarKind.NotScalar)
            {
                return new BoundItems
                {
                    Problem = $"{Display(element)}.{member.Name} is a {Display(memberType)}, not {(number ? "a number" : "a scalar")}",
                };
            }

            var read = "item." + TemplateBinder.EscapeIdentifier(member.Name);
            arguments.Append(", ").Append(number
                ? "(double?)(" + read + ")"
                : PiwikGenerator.Emitter.Text(new AccessorPart(PartSource.Argument, read, kind, TemplateBinder.IsNullable(memberType))));
        }

        return new BoundItems
        {
            Accessor = "static context => global::Piwik.Infrastructure.TemplateValues.Lines(" + bound.Expression
                + ", static item => new global::Piwik.Infrastructure.TrackedOrderLine(" + arguments.ToString(2, arguments.Length - 2) + "))",
            ReadsResult = TemplateBinder.Unescape(placeholder.Path[0]) == PlaceholderBinding.ResultRoot
                && !handler.Parameters.Any(static p => p.Name == PlaceholderBinding.ResultRoot),
        };
    }

    /// <summary>The element type of an array or an <c>IEnumerable&lt;T&gt;</c> (not a string), or null.</summary>
    private static ITypeSymbol? ElementOf(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        if (type.SpecialType == SpecialType.System_String)
        {
            return null;
        }

        if (type is IArrayTypeSymbol { Rank: 1 } array)
        {
            return array.ElementType;
        }

        var enumerables = (type is INamedTypeSymbol { TypeKind: TypeKind.Interface } self ? new[] { self } : Enumerable.Empty<INamedTypeSymbol>())
            .Concat(type.AllInterfaces)
            .Where(static i => i.OriginalDefinition.SpecialType == SpecialType.System_Collections_Generic_IEnumerable_T)
            .Select(static i => i.TypeArguments[0])
            .Distinct<ITypeSymbol>(SymbolEqualityComparer.Default)
            .ToList();
        return enumerables.Count == 1 ? enumerables[0] : null;
    }

    private static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
}
