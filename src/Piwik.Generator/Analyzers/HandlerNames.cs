using Microsoft.CodeAnalysis;

namespace Piwik.Generator.Analyzers;

/// <summary>How diagnostics and the tracking plan name a handler: <c>lambda</c>, a local function's name, or <c>Type.Method</c>.</summary>
internal static class HandlerNames
{
    public static string Of(IMethodSymbol method) => method.MethodKind switch
    {
        MethodKind.AnonymousFunction => "lambda",
        MethodKind.LocalFunction => method.Name,
        _ => method.ContainingType is null ? method.Name : method.ContainingType.Name + "." + method.Name,
    };
}
