using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
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
    /// <summary>Turns one <c>[TrackAs]</c> target into a <see cref="TrackedHandlerSpec"/>. All symbol work happens here.</summary>
    internal static class Parser
    {
        /// <summary>A <c>[TrackAs]</c> method, found by <c>ForAttributeWithMetadataName</c>.</summary>
        public static TrackedHandlerSpec? Parse(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken) =>
            context.TargetSymbol is IMethodSymbol method
                ? Parse(context.TargetNode, method, context.Attributes, context.SemanticModel.Compilation, cancellationToken)
                : null;

        /// <summary>Syntax only: a lambda or local function with an attribute (which may be <c>[TrackAs]</c> under any name or alias).</summary>
        public static bool IsInlineCandidate(SyntaxNode node) =>
            node is ParenthesizedLambdaExpressionSyntax { AttributeLists.Count: > 0 } or LocalFunctionStatementSyntax { AttributeLists.Count: > 0 };

        /// <summary>
        /// A <c>[TrackAs]</c> lambda or local function, on the semantic model that all syntax providers share. Matches the
        /// attribute as <c>ForAttributeWithMetadataName</c> does: by its metadata name, applied in this file.
        /// </summary>
        public static TrackedHandlerSpec? ParseInline(GeneratorSyntaxContext context, CancellationToken cancellationToken)
        {
            var node = context.Node;
            var symbol = node is ParenthesizedLambdaExpressionSyntax
                ? context.SemanticModel.GetSymbolInfo(node, cancellationToken).Symbol
                : context.SemanticModel.GetDeclaredSymbol(node, cancellationToken);
            if (symbol is not IMethodSymbol method)
            {
                return null;
            }

            var attributes = method.GetAttributes()
                .Where(a => a.ApplicationSyntaxReference?.SyntaxTree == node.SyntaxTree && IsTrackAs(a.AttributeClass))
                .ToImmutableArray();
            return attributes.IsEmpty ? null : Parse(node, method, attributes, context.SemanticModel.Compilation, cancellationToken);
        }

        /// <summary><c>Piwik.TrackAsAttribute</c>, compared by name as <c>ForAttributeWithMetadataName</c> compares it.</summary>
        private static bool IsTrackAs(INamedTypeSymbol? type) =>
            type is { Name: "TrackAsAttribute", Arity: 0, ContainingType: null, ContainingNamespace: { Name: "Piwik", ContainingNamespace.IsGlobalNamespace: true } };

        private static TrackedHandlerSpec? Parse(SyntaxNode node, IMethodSymbol method, ImmutableArray<AttributeData> attributes, Compilation compilation, CancellationToken cancellationToken)
        {
            if (method.IsGenericMethod || attributes.Length != 1)
            {
                return null;
            }

            var attribute = attributes[0];
            if (attribute.ConstructorArguments.Length != 1
                || attribute.ConstructorArguments[0].Value is not string action
                || string.IsNullOrWhiteSpace(action))
            {
                // The analyzer reports an empty action; without one there is nothing to record.
                return null;
            }

            string? category = null, name = null, value = null, failureAction = null;
            foreach (var argument in attribute.NamedArguments)
            {
                var text = argument.Value.Value as string;
                switch (argument.Key)
                {
                    case "Category": category = text; break;
                    case "Name": name = text; break;
                    case "Value": value = text; break;
                    case "FailureAction": failureAction = text; break;
                }
            }

            var parameters = new List<HandlerParameterSpec>(method.Parameters.Length);
            foreach (var parameter in method.Parameters)
            {
                cancellationToken.ThrowIfCancellationRequested();

                // The runtime identifies the handler by its parameter types: generated code must be able to name every one.
                if (parameter.RefKind != RefKind.None || !IsNameable(parameter.Type, compilation))
                {
                    return null;
                }

                parameters.Add(new HandlerParameterSpec(parameter.Name, TypeName(parameter.Type)));
            }

            return new TrackedHandlerSpec(
                Describe(node, method),
                category,
                action,
                failureAction,
                name,
                value,
                parameters.ToEquatableArray(),
                name is null ? null : Bind(name, method, compilation, isValue: false),
                value is null ? null : Bind(value, method, compilation, isValue: true));
        }

        /// <summary>
        /// Binds a template with the shared <see cref="TemplateBinder"/>; null when any placeholder does not bind to a
        /// handler parameter's scalar or a route value (the analyzer reports why, with the same binder).
        /// </summary>
        internal static AccessorSpec? Bind(string template, IMethodSymbol method, Compilation compilation, bool isValue)
        {
            var parsed = TemplateParser.Parse(template);
            if (!parsed.IsValid)
            {
                return null;
            }

            var parts = new List<AccessorPart>(parsed.Segments.Count);
            var bindings = new List<PlaceholderBinding>();
            foreach (var segment in parsed.Segments)
            {
                if (!segment.IsPlaceholder)
                {
                    parts.Add(new AccessorPart(PartSource.Literal, segment.Text, ScalarKind.String, MaybeNull: false));
                    continue;
                }

                var bound = TemplateBinder.Bind(segment, method, compilation);
                switch (bound.Problem)
                {
                    case PlaceholderProblem.None:
                        parts.Add(new AccessorPart(PartSource.Argument, bound.Expression!, bound.Binding!.Kind, bound.MaybeNull));
                        bindings.Add(bound.Binding);
                        break;
                    case PlaceholderProblem.NotAParameter when segment.Path.Length == 1:
                        // Not a handler parameter: a route value (a string), which has no members to walk.
                        var routeValue = PlaceholderBinding.RouteValue(TemplateBinder.Unescape(segment.Path[0]));
                        parts.Add(new AccessorPart(PartSource.RouteValue, routeValue.Root, ScalarKind.String, MaybeNull: true));
                        bindings.Add(routeValue);
                        break;
                    default:
                        return null;
                }
            }

            var shape = parsed.Segments.Count == 0 || parts.All(static p => p.Source == PartSource.Literal)
                ? AccessorShape.Constant
                : parsed.IsSinglePlaceholder ? AccessorShape.Single : AccessorShape.Composite;

            if (isValue)
            {
                // A value is a number: one numeric placeholder, a route value parsed as a number, or a numeric constant.
                var valid = shape switch
                {
                    AccessorShape.Constant => double.TryParse(string.Concat(parts.Select(static p => p.Text)), NumberStyles.Float, CultureInfo.InvariantCulture, out _),
                    AccessorShape.Single => parts[0].Source == PartSource.RouteValue || PlaceholderBinding.IsNumeric(parts[0].Kind),
                    _ => false,
                };
                if (!valid)
                {
                    return null;
                }
            }

            return new AccessorSpec(shape, parts.ToEquatableArray(), isValue, PlaceholderBinding.FormatAll(bindings), PlaceholderBinding.ReadsResult(bindings));
        }

        /// <summary>Whether generated code in this compilation can name the type (in <c>typeof</c> and as a type argument).</summary>
        internal static bool IsNameable(ITypeSymbol type, Compilation compilation) => type switch
        {
            IArrayTypeSymbol array => IsNameable(array.ElementType, compilation),
            IErrorTypeSymbol or ITypeParameterSymbol or IPointerTypeSymbol or IFunctionPointerTypeSymbol or IDynamicTypeSymbol => false,
            INamedTypeSymbol named => !named.IsAnonymousType
                && !IsFileLocal(named)
                && compilation.IsSymbolAccessibleWithin(named, compilation.Assembly)
                && named.TypeArguments.All(argument => IsNameable(argument, compilation)),
            _ => false,
        };

        private static bool IsFileLocal(INamedTypeSymbol type)
        {
            for (INamedTypeSymbol? current = type; current is not null; current = current.ContainingType)
            {
                if (current.IsFileLocal)
                {
                    return true;
                }
            }

            return false;
        }

        internal static string TypeName(ITypeSymbol type) => TemplateBinder.TypeName(type);

        /// <summary>A short, stable description of where the handler is (no line numbers, so unrelated edits keep models equal).</summary>
        internal static string Describe(SyntaxNode node, IMethodSymbol method)
        {
            switch (node)
            {
                case MethodDeclarationSyntax:
                    return $"{method.ContainingType?.Name}.{method.Name}";
                case LocalFunctionStatementSyntax localFunction:
                    return $"local function {localFunction.Identifier.ValueText}";
            }

            if (node.Parent is ArgumentSyntax { Parent: ArgumentListSyntax { Parent: InvocationExpressionSyntax invocation } arguments })
            {
                var called = invocation.Expression switch
                {
                    MemberAccessExpressionSyntax access => access.Name.Identifier.ValueText,
                    IdentifierNameSyntax identifier => identifier.Identifier.ValueText,
                    _ => null,
                };
                if (called is not null)
                {
                    var route = arguments.Arguments.Count > 0 && arguments.Arguments[0].Expression is LiteralExpressionSyntax literal
                        ? literal.Token.Text.Replace("\r", " ").Replace("\n", " ")
                        : "...";
                    return $"{called}({route}) lambda";
                }
            }

            var container = node.FirstAncestorOrSelf<MemberDeclarationSyntax>() switch
            {
                MethodDeclarationSyntax m => m.Identifier.ValueText,
                GlobalStatementSyntax => "top-level statements",
                _ => "code",
            };
            return $"lambda in {container}";
        }
    }
}
