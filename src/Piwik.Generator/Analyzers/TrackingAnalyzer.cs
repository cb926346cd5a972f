using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Operations;
using Piwik.Generator.Binding;
using Piwik.Shared;

namespace Piwik.Generator.Analyzers;

/// <summary>
/// Reports minimal-API endpoints that are not covered by tracking (PIWIK001) and mistakes in <c>[TrackAs]</c>
/// (PIWIK002-PIWIK010). Lives beside the generator in one analyzer assembly, but outside its cached pipeline: whether a
/// route is tracked needs the whole compilation.
/// </summary>
[DiagnosticAnalyzer(LanguageNames.CSharp)]
public sealed class TrackingAnalyzer : DiagnosticAnalyzer
{
    /// <summary>Property key of a PIWIK001 diagnostic: the action the code fix suggests.</summary>
    internal const string SuggestedActionKey = DiagnosticIds.SuggestedActionKey;

    /// <inheritdoc/>
    public override ImmutableArray<DiagnosticDescriptor> SupportedDiagnostics { get; } = ImmutableArray.Create(
        DiagnosticDescriptors.UntrackedRoute,
        DiagnosticDescriptors.UnknownPlaceholder,
        DiagnosticDescriptors.MemberNotFound,
        DiagnosticDescriptors.ValueNotNumeric,
        DiagnosticDescriptors.EmptyEventPart,
        DiagnosticDescriptors.TrackAsAndDoNotTrack,
        DiagnosticDescriptors.TrackAsNotAnEndpoint,
        DiagnosticDescriptors.LiteralTooLong,
        DiagnosticDescriptors.AmbiguousEvent,
        DiagnosticDescriptors.InvalidTemplate,
        DiagnosticDescriptors.TrackAsOnRequestDelegate,
        DiagnosticDescriptors.PlaceholderNotScalar,
        DiagnosticDescriptors.PlaceholderMaybeUnbound,
        DiagnosticDescriptors.OrderIncomplete,
        DiagnosticDescriptors.DimensionIdNotPositive,
        DiagnosticDescriptors.HitNumberNotNumeric,
        DiagnosticDescriptors.SearchWithoutKeyword,
        DiagnosticDescriptors.HitAndDoNotTrack,
        DiagnosticDescriptors.HitTemplateUnbound,
        DiagnosticDescriptors.ResultHasNoValue,
        DiagnosticDescriptors.OrderItemsUnreadable,
        DiagnosticDescriptors.PlanEntryNotInFile,
        DiagnosticDescriptors.PlanEntryNotInCode,
        DiagnosticDescriptors.PlanEntryChanged,
        DiagnosticDescriptors.GoalActionNotUnique,
        DiagnosticDescriptors.GoalNameOnTwoActions,
        DiagnosticDescriptors.LanguageVersionTooOld,
        DiagnosticDescriptors.RedirectRecordsNothing);

    /// <inheritdoc/>
    public override void Initialize(AnalysisContext context)
    {
        context.ConfigureGeneratedCodeAnalysis(GeneratedCodeAnalysisFlags.None);
        context.EnableConcurrentExecution();
        context.RegisterCompilationStartAction(static start =>
        {
            var known = KnownSymbols.Create(start.Compilation);
            if (known is null)
            {
                return;
            }

            new CompilationAnalysis(start.Compilation, known).Register(start);
            if (PiwikGenerator.LanguageVersionOf(start.Compilation) is { } version && !PiwikGenerator.CanGenerate(version))
            {
                start.RegisterCompilationEndAction(end => end.ReportDiagnostic(Diagnostic.Create(
                    DiagnosticDescriptors.LanguageVersionTooOld, Location.None, version.ToDisplayString())));
            }
        });
    }

    /// <summary>State of one compilation: what compilation-end rules (PIWIK007, PIWIK009) need.</summary>
    private sealed class CompilationAnalysis
    {
        private readonly Compilation _compilation;
        private readonly KnownSymbols _known;
        private readonly BuilderFlow _flow;
        private readonly ImmutableArray<string> _excludedRoutes;
        private readonly ConcurrentDictionary<IMethodSymbol, bool> _referencedMethods = new(SymbolEqualityComparer.Default);
        private readonly ConcurrentBag<(IMethodSymbol Method, Location Location)> _trackAsMethods = new();
        private readonly ConcurrentBag<TrackedEndpoint> _trackedEndpoints = new();
        private readonly ConcurrentBag<Plan.HitEndpoint> _hitEndpoints = new();

