using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Piwik.Generator.Binding;
using Piwik.Generator.Model;
using Piwik.Shared;

namespace Piwik.Generator;

public sealed partial class PiwikGenerator
{
    internal const string TrackOrderAttributeName = "Piwik.TrackOrderAttribute";
    internal const string TrackSearchAttributeName = "Piwik.TrackSearchAttribute";
    internal const string TrackDimensionAttributeName = "Piwik.TrackDimensionAttribute";

    /// <summary>
    /// Turns a handler with <c>[TrackOrder]</c>, <c>[TrackSearch]</c> or <c>[TrackDimension]</c> into a
    /// <see cref="HitHandlerSpec"/>: each template bound with the same binder as <c>[TrackAs]</c> templates (amounts and
    /// counts as numbers). A template that does not bind gets no accessor; the analyzer reports why.
    /// </summary>
    internal static class HitParser
    {
        /// <summary>A method found by <c>ForAttributeWithMetadataName</c> for one of the three attributes.</summary>
        public static HitHandlerSpec? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            context.TargetSymbol is IMethodSymbol method ? Parse(context.TargetNode, method, context.SemanticModel.Compilation, cancellationToken) : null;

        /// <summary>A lambda or local function (see <see cref="Parser.IsInlineCandidate"/>), on the shared semantic model.</summary>
        public static HitHandlerSpec? ParseInline(GeneratorSyntaxContext context, CancellationToken cancellationToken)
        {
            var node = context.Node;
            var symbol = node is ParenthesizedLambdaExpressionSyntax
                ? context.SemanticModel.GetSymbolInfo(node, cancellationToken).Symbol
                : context.SemanticModel.GetDeclaredSymbol(node, cancellationToken);
            return symbol is IMethodSymbol method ? Parse(node, method, context.SemanticModel.Compilation, cancellationToken) : null;
        }

        private static HitHandlerSpec? Parse(SyntaxNode node, IMethodSymbol method, Compilation compilation, CancellationToken cancellationToken)
        {
            if (method.IsGenericMethod)
            {
                return null;
            }

            var (order, search, dimensions) = ReadAttributes(method, node.SyntaxTree);
            if (order is null && search is null && dimensions.Count == 0)
            {
                return null;
            }

            var parameters = new List<HandlerParameterSpec>(method.Parameters.Length);
            foreach (var parameter in method.Parameters)
            {
                cancellationToken.ThrowIfCancellationRequested();
                if (parameter.RefKind != RefKind.None || !Parser.IsNameable(parameter.Type, compilation))
                {
                    return null;
                }

                parameters.Add(new HandlerParameterSpec(parameter.Name, Parser.TypeName(parameter.Type)));
            }

            var sorted = HitKey.Sort(dimensions);
            var slots = HitKey.Slots(order, search, sorted);
            var accessors = new HitSlot[slots.Length];
            for (var i = 0; i < slots.Length; i++)
            {
                // The order's lines have an accessor of their own (a collection, not a value).
                accessors[i] = new HitSlot(slots[i] is { } template && i != HitKey.Items ? Parser.Bind(template, method, compilation, isValue: HitKey.IsNumeric(i)) : null);
            }

            var items = slots[HitKey.Items] is { } itemsTemplate ? ItemsBinder.Bind(itemsTemplate, method, compilation) : null;
            return new HitHandlerSpec(
                Parser.Describe(node, method),
                HitKey.Build(order is not null, search is not null, sorted, slots),
                parameters.ToEquatableArray(),
                accessors.ToEquatableArray(),
                items?.Accessor,
                accessors.Any(static a => a.Accessor is { ReadsResult: true }) || items is { Accessor: not null, ReadsResult: true });
        }

        /// <summary>
        /// The templates of a handler's <c>[TrackOrder]</c> (in <see cref="HitKey"/>'s slot order), <c>[TrackSearch]</c>
        /// and <c>[TrackDimension]</c>s (in source order); only those written in <paramref name="onlyIn"/> when it is set.
        /// </summary>
        public static (string?[]? Order, string?[]? Search, List<KeyValuePair<int, string?>> Dimensions) ReadAttributes(IMethodSymbol method, SyntaxTree? onlyIn)
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

            return (order, search, dimensions);
        }

        /// <summary>The attribute's class name when it is one of Piwik's three, compared as <c>ForAttributeWithMetadataName</c> does.</summary>
        private static string? Kind(INamedTypeSymbol? type) =>
            type is { Arity: 0, ContainingType: null, ContainingNamespace: { Name: "Piwik", ContainingNamespace.IsGlobalNamespace: true } }
                && type.Name is "TrackOrderAttribute" or "TrackSearchAttribute" or "TrackDimensionAttribute"
                ? type.Name
                : null;

        private static string? Named(AttributeData attribute, string name)
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

    /// <summary>Writes the registrations of the order, search and dimension handlers.</summary>
    internal static class HitEmitter
    {
        public const string HintName = "PiwikHitHandlers.g.cs";

        private const string AccessorType =
            "global::System.Func<global::Microsoft.AspNetCore.Http.EndpointFilterInvocationContext, global::Piwik.Infrastructure.TrackedValue>";

        public static string Emit(EquatableArray<HitHandlerSpec> handlers)
        {
            var source = new System.Text.StringBuilder();
            source.Append("""
                // <auto-generated/>
                // Generated by Piwik.Generator: the accessors of each handler with [TrackOrder], [TrackSearch] or
                // [TrackDimension], one per template (order Id, Revenue, Subtotal, Tax, Shipping, Discount, Items; search
                // Keyword, Category, Count; then each dimension by id), null where there is none (Items: its own accessor,
                // which reads the order lines). app.UsePiwikTracking() finds them by the attributes' key and the handler's
                // parameter types; readsResult: a template reads the handler's result, which the endpoint filter then keeps.
                #nullable enable

                namespace Piwik.Generated
                {
                    file static class PiwikHitHandlers
                    {
                        [global::System.Runtime.CompilerServices.ModuleInitializer]
                        internal static void Register()
                        {

                """.Replace("\r\n", "\n"));
            foreach (var handler in handlers)
            {
                source.Append("            // ").Append(handler.Description.Replace("\n", " ")).Append('\n');
                source.Append("            global::Piwik.Infrastructure.HitHandlerRegistry.Register(\n");
                source.Append("                ").Append(Emitter.Literal(handler.Key)).Append(",\n");
                source.Append("                new global::System.Type[] { ")
                    .Append(string.Join(", ", handler.Parameters.Select(static p => "typeof(" + p.TypeName + ")")))
                    .Append(" },\n");
                source.Append("                new string[] { ")
                    .Append(string.Join(", ", handler.Parameters.Select(static p => Emitter.Literal(p.Name))))
                    .Append(" },\n");
                source.Append("                new ").Append(AccessorType).Append("?[]\n                {\n");
                foreach (var accessor in handler.Accessors)
                {
                    source.Append("                    ").Append(Emitter.Accessor(accessor.Accessor) ?? "null").Append(",\n");
                }

                source.Append("                }");
                if (handler.ReadsResult)
                {
                    source.Append(",\n                readsResult: true");
                }

                if (handler.Items is { } items)
                {
                    source.Append(",\n                items: ").Append(items);
                }

                source.Append(",\n                origin: typeof(PiwikHitHandlers).Assembly);\n");
            }

            source.Append("""
                        }
                    }
                }

                """.Replace("\r\n", "\n"));
            return source.ToString();
        }
    }
}
