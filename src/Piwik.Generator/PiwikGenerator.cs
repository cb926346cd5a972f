using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Piwik.Generator.Model;

namespace Piwik.Generator;

/// <summary>
/// Finds <c>[TrackAs]</c> handlers (lambdas, methods, local functions) and emits, for each, a
/// <c>TrackedHandler</c> registration: its constant category and actions and typed accessors for its
/// <c>Name</c>/<c>Value</c> templates. <c>app.UsePiwikTracking()</c> matches the registrations to endpoints at run time.
/// Also registers the <c>[assembly: DoNotTrackRoutes]</c> patterns, and emits the app's tracking plan
/// (<c>PiwikTrackingPlan</c>): every <c>Map*</c> call whose handler has <c>[TrackAs]</c>, <c>[TrackOrder]</c>,
/// <c>[TrackSearch]</c> or <c>[TrackDimension]</c>.
/// </summary>
/// <remarks>
/// No interceptors: the Request Delegate Generator already intercepts every <c>Map*</c> call, and a second
/// interceptor fails the build (CS9153). The generator reports no diagnostics; a template it cannot bind simply gets
/// no accessor, and the Piwik analyzer reports why. Below C# 11 it generates nothing (its output uses file-local types
/// and raw string literals), and the analyzer reports PIWIK022.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed partial class PiwikGenerator : IIncrementalGenerator
{
    internal const string TrackAsAttributeName = "Piwik.TrackAsAttribute";

    private static IncrementalValuesProvider<HitHandlerSpec> MethodHits(IncrementalGeneratorInitializationContext context, string attributeName) =>
        context.SyntaxProvider
            .ForAttributeWithMetadataName(
                attributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (context, cancellationToken) => HitParser.Parse(context, cancellationToken))
            .WithTrackingName(TrackingNames.HitHandlers)
            .Where(static handler => handler is not null)
            .Select(static (handler, _) => handler!);

    /// <summary>The C# version a compilation is parsed with, or null for none (no syntax tree yet).</summary>
    internal static LanguageVersion? LanguageVersionOf(Compilation compilation) =>
        compilation.SyntaxTrees.FirstOrDefault()?.Options is CSharpParseOptions options ? options.LanguageVersion : null;

    /// <summary>Whether the generated code compiles in that C# version (C# 11: file-local types, raw string literals).</summary>
    internal static bool CanGenerate(LanguageVersion version) => version >= LanguageVersion.CSharp11;

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var canGenerate = context.ParseOptionsProvider
            .Select(static (options, _) => options is not CSharpParseOptions csharp || CanGenerate(csharp.LanguageVersion))
            .WithTrackingName(TrackingNames.LanguageVersion);

        // Methods: ForAttributeWithMetadataName. Its transform gets a semantic model of its own, which is cheap for a
        // method: the symbol comes from the declaration, no body is bound.
        var methodHandlers = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                TrackAsAttributeName,
                static (node, _) => node is MethodDeclarationSyntax,
                static (context, cancellationToken) => Parser.Parse(context, cancellationToken))
            .WithTrackingName(TrackingNames.Handlers)
            .Where(static handler => handler is not null)
            .Select(static (handler, _) => handler!)
            .WithTrackingName(TrackingNames.ValidHandlers);

        // Lambdas and local functions: their symbols exist only once the enclosing body is bound. On the model of
        // ForAttributeWithMetadataName that binds the body a second time (a top-level Program.cs with 1,000 handlers:
        // all of it, nullable analysis included); on the model that all syntax providers share it is the binding the
        // Request Delegate Generator and the plan pipeline below do anyway. Syntax-only predicate: any attributed one.
        var inlineHandlers = context.SyntaxProvider
            .CreateSyntaxProvider(
                static (node, _) => Parser.IsInlineCandidate(node),
                static (context, cancellationToken) => Parser.ParseInline(context, cancellationToken))
            .WithTrackingName(TrackingNames.InlineHandlers)
            .Where(static handler => handler is not null)
            .Select(static (handler, _) => handler!)
            .WithTrackingName(TrackingNames.ValidInlineHandlers);

        var all = methodHandlers.Collect()
            .Combine(inlineHandlers.Collect())
            .Select(static (pair, _) => pair.Left.Concat(pair.Right).ToEquatableArray())
            .WithTrackingName(TrackingNames.AllHandlers);

        var excludedRoutes = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                DoNotTrackRoutesAttributeName,
                static (node, _) => node is CompilationUnitSyntax,
                static (context, cancellationToken) => PlanParser.ParseExcludedRoutes(context, cancellationToken))
            .WithTrackingName(TrackingNames.ExcludedRoutes)
            .Collect()
            .Select(static (lists, _) => lists.SelectMany(static list => list).Distinct().ToEquatableArray())
            .WithTrackingName(TrackingNames.AllExcludedRoutes);

        context.RegisterSourceOutput(all.Combine(excludedRoutes).Combine(canGenerate), static (context, input) =>
        {
            var ((handlers, excluded), generate) = input;
            if (!generate || (handlers.Count == 0 && excluded.Count == 0))
            {
                return;
            }

            context.AddSource(Emitter.HintName, Emitter.Emit(handlers, excluded));
        });

        // [TrackOrder], [TrackSearch] and [TrackDimension] handlers: methods by each attribute's metadata name, lambdas
        // and local functions on the shared model, as for [TrackAs]; a method with several of them is found once per
        // attribute, so the specs are made distinct.
        var hitHandlers = MethodHits(context, TrackOrderAttributeName).Collect()
            .Combine(MethodHits(context, TrackSearchAttributeName).Collect())
            .Combine(MethodHits(context, TrackDimensionAttributeName).Collect())
            .Combine(context.SyntaxProvider
                .CreateSyntaxProvider(
                    static (node, _) => Parser.IsInlineCandidate(node),
                    static (context, cancellationToken) => HitParser.ParseInline(context, cancellationToken))
                .WithTrackingName(TrackingNames.InlineHitHandlers)
                .Where(static handler => handler is not null)
                .Select(static (handler, _) => handler!)
                .Collect())
            .Select(static (all, _) => all.Left.Left.Left.Concat(all.Left.Left.Right).Concat(all.Left.Right).Concat(all.Right).Distinct().ToEquatableArray())
            .WithTrackingName(TrackingNames.AllHitHandlers);

        context.RegisterSourceOutput(hitHandlers.Combine(canGenerate), static (context, input) =>
        {
            var (handlers, generate) = input;
            if (generate && handlers.Count > 0)
            {
                context.AddSource(HitEmitter.HintName, HitEmitter.Emit(handlers));
            }
        });

        // The tracking plan: Map* call sites joined with their [TrackAs], [TrackOrder], [TrackSearch] and
        // [TrackDimension] handlers. Syntax-only predicate; all symbol work, through the analyzer's helpers, in the
        // transform; equatable rows only.
        var endpoints = context.SyntaxProvider
            .CreateSyntaxProvider(
                static (node, _) => PlanParser.IsCandidate(node),
                static (context, cancellationToken) => PlanParser.Parse(context, cancellationToken))
            .WithTrackingName(TrackingNames.EndpointCalls)
            .Where(static endpoint => endpoint is not null)
            .Select(static (endpoint, _) => endpoint!)
            .WithTrackingName(TrackingNames.TrackedEndpoints);

        var plan = endpoints.Collect()
            .Select(static (rows, _) => PlanEmitter.Order(rows).ToEquatableArray())
            .WithTrackingName(TrackingNames.AllTrackedEndpoints);

        // The root namespace, unless declaring it would clash with a type (CS0101/CS0118 in the user's own code). The
        // compilation is read for type names only (declaration tables, no binding); the string it gives stays equal
        // across edits, so the plan stays cached.
        var planNamespace = context.AnalyzerConfigOptionsProvider
            .Select(static (options, _) => options.GlobalOptions.TryGetValue("build_property.RootNamespace", out var rootNamespace) ? rootNamespace : null)
            .Combine(context.CompilationProvider)
            .Select(static (pair, _) => PlanParser.PlanNamespace(pair.Left, pair.Right))
            .WithTrackingName(TrackingNames.PlanNamespace);

        context.RegisterSourceOutput(plan.Combine(planNamespace).Combine(canGenerate), static (context, input) =>
        {
            var ((rows, @namespace), generate) = input;
            if (!generate || rows.Count == 0)
            {
                return;
            }

            context.AddSource(PlanEmitter.HintName, PlanEmitter.Emit(@namespace, rows));
        });
    }
}
