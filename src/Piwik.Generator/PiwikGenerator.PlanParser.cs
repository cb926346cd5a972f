using System.Collections.Generic;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Piwik.Generator.Analyzers;
using Piwik.Generator.Model;
using Piwik.Shared;

namespace Piwik.Generator;

public sealed partial class PiwikGenerator
{
    internal const string TrackedEndpointInfoName = "Piwik.TrackedEndpointInfo";
    internal const string DoNotTrackRoutesAttributeName = "Piwik.DoNotTrackRoutesAttribute";
    internal const string FallbackPlanNamespace = "Piwik.Generated";

    /// <summary>
    /// Turns <c>Map*</c> call sites into tracking-plan rows, and reads <c>[assembly: DoNotTrackRoutes]</c>. The call
    /// sites are resolved with the analyzer's own helpers (<see cref="EndpointCall"/>, <see cref="BuilderFlow"/>,
    /// <see cref="TrackAsInfo"/>), so the plan and the diagnostics agree on routes, group prefixes and handlers.
    /// </summary>
    internal static class PlanParser
    {
        // What every Map* call of a compilation needs, resolved once per compilation: the known types (a dozen
        // GetTypeByMetadataName lookups, which showed up at ~0.4 s for 1,000 calls when made per call) and one
        // BuilderFlow, whose per-body index of locals is then built once, not once per Map* call (a Program.cs with
        // 1,000 Map* calls made that quadratic).
        private static readonly System.Runtime.CompilerServices.ConditionalWeakTable<Compilation, CompilationState> States = new();

        /// <summary>Syntax only: an invocation of a member named like an ASP.NET Core <c>Map*</c> method, with arguments.</summary>
        public static bool IsCandidate(SyntaxNode node) =>
            node is InvocationExpressionSyntax { ArgumentList.Arguments.Count: > 0 } invocation
            && invocation.Expression switch
            {
                MemberAccessExpressionSyntax access => EndpointCall.MapMethodNames.Contains(access.Name.Identifier.ValueText),
                IdentifierNameSyntax identifier => EndpointCall.MapMethodNames.Contains(identifier.Identifier.ValueText),
                _ => false,
            };

        /// <summary>
        /// The plan row of a <c>Map*</c> call whose handler has <c>[TrackAs]</c>, <c>[TrackOrder]</c>, <c>[TrackSearch]</c>
        /// or <c>[TrackDimension]</c>; null for anything else.
        /// </summary>
        public static TrackedEndpointSpec? Parse(GeneratorSyntaxContext context, CancellationToken cancellationToken)
        {
            if (States.GetValue(context.SemanticModel.Compilation, static compilation => new CompilationState(compilation)) is not { Known: { } known, Flow: { } flow }
                || context.SemanticModel.GetOperation(context.Node, cancellationToken) is not IInvocationOperation invocation)
            {
                return null;
            }

            var endpoint = EndpointCall.TryCreate(invocation, known, flow);
            if (endpoint is not { Handler: { } handler, IsRequestDelegate: false })
            {
                // A RequestDelegate (PIWIK011: the runtime records nothing), or a handler that cannot be seen.
                return null;
            }

            // A [TrackAs] without a usable action is no event (the analyzer reports it); its order or search still counts.
            var trackAs = TrackAsInfo.For(handler, known) is { Action: { } action } info && !string.IsNullOrWhiteSpace(action) ? info : null;
            var hits = HitTemplates.Read(handler);
            var (order, search, dimensions) = (hits.Order, hits.Search, hits.Dimensions);
            if (trackAs is null && hits.IsEmpty)
            {
                return null; // untracked
            }

            cancellationToken.ThrowIfCancellationRequested();

            // RouteDisplay is "VERB route"; without the verb it is the full route when known, else the pattern as written.
            var route = endpoint.Route ?? endpoint.RouteDisplay.Substring(endpoint.Verb.Length + 1);
            var methods = endpoint.Verb == "ANY" ? Enumerable.Empty<string>() : endpoint.Verb.Split(',');

            return new TrackedEndpointSpec(
                methods.ToEquatableArray(),
                route,
                endpoint.Route is not null,
                trackAs?.Category,
                trackAs?.Action,
                trackAs?.Name,
                trackAs?.Value,
                trackAs?.FailureAction,
                HandlerNames.Of(handler),
                order is null ? null : new OrderSpec(order[HitKey.OrderId], order[HitKey.Revenue], order[HitKey.Subtotal], order[HitKey.Tax], order[HitKey.Shipping], order[HitKey.Discount], order[HitKey.Items]),
                search is null ? null : new SearchSpec(search[0], search[1], search[2]),
                HitKey.Sort(dimensions).Select(static d => new DimensionSpec(d.Key, d.Value ?? string.Empty)).ToEquatableArray());
        }