        public CompilationAnalysis(Compilation compilation, KnownSymbols known)
        {
            _compilation = compilation;
            _known = known;
            _flow = new BuilderFlow(known, compilation);
            _excludedRoutes = ExcludedRoutes(compilation, known);
        }

        public void Register(CompilationStartAnalysisContext start)
        {
            start.RegisterSyntaxNodeAction(AnalyzeMethodAttribute, SyntaxKind.Attribute);
            start.RegisterSymbolAction(AnalyzeMethodHits, SymbolKind.Method);
            start.RegisterOperationAction(AnalyzeLambda, OperationKind.AnonymousFunction);
            start.RegisterOperationAction(AnalyzeLocalFunction, OperationKind.LocalFunction);
            start.RegisterOperationAction(AnalyzeMethodReference, OperationKind.MethodReference);
            if (_known.EndpointRouteBuilderExtensions is not null)
            {
                start.RegisterOperationAction(AnalyzeInvocation, OperationKind.Invocation);
            }

            start.RegisterCompilationEndAction(AnalyzeCompilationEnd);
        }

        private static ImmutableArray<string> ExcludedRoutes(Compilation compilation, KnownSymbols known)
        {
            if (known.DoNotTrackRoutes is null)
            {
                return ImmutableArray<string>.Empty;
            }

            var patterns = ImmutableArray.CreateBuilder<string>();
            foreach (var attribute in compilation.Assembly.GetAttributes())
            {
                if (!SymbolEqualityComparer.Default.Equals(attribute.AttributeClass, known.DoNotTrackRoutes))
                {
                    continue;
                }

                foreach (var argument in attribute.ConstructorArguments)
                {
                    if (argument.Kind == TypedConstantKind.Array)
                    {
                        patterns.AddRange(argument.Values.Select(v => v.Value).OfType<string>());
                    }
                }
            }

            return patterns.ToImmutable();
        }

        /// <summary>
        /// <c>[TrackAs]</c> on a method declaration. Lambdas and local functions are checked from their operations
        /// instead (<see cref="AnalyzeLambda"/>, <see cref="AnalyzeLocalFunction"/>): a semantic query on an attribute
        /// inside a method body makes the semantic model bind that attribute once more in a model of its own, with its
        /// own nullable analysis (~0.5 ms each in a cold compiler), while the handler symbol of the operation already
        /// carries the attributes the compiler bound.
        /// </summary>
        private void AnalyzeMethodAttribute(SyntaxNodeAnalysisContext context)
        {
            var syntax = (AttributeSyntax)context.Node;
            if (syntax.Parent is not AttributeListSyntax list || (list.Target is { } target && !target.Identifier.IsKind(SyntaxKind.MethodKeyword)))
            {
                return;
            }

            var owner = list.Parent;
            if (owner is not MethodDeclarationSyntax)
            {
                return;
            }

            var semanticModel = context.SemanticModel;
            if (semanticModel.GetSymbolInfo(syntax, context.CancellationToken).Symbol is not IMethodSymbol constructor
                || !SymbolEqualityComparer.Default.Equals(constructor.ContainingType, _known.TrackAs))
            {
                return;
            }

            var handler = semanticModel.GetDeclaredSymbol(owner, context.CancellationToken) as IMethodSymbol;
            var data = handler?.GetAttributes().FirstOrDefault(a => a.ApplicationSyntaxReference?.Span == syntax.Span && a.ApplicationSyntaxReference.SyntaxTree == syntax.SyntaxTree);
            if (handler is null || data is null)
            {
                return;
            }

            CheckTrackAs(handler, data, syntax, isLambda: false, context.Compilation, context.ReportDiagnostic);
        }

