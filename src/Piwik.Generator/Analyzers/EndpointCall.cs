using System.Collections.Generic;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;
using Piwik.Shared;

namespace Piwik.Generator.Analyzers;

/// <summary>One call to an ASP.NET Core <c>Map*(pattern, Delegate)</c> method, as the analyzer sees it.</summary>
internal sealed class EndpointCall
{
    // Internal: the generator's syntax-only predicate for tracking-plan call sites filters on the same names.
    internal static readonly HashSet<string> MapMethodNames = new()
    {
        "MapGet", "MapPost", "MapPut", "MapDelete", "MapPatch", "MapMethods", "Map", "MapFallback",
    };

    /// <summary>Marks a route whose outer prefix the analyzer cannot see: <c>…/items</c>.</summary>
    public const string UnknownPrefix = "\u2026";

    private EndpointCall(
        IInvocationOperation invocation, string verb, string? route, string? visibleRoute, string routeDisplay, IOperation handlerArgument, IMethodSymbol? handler, bool handlerIsLambda)
    {
        Invocation = invocation;
        Verb = verb;
        Route = route;
        VisibleRoute = visibleRoute;
        RouteDisplay = routeDisplay;
        HandlerArgument = handlerArgument;
        Handler = handler;
        HandlerIsLambda = handlerIsLambda;
    }

    public IInvocationOperation Invocation { get; }

    /// <summary><c>GET</c>, <c>GET,HEAD</c> for <c>MapMethods</c>, <c>ANY</c> for <c>Map</c> and <c>MapFallback</c>.</summary>
    public string Verb { get; }

    /// <summary>The full route (group prefix included) when every part of it is a visible constant; else null.</summary>
    public string? Route { get; }

    /// <summary>
    /// What the analyzer sees of the route: <see cref="Route"/> when it is complete, else the visible group prefixes and
    /// the pattern (an unseen outer prefix may come before it); null when the pattern is not a constant.
    /// </summary>
    public string? VisibleRoute { get; }

    /// <summary>Whether an outer prefix the analyzer cannot see may come before <see cref="VisibleRoute"/>.</summary>
    public bool HasUnknownPrefix => Route is null;

    /// <summary>The route for messages: <c>VERB /route</c>, <c>VERB …/visible/route</c> with an unseen outer prefix, or the pattern expression as written.</summary>
    public string RouteDisplay { get; }

    /// <summary>The handler argument as passed.</summary>
    public IOperation HandlerArgument { get; }

    /// <summary>The handler (lambda, method or local function); null when it cannot be seen (a <c>Delegate</c> variable of unknown origin).</summary>
    public IMethodSymbol? Handler { get; }

    public bool HandlerIsLambda { get; }

    /// <summary>Where PIWIK001 and other per-endpoint diagnostics go: the <c>MapGet</c> name of the call.</summary>
    public Location Location => Invocation.Syntax is InvocationExpressionSyntax { Expression: MemberAccessExpressionSyntax access }
        ? access.Name.GetLocation()
        : Invocation.Syntax.GetLocation();

    /// <summary>The handler's syntax for code fixes: the lambda, or the method or local function declaration (if in source).</summary>
    public SyntaxNode? HandlerDeclaration
    {
        get
        {
            if (HandlerIsLambda)
            {
                return Unwrap(HandlerArgument).Syntax;
            }

            return Handler is { DeclaringSyntaxReferences: { Length: > 0 } references } ? references[0].GetSyntax() : null;
        }
    }

    /// <summary>Whether the handler is bound to a <c>RequestDelegate</c> overload rather than a <c>Delegate</c> one.</summary>
    /// <remarks>
    /// Such endpoints are not route handlers: Piwik's tracking filter does not attach to them (the runtime warns at
    /// start-up), so PIWIK001 does not ask for <c>[TrackAs]</c> there, and PIWIK011 reports a <c>[TrackAs]</c> that
    /// would record nothing.
    /// </remarks>
    public bool IsRequestDelegate { get; private init; }

