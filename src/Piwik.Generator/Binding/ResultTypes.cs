using System.Collections.Generic;
using System.Linq;
using Microsoft.CodeAnalysis;

namespace Piwik.Generator.Binding;

/// <summary>
/// What <c>{result}</c> reads on a handler, from its declared return type: through <c>Task&lt;T&gt;</c> and
/// <c>ValueTask&lt;T&gt;</c>, the value a typed result carries (<c>Ok&lt;T&gt;</c>, <c>Created&lt;T&gt;</c>,
/// <c>CreatedAtRoute&lt;T&gt;</c>, <c>Accepted&lt;T&gt;</c>, <c>JsonHttpResult&lt;T&gt;</c>: any
/// <c>IValueHttpResult&lt;T&gt;</c>), the one value type the arms of a <c>Results&lt;…&gt;</c> carry, or the returned
/// object itself (which ASP.NET Core writes as JSON). The runtime unwraps the same way (<c>TemplateValues.Result</c>).
/// </summary>
internal static class ResultTypes
{
    /// <summary>
    /// The type of the value <c>{result}</c> reads, or null with <paramref name="reason"/> saying why there is none
    /// (null reason: a type that does not compile, which the compiler reports).
    /// </summary>
    public static ITypeSymbol? ValueOf(ITypeSymbol returnType, Compilation compilation, out string? reason)
    {
        reason = null;
        var type = Awaited(returnType, out var awaitedName);
        if (type is null)
        {
            reason = $"the handler returns {awaitedName ?? Display(returnType)}, which carries no value";
            return null;
        }

        if (type.TypeKind == TypeKind.Error)
        {
            return null;
        }

        ITypeSymbol? value;
        if (IsNested(type))
        {
            var carried = ((INamedTypeSymbol)type).TypeArguments
                .Select(CarriedValue)
                .Where(static t => t is not null)
                .Distinct<ITypeSymbol?>(SymbolEqualityComparer.Default)
                .ToList();
            switch (carried.Count)
            {
                case 0:
                    reason = $"no arm of {Display(type)} carries a value (return Ok<T>, Created<T>, Accepted<T>... for one)";
                    return null;
                case > 1:
                    reason = $"the arms of {Display(type)} carry different values ({string.Join(", ", carried.Select(static t => Display(t!)))}); name a member of one type";
                    return null;
            }

            value = carried[0]!;
        }
        else if (CarriedValue(type) is { } single)
        {
            value = single;
        }
        else if (IsHttpResult(type))
        {
            reason = $"{Display(type)} carries no value the compiler can see (declare a typed result such as Ok<T> or Results<Created<T>, NotFound>)";
            return null;
        }
        else
        {
            value = type;
        }

        if (!PiwikGenerator.Parser.IsNameable(value, compilation))
        {
            reason = $"its value's type {Display(value)} cannot be named by generated code (make it accessible, not private, file-local or anonymous)";
            return null;
        }

        return value;
    }

    /// <summary>
    /// The declared result as written (<c>RedirectHttpResult</c>, <c>Results&lt;RedirectHttpResult, NotFound&gt;</c>) when
    /// every answer it can give is a redirect or a 4xx, at least one a redirect: a handler that never answers 2xx.
    /// Null for anything that may answer 2xx, or whose status the compiler cannot see (<c>IResult</c>).
    /// </summary>
    public static string? OnlyRedirectsOrFailures(ITypeSymbol returnType)
    {
        if (Awaited(returnType, out _) is not INamedTypeSymbol type || type.TypeKind == TypeKind.Error)
        {
            return null;
        }

        var arms = IsNested(type) ? type.TypeArguments.ToList() : new List<ITypeSymbol> { type };
        return arms.Any(IsRedirect) && arms.All(a => IsRedirect(a) || IsClientError(a)) ? Display(type) : null;
    }

    private static bool IsRedirect(ITypeSymbol type) =>
        type is INamedTypeSymbol { Name: "RedirectHttpResult" or "RedirectToRouteHttpResult" } && IsHttpResults(type.ContainingNamespace);

    /// <summary>The typed results that always answer 4xx.</summary>
    private static bool IsClientError(ITypeSymbol type) =>
        type is INamedTypeSymbol { Name: "NotFound" or "BadRequest" or "UnauthorizedHttpResult" or "Conflict" or "UnprocessableEntity" or "ForbidHttpResult" or "ValidationProblem" }
        && IsHttpResults(type.ContainingNamespace);

    private static bool IsHttpResults(INamespaceSymbol? ns) => ns is { Name: "HttpResults" } && IsAspNetCoreHttp(ns.ContainingNamespace);

    /// <summary>What a <c>Task&lt;T&gt;</c> or <c>ValueTask&lt;T&gt;</c> gives; null for <c>void</c>, <c>Task</c> and <c>ValueTask</c> (named in <paramref name="name"/>).</summary>
    private static ITypeSymbol? Awaited(ITypeSymbol type, out string? name)
    {
        name = null;
        if (type.SpecialType == SpecialType.System_Void)
        {
            name = "void";
            return null;
        }

        if (type is INamedTypeSymbol { ContainingNamespace: { Name: "Tasks", ContainingNamespace: { Name: "Threading", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } } } task
            && task.Name is "Task" or "ValueTask")
        {
            if (task.Arity == 0)
            {
                name = task.Name;
                return null;
            }

            return task.TypeArguments[0];
        }

        return type;
    }

    /// <summary>The <c>T</c> of <c>IValueHttpResult&lt;T&gt;</c> the type is or implements, or null.</summary>
    private static ITypeSymbol? CarriedValue(ITypeSymbol type)
    {
        foreach (var candidate in Self(type).Concat(type.AllInterfaces))
        {
            if (candidate is { Name: "IValueHttpResult", Arity: 1 } && IsAspNetCoreHttp(candidate.ContainingNamespace))
            {
                return candidate.TypeArguments[0];
            }
        }

        return null;
    }

    /// <summary>Whether the type is a <c>Results&lt;…&gt;</c> union (implements <c>INestedHttpResult</c>) with type arguments.</summary>
    private static bool IsNested(ITypeSymbol type) =>
        type is INamedTypeSymbol { Arity: > 0 } && Self(type).Concat(type.AllInterfaces).Any(static i => i is { Name: "INestedHttpResult", Arity: 0 } && IsAspNetCoreHttp(i.ContainingNamespace));

    /// <summary>Whether the type is or implements <c>IResult</c>: written by its own code, not as a JSON value.</summary>
    private static bool IsHttpResult(ITypeSymbol type) =>
        Self(type).Concat(type.AllInterfaces).Any(static i => i is { Name: "IResult", Arity: 0 } && IsAspNetCoreHttp(i.ContainingNamespace));

    private static IEnumerable<INamedTypeSymbol> Self(ITypeSymbol type) =>
        type is INamedTypeSymbol { TypeKind: TypeKind.Interface } named ? new[] { named } : Enumerable.Empty<INamedTypeSymbol>();

    private static bool IsAspNetCoreHttp(INamespaceSymbol? ns) =>
        ns is { Name: "Http", ContainingNamespace: { Name: "AspNetCore", ContainingNamespace: { Name: "Microsoft", ContainingNamespace.IsGlobalNamespace: true } } };

    private static string Display(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
}