        /// <summary>Order, search and dimension attributes on a method declaration (lambdas and local functions: from their operations).</summary>
        private void AnalyzeMethodHits(SymbolAnalysisContext context)
        {
            if (context.Symbol is IMethodSymbol { MethodKind: MethodKind.Ordinary } method && !method.GetAttributes().IsEmpty)
            {
                HitChecks.Check(method, _known, context.Compilation, context.ReportDiagnostic, context.CancellationToken);
            }
        }

        private void AnalyzeLambda(OperationAnalysisContext context)
        {
            var lambda = (IAnonymousFunctionOperation)context.Operation;
            if (lambda.Syntax is ParenthesizedLambdaExpressionSyntax { AttributeLists.Count: > 0 })
            {
                CheckTrackAsOn(lambda.Symbol, isLambda: true, context);
                HitChecks.Check(lambda.Symbol, _known, context.Compilation, context.ReportDiagnostic, context.CancellationToken);
            }
        }

        private void AnalyzeLocalFunction(OperationAnalysisContext context)
        {
            var function = (ILocalFunctionOperation)context.Operation;
            if (function.Syntax is LocalFunctionStatementSyntax { AttributeLists.Count: > 0 })
            {
                CheckTrackAsOn(function.Symbol, isLambda: false, context);
                HitChecks.Check(function.Symbol, _known, context.Compilation, context.ReportDiagnostic, context.CancellationToken);
            }
        }

        /// <summary>Each <c>[TrackAs]</c> written on the lambda or local function itself (not <c>[return: ...]</c>).</summary>
        private void CheckTrackAsOn(IMethodSymbol handler, bool isLambda, OperationAnalysisContext context)
        {
            foreach (var data in handler.GetAttributes())
            {
                if (!_known.IsTrackAs(data)
                    || data.ApplicationSyntaxReference?.GetSyntax(context.CancellationToken) is not AttributeSyntax syntax
                    || syntax.Parent is not AttributeListSyntax list
                    || (list.Target is { } target && !target.Identifier.IsKind(SyntaxKind.MethodKeyword))
                    || list.Parent != context.Operation.Syntax)
                {
                    continue;
                }

                CheckTrackAs(handler, data, syntax, isLambda, context.Compilation, context.ReportDiagnostic);
            }
        }

        private void CheckTrackAs(IMethodSymbol handler, AttributeData data, AttributeSyntax syntax, bool isLambda, Compilation compilation, System.Action<Diagnostic> report)
        {
            var info = TrackAsInfo.From(data, syntax);
            if (handler.GetAttributes().Any(_known.IsDoNotTrack))
            {
                report(Diagnostic.Create(DiagnosticDescriptors.TrackAsAndDoNotTrack, syntax.GetLocation(), HandlerNames.Of(handler)));
            }

            TemplateChecks.CheckAttribute(info, handler, compilation, report);
            if (!info.RedirectIsSuccess && ResultTypes.OnlyRedirectsOrFailures(handler.ReturnType) is { } results)
            {
                report(Diagnostic.Create(DiagnosticDescriptors.RedirectRecordsNothing, syntax.GetLocation(), HandlerNames.Of(handler), results));
            }

            if (!isLambda)
            {
                _trackAsMethods.Add((handler, syntax.GetLocation()));
            }
        }

        private void AnalyzeMethodReference(OperationAnalysisContext context)
        {
            var method = ((IMethodReferenceOperation)context.Operation).Method;
            _referencedMethods.TryAdd(method.OriginalDefinition, true);
        }

        private void AnalyzeInvocation(OperationAnalysisContext context)
        {
            var invocation = (IInvocationOperation)context.Operation;
            var endpoint = EndpointCall.TryCreate(invocation, _known, _flow);
            if (endpoint?.Handler is not { } handler)
            {
                // Not an ASP.NET Core Map* call with a handler we can see: nothing to say without guessing.
                return;
            }

            var trackAs = TrackAsInfo.For(handler, _known);
            if (endpoint.IsRequestDelegate)
            {
                if (trackAs is not null)
                {
                    context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.TrackAsOnRequestDelegate, endpoint.Location, endpoint.RouteDisplay));
                }

                return;
            }