    /// <summary>The endpoint when <paramref name="invocation"/> is an ASP.NET Core <c>Map*</c> call; else null.</summary>
    public static EndpointCall? TryCreate(IInvocationOperation invocation, KnownSymbols known, BuilderFlow flow)
    {
        var method = invocation.TargetMethod;
        if (!MapMethodNames.Contains(method.Name)
            || known.EndpointRouteBuilderExtensions is null
            || !(SymbolEqualityComparer.Default.Equals(method.ContainingType, known.EndpointRouteBuilderExtensions)
                || SymbolEqualityComparer.Default.Equals(method.ContainingType, known.FallbackExtensions)))
        {
            return null;
        }

        var isRequestDelegate = false;

        IArgumentOperation? handlerArgument = null, patternArgument = null, methodsArgument = null, builderArgument = null;
        foreach (var argument in invocation.Arguments)
        {
            var parameter = argument.Parameter;
            if (parameter is null)
            {
                continue;
            }

            if (parameter.Ordinal == 0)
            {
                builderArgument = argument;
            }
            else if (parameter.Type.SpecialType == SpecialType.System_Delegate)
            {
                handlerArgument = argument;
            }
            else if (known.RequestDelegate is not null && SymbolEqualityComparer.Default.Equals(parameter.Type, known.RequestDelegate))
            {
                handlerArgument = argument;
                isRequestDelegate = true;
            }
            else if (parameter.Name == "pattern")
            {
                patternArgument = argument;
            }
            else if (parameter.Name == "httpMethods")
            {
                methodsArgument = argument;
            }
        }

        if (handlerArgument is null || builderArgument is null)
        {
            return null;
        }

        var verb = method.Name switch
        {
            "MapGet" => "GET",
            "MapPost" => "POST",
            "MapPut" => "PUT",
            "MapDelete" => "DELETE",
            "MapPatch" => "PATCH",
            "MapMethods" => MethodsText(methodsArgument),
            _ => "ANY",
        };

        // MapFallback(handler) uses ASP.NET Core's fallback pattern.
        string? pattern;
        string patternDisplay;
        if (patternArgument is null)
        {
            pattern = method.Name == "MapFallback" ? "{*path:nonfile}" : null;
            patternDisplay = pattern ?? "?";
        }
        else
        {
            pattern = patternArgument.Value.ConstantValue is { HasValue: true, Value: string text } ? text : null;
            patternDisplay = pattern ?? Unwrap(patternArgument.Value).Syntax.ToString();
        }

        var group = flow.Describe(builderArgument.Value);
        var visibleRoute = pattern is null ? null : RouteText.Combine(group.Prefix, pattern);
        var route = group.Complete ? visibleRoute : null;
        var routeDisplay = visibleRoute is null ? patternDisplay : route ?? UnknownPrefix + visibleRoute;

        var (handler, isLambda) = flow.ResolveHandler(handlerArgument.Value);
        return new EndpointCall(invocation, verb, route, visibleRoute, verb + " " + routeDisplay, handlerArgument.Value, handler, isLambda)
        {
            GroupExcluded = group.Excluded,
            IsRequestDelegate = isRequestDelegate,
        };
    }

    /// <summary>Whether a group the endpoint is in was excluded with <c>ExcludeFromTracking()</c>.</summary>
    public bool GroupExcluded { get; private init; }

    private static string MethodsText(IArgumentOperation? argument)
    {
        if (argument is null)
        {
            return "?";
        }

        // Array creation, params or a collection expression: read the element expressions from syntax, so this works
        // the same on compilers whose IOperation tree has no collection-expression node.
        var syntax = Unwrap(argument.Value).Syntax;
        IEnumerable<ExpressionSyntax>? elements = syntax switch
        {
            ArrayCreationExpressionSyntax { Initializer: { } initializer } => initializer.Expressions,
            ImplicitArrayCreationExpressionSyntax array => array.Initializer.Expressions,
            CollectionExpressionSyntax collection => ElementsOf(collection),
            _ => null,
        };
        if (elements is null)
        {
            return "?";
        }

        var semanticModel = argument.SemanticModel;
        var verbs = new List<string>();
        foreach (var element in elements)
        {
            if (semanticModel?.GetConstantValue(element) is { HasValue: true, Value: string text })
            {
                verbs.Add(text.ToUpperInvariant());
            }
            else if (element is MemberAccessExpressionSyntax access)
            {
                // HttpMethods.Get is a static readonly field, not a constant.
                verbs.Add(access.Name.Identifier.ValueText.ToUpperInvariant());
            }
            else
            {
                verbs.Add("?");
            }
        }

        return verbs.Count == 0 ? "?" : string.Join(",", verbs);
    }

    private static IEnumerable<ExpressionSyntax> ElementsOf(CollectionExpressionSyntax collection)
    {
        foreach (var element in collection.Elements)
        {
            if (element is ExpressionElementSyntax expression)
            {
                yield return expression.Expression;
            }
        }
    }

    internal static IOperation Unwrap(IOperation operation)
    {
        while (true)
        {
            switch (operation)
            {
                case IConversionOperation conversion:
                    operation = conversion.Operand;
                    break;
                case IDelegateCreationOperation creation:
                    operation = creation.Target;
                    break;
                case IParenthesizedOperation parenthesized:
                    operation = parenthesized.Operand;
                    break;
                default:
                    return operation;
            }
        }
    }
}
