using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace Piwik.Generator;

/// <summary>
/// Finds <c>[TrackAs]</c> handlers (lambdas, methods, local functions) and emits, for each, a
/// <c>TrackedHandler</c> registration: its constant category and actions and typed accessors for its
/// <c>Name</c>/<c>Value</c> templates. <c>app.UsePiwikTracking()</c> matches the registrations to endpoints at run time.
/// </summary>
/// <remarks>
/// No interceptors: the Request Delegate Generator already intercepts every <c>Map*</c> call, and a second
/// interceptor fails the build (CS9153). The generator reports no diagnostics; a template it cannot bind simply gets
/// no accessor, and the Piwik analyzer reports why.
/// </remarks>
[Generator(LanguageNames.CSharp)]
public sealed partial class PiwikGenerator : IIncrementalGenerator
{
    internal const string TrackAsAttributeName = "Piwik.TrackAsAttribute";

    /// <inheritdoc/>
    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var handlers = context.SyntaxProvider
            .ForAttributeWithMetadataName(
                TrackAsAttributeName,
                static (node, _) => node is ParenthesizedLambdaExpressionSyntax or LocalFunctionStatementSyntax or MethodDeclarationSyntax,
                static (context, cancellationToken) => Parser.Parse(context, cancellationToken))
            .WithTrackingName(TrackingNames.Handlers)
            .Where(static handler => handler is not null)
            .Select(static (handler, _) => handler!)
            .WithTrackingName(TrackingNames.ValidHandlers);

        var all = handlers.Collect().WithTrackingName(TrackingNames.AllHandlers);

        context.RegisterSourceOutput(all, static (context, handlers) =>
        {
            if (handlers.IsDefaultOrEmpty)
            {
                return;
            }

            context.AddSource(Emitter.HintName, Emitter.Emit(handlers));
        });
    }
}