            // The plan's route is printed as the generated PiwikTrackingPlan prints it (TrackedEndpointInfo.ToString).
            var planRoute = endpoint.Route is { } full ? endpoint.Verb + " " + full : endpoint.RouteDisplay + " (relative)";
            if (handler.GetAttributes().Any(KnownSymbols.IsHit))
            {
                _hitEndpoints.Add(new Plan.HitEndpoint(handler, planRoute, endpoint.Location));
            }

            if (trackAs is null)
            {
                var untracked = !_flow.IsEndpointExcluded(invocation)
                    && !endpoint.GroupExcluded
                    && !handler.GetAttributes().Any(_known.IsDoNotTrack)
                    && !handler.GetAttributes().Any(KnownSymbols.IsOrderOrSearch)
                    && !IsExcludedRoute(endpoint);
                if (untracked)
                {
                    var suggestion = RouteText.SuggestAction(endpoint.Verb, endpoint.Route, endpoint.HandlerIsLambda ? null : handler.Name);
                    var declaration = endpoint.HandlerDeclaration;

                    // [TrackOrder] and [TrackSearch] make an endpoint tracked: a hit attribute here is a [TrackDimension].
                    var hint = handler.GetAttributes().Any(KnownSymbols.IsHit) ? DiagnosticDescriptors.DimensionAloneHint : string.Empty;
                    context.ReportDiagnostic(Diagnostic.Create(
                        DiagnosticDescriptors.UntrackedRoute,
                        endpoint.Location,
                        declaration is null ? null : new[] { declaration.GetLocation() },
                        ImmutableDictionary<string, string?>.Empty.Add(SuggestedActionKey, suggestion),
                        endpoint.RouteDisplay,
                        hint));
                }

                return;
            }

            if (endpoint.VisibleRoute is { } visibleRoute)
            {
                // The handler's parameters are always known: placeholders are checked in extension methods too, against
                // the part of the route that is visible there.
                var handlerLocation = endpoint.HandlerIsLambda ? null : EndpointCall.Unwrap(endpoint.HandlerArgument).Syntax.GetLocation();
                TemplateChecks.CheckRoute(trackAs, handler, visibleRoute, endpoint.HasUnknownPrefix, handlerLocation, context.ReportDiagnostic);
            }