        /// <summary>The patterns of one <c>[assembly: DoNotTrackRoutes(...)]</c> list, in order.</summary>
        public static EquatableArray<string> ParseExcludedRoutes(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
        {
            var patterns = new List<string>();
            foreach (var attribute in context.Attributes)
            {
                cancellationToken.ThrowIfCancellationRequested();
                foreach (var argument in attribute.ConstructorArguments)
                {
                    if (argument.Kind == TypedConstantKind.Array)
                    {
                        patterns.AddRange(argument.Values.Select(static v => v.Value).OfType<string>().Where(static p => p.Trim().Length > 0));
                    }
                }
            }

            return patterns.ToEquatableArray();
        }

        /// <summary>
        /// The namespace of <c>PiwikTrackingPlan</c>: the project's <c>RootNamespace</c> (visible to generators in every
        /// SDK web project), or <see cref="FallbackPlanNamespace"/> when it is missing or not a valid namespace.
        /// </summary>
        public static string PlanNamespace(string? rootNamespace)
        {
            if (string.IsNullOrWhiteSpace(rootNamespace))
            {
                return FallbackPlanNamespace;
            }

            foreach (var part in rootNamespace!.Split('.'))
            {
                if (!SyntaxFacts.IsValidIdentifier(part) || SyntaxFacts.GetKeywordKind(part) != SyntaxKind.None)
                {
                    return FallbackPlanNamespace;
                }
            }

            return rootNamespace;
        }

        /// <summary>
        /// <see cref="PlanNamespace(string?)"/>, unless declaring it would bring a new namespace name that is also the name of
        /// a type (a project <c>Todo.Api</c> with a model <c>Todo</c>, in source or a referenced assembly): the namespace
        /// <c>Todo</c> would then hide the type in the user's own code (CS0101, CS0118). The plan then goes to
        /// <see cref="FallbackPlanNamespace"/>.
        /// </summary>
        public static string PlanNamespace(string? rootNamespace, Compilation compilation)
        {
            var @namespace = PlanNamespace(rootNamespace);
            if (@namespace == FallbackPlanNamespace)
            {
                return @namespace;
            }

            INamespaceSymbol? current = compilation.GlobalNamespace;
            foreach (var segment in @namespace.Split('.'))
            {
                var existing = current?.GetNamespaceMembers().FirstOrDefault(n => n.Name == segment);
                if (existing is null && IsTypeName(segment, compilation))
                {
                    return FallbackPlanNamespace;
                }

                current = existing;
            }

            return @namespace;
        }

        private static bool IsTypeName(string name, Compilation compilation)
        {
            if (compilation.ContainsSymbolsWithName(name, SymbolFilter.Type))
            {
                return true;
            }

            foreach (var assembly in compilation.SourceModule.ReferencedAssemblySymbols)
            {
                if (assembly.TypeNames.Contains(name))
                {
                    return true;
                }
            }

            return false;
        }

        private sealed class CompilationState
        {
            public CompilationState(Compilation compilation)
            {
                // No plan without TrackedEndpointInfo (an older Piwik.Runtime) or without ASP.NET Core's Map* methods.
                if (compilation.GetTypeByMetadataName(TrackedEndpointInfoName) is not null
                    && KnownSymbols.Create(compilation) is { EndpointRouteBuilderExtensions: not null } known)
                {
                    Known = known;
                    Flow = new BuilderFlow(known, compilation);
                }
            }

            public KnownSymbols? Known { get; }

            public BuilderFlow? Flow { get; }
        }
    }
}