            // Excluding a group does not untrack a handler that carries [TrackAs]: the runtime reads the handler, the
            // more specific decision. So it still counts for PIWIK009.
            _trackedEndpoints.Add(new TrackedEndpoint(trackAs, endpoint.RouteDisplay, endpoint.Verb, endpoint.Location, HandlerNames.Of(handler), planRoute));
        }

        /// <summary>
        /// Whether <c>[assembly: DoNotTrackRoutes]</c> covers the route. With an unseen outer prefix (a route mapped in an
        /// extension method) the visible part is matched: such methods are mostly called on the application itself.
        /// </summary>
        private bool IsExcludedRoute(EndpointCall endpoint) =>
            endpoint.VisibleRoute is { } route && _excludedRoutes.Any(p => RouteText.IsExcludedBy(p, route));

        private void AnalyzeCompilationEnd(CompilationAnalysisContext context)
        {
            ReportUnusedTrackAs(context);
            ReportAmbiguousEvents(context);
            if (_known.EndpointRouteBuilderExtensions is not null)
            {
                Plan.TrackingPlanChecks.Report(context, _trackedEndpoints.Select(static e => new Plan.PlanEndpoint(e.TrackAs, e.PlanRoute, e.Location)), _hitEndpoints);
            }
        }

        /// <summary>
        /// PIWIK007. Any method-group reference counts as a use (it may reach a <c>Map*</c> call through a variable),
        /// and in a class library externally visible methods may be mapped by the application: both stay silent.
        /// </summary>
        private void ReportUnusedTrackAs(CompilationAnalysisContext context)
        {
            var isLibrary = _compilation.Options.OutputKind == OutputKind.DynamicallyLinkedLibrary;
            foreach (var (method, location) in _trackAsMethods)
            {
                // A controller action is never a minimal-API handler, whoever references the library.
                var isControllerAction = IsControllerAction(method);
                if (_referencedMethods.ContainsKey(method.OriginalDefinition) || (isLibrary && IsExternallyVisible(method) && !isControllerAction))
                {
                    continue;
                }

                var hint = isControllerAction
                    ? ": MVC controller actions are not tracked (only minimal-API endpoints are); record this action's event with IPiwikTracker.TrackEvent"
                    : string.Empty;
                context.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.TrackAsNotAnEndpoint, location, HandlerNames.Of(method), hint));
            }
        }

        /// <summary>
        /// PIWIK009. Endpoints sharing a category/action pair must agree on the HTTP method and on the Name and Value
        /// templates; each one that differs from the first in source order is reported.
        /// </summary>
        private void ReportAmbiguousEvents(CompilationAnalysisContext context)
        {
            var groups = _trackedEndpoints
                .Where(e => !string.IsNullOrWhiteSpace(e.TrackAs.Action))
                .GroupBy(e => (e.TrackAs.Category ?? string.Empty, e.TrackAs.Action!));
            foreach (var group in groups)
            {
                var ordered = group
                    .OrderBy(e => e.Location.SourceTree?.FilePath, System.StringComparer.Ordinal)
                    .ThenBy(e => e.Location.SourceSpan.Start)
                    .ToList();
                var first = ordered[0];
                foreach (var other in ordered.Skip(1))
                {
                    var differences = new List<string>();
                    if (other.Verb != first.Verb)
                    {
                        differences.Add($"uses {first.Verb}");
                    }

                    if (other.TrackAs.Name != first.TrackAs.Name)
                    {
                        differences.Add($"has Name '{first.TrackAs.Name ?? "(none)"}'");
                    }

                    if (other.TrackAs.Value != first.TrackAs.Value)
                    {
                        differences.Add($"has Value '{first.TrackAs.Value ?? "(none)"}'");
                    }

                    if (differences.Count > 0)
                    {
                        // Two routes that read the same (the same pattern in two groups the analyzer cannot tell apart,
                        // or in two API versions) are told apart by their handlers, and by where those are when their
                        // names read the same too (two lambdas).
                        var (otherRoute, firstRoute) = other.Route != first.Route
                            ? (other.Route, first.Route)
                            : other.Handler != first.Handler
                                ? ($"{other.Route} ({other.Handler})", $"{first.Route} ({first.Handler})")
                                : ($"{other.Route} ({other.Handler} at {Position(other.Location)})", $"{first.Route} ({first.Handler} at {Position(first.Location)})");
                        context.ReportDiagnostic(Diagnostic.Create(
                            DiagnosticDescriptors.AmbiguousEvent, other.Location, other.TrackAs.EventText, otherRoute, firstRoute, string.Join(" and ", differences)));
                    }
                }
            }
        }

        /// <summary>A file name and line, e.g. <c>OrdersApi.cs:47</c>.</summary>
        private static string Position(Location location)
        {
            var span = location.GetLineSpan();
            return $"{System.IO.Path.GetFileName(span.Path)}:{span.StartLinePosition.Line + 1}";
        }

        private static bool IsExternallyVisible(ISymbol symbol)
        {
            for (var current = symbol; current is not null and not INamespaceSymbol; current = current.ContainingSymbol)
            {
                if (current.DeclaredAccessibility is not (Accessibility.Public or Accessibility.Protected or Accessibility.ProtectedOrInternal))
                {
                    return false;
                }
            }

            return true;
        }
    }

    /// <summary>A method of an MVC controller: a type deriving from <c>ControllerBase</c>, or marked <c>[ApiController]</c> or <c>[Controller]</c>.</summary>
    private static bool IsControllerAction(IMethodSymbol method)
    {
        for (var type = method.ContainingType; type is not null; type = type.BaseType)
        {
            if (type.Name == "ControllerBase" && type.ContainingNamespace?.ToDisplayString() == "Microsoft.AspNetCore.Mvc")
            {
                return true;
            }

            if (type.GetAttributes().Any(a => a.AttributeClass?.Name is "ApiControllerAttribute" or "ControllerAttribute"))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>A <c>Map*</c> call whose handler has <c>[TrackAs]</c>, for PIWIK009 and the plan checks (PIWIK030-PIWIK034).</summary>
    private sealed record TrackedEndpoint(TrackAsInfo TrackAs, string Route, string Verb, Location Location, string Handler, string PlanRoute);
}
