using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Operations;
using Piwik.Shared;

namespace Piwik.Generator.Analyzers;

/// <summary>What the analyzer knows about the builder a <c>Map*</c> call is made on.</summary>
/// <param name="Prefix">The group prefixes the analyzer can see, combined (empty on the application itself).</param>
/// <param name="Complete">
/// Whether <paramref name="Prefix"/> is the whole prefix: false when the outermost builder comes from outside the method
/// (an extension method's <c>this IEndpointRouteBuilder</c>, a field) or a prefix is not a constant, so that an unseen
/// outer group may add to it.
/// </param>
/// <param name="Excluded">Whether the builder, or a group it is in, is excluded with <c>ExcludeFromTracking()</c>.</param>
internal readonly record struct GroupInfo(string Prefix, bool Complete, bool Excluded)
{
    /// <summary>A builder the analyzer knows nothing about.</summary>
    public static GroupInfo Unknown => new(string.Empty, Complete: false, Excluded: false);
}

/// <summary>
/// Data flow for endpoint builders and handlers: follows <c>MapGroup</c> chains, locals assigned from them, and
/// convention calls made on them anywhere in the method (conventions apply whatever their order, so
/// <c>group.ExcludeFromTracking()</c> after the <c>Map*</c> calls counts too). A builder that is a parameter is followed
/// to the arguments its method is given (<see cref="CallSites"/>): when every call gives the same prefix, the routes
/// are whole. Anything else from outside the method (a field, a method some callers of which cannot be seen, callers
/// that disagree) is unknown: its prefix is not complete and it is excluded only if every caller's builder is.
/// </summary>
internal sealed class BuilderFlow
{
    private const int MaxDepth = 8;

    // How many methods a builder is followed out of (a group made in Program.cs, filled in MapApi, whose groups are
    // filled in MapUsers: two).
    private const int MaxHops = 4;
    private readonly KnownSymbols _known;
    private readonly CallSites? _callSites;

    // One index of locals per method body, built on first use: a Program.cs with hundreds of Map* calls on the same
    // locals would otherwise walk the whole body once per call. Weak keys: bodies go away with their analysis pass.
    private readonly ConditionalWeakTable<IOperation, LocalIndex> _indexes = new();

    /// <param name="known">The compilation's known types.</param>
    /// <param name="compilation">The compilation whose callers are read to follow a builder parameter; null to leave parameters unknown.</param>
    public BuilderFlow(KnownSymbols known, Compilation? compilation)
    {
        _known = known;
        _callSites = compilation is null ? null : new CallSites(compilation);
    }

    /// <summary>Describes the builder a <c>Map*</c> or <c>MapGroup</c> call receives.</summary>
    public GroupInfo Describe(IOperation builder) => Describe(builder, 0, 0);

    /// <summary>
    /// Whether convention calls on the endpoint (<c>app.MapGet(...).ExcludeFromTracking()</c>) exclude it.
    /// <c>WithMetadata(new TrackAsAttribute(...))</c> does not track an endpoint (the runtime reads <c>[TrackAs]</c> from
    /// the handler), so it is not looked for.
    /// </summary>
    public bool IsEndpointExcluded(IInvocationOperation map) => ConventionCalls(map, 0).Any(IsExclusion);

    /// <summary>The handler method behind a handler argument, and whether it is a lambda.</summary>
    public (IMethodSymbol? Handler, bool IsLambda) ResolveHandler(IOperation argument) => ResolveHandler(argument, 0);

    private (IMethodSymbol? Handler, bool IsLambda) ResolveHandler(IOperation argument, int depth)
    {
        var value = EndpointCall.Unwrap(argument);
        switch (value)
        {
            case IAnonymousFunctionOperation lambda:
                return (lambda.Symbol, true);
            case IMethodReferenceOperation reference:
                return (reference.Method, false);
            case ILocalReferenceOperation local when depth < MaxDepth:
                // var handler = [TrackAs("x")] () => ...; app.MapGet("/", handler);
                var sources = LocalSources(local);
                return sources.Count == 1 ? ResolveHandler(sources[0], depth + 1) : (null, false);
            default:
                return (null, false);
        }
    }

    private GroupInfo Describe(IOperation builder, int depth, int hops)
    {
        var value = EndpointCall.Unwrap(builder);
        if (depth > MaxDepth)
        {
            return GroupInfo.Unknown;
        }

        switch (value)
        {
            case IInvocationOperation call when IsMapGroup(call):
            {
                var parent = Describe(call.Arguments[0].Value, depth + 1, hops);
                var prefixArgument = call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == 1);
                var excluded = parent.Excluded || ConventionCalls(call, 0).Any(IsExclusion);

                // A prefix that is not a constant hides everything outside it: what is visible starts after it.
                return prefixArgument?.Value.ConstantValue is { HasValue: true, Value: string text }
                    ? new GroupInfo(RouteText.Combine(parent.Prefix, text), parent.Complete, excluded)
                    : new GroupInfo(string.Empty, Complete: false, excluded);
            }

            case IInvocationOperation call when ReturnsReceiver(call):
                // group.WithTags(...).RequireAuthorization(): the same builder; its conventions are found from MapGroup.
                return Describe(call.Arguments[0].Value, depth + 1, hops);

            case IInvocationOperation call when IsVersionSet(call):
                // app.NewVersionedApi("Orders") (Asp.Versioning): a version set over the same routes, no prefix of its own.
                return Describe(call.Arguments[0].Value, depth + 1, hops);

            case ILocalReferenceOperation local:
            {
                var sources = LocalSources(local);
                if (sources.Count == 0)
                {
                    return GroupInfo.Unknown;
                }

                return Merge(sources.Select(source => Describe(source, depth + 1, hops)));
            }

            case IParameterReferenceOperation { Parameter: var parameter } when !IsApplication(value):
            {
                // A builder handed in by the method's callers: what each of them gives it, when all of them can be seen.
                var arguments = hops < MaxHops && _callSites is not null ? _callSites.ArgumentsFor(parameter) : default;
                return arguments.IsDefault ? GroupInfo.Unknown : Merge(arguments.Select(argument => Describe(argument, 0, hops + 1)));
            }

            default:
                // The application itself has no prefix, nor has the builder a UseEndpoints callback is given (a Startup
                // class); any other builder from outside the method may be a group.
                return IsApplication(value) ? new GroupInfo(string.Empty, Complete: true, Excluded: false) : GroupInfo.Unknown;
        }
    }

    private bool IsApplication(IOperation value) =>
        (_known.WebApplication is not null && InheritsFrom(value.Type, _known.WebApplication)) || IsUseEndpointsBuilder(value);

    /// <summary>
    /// One builder that may be any of several (a local assigned twice, a parameter given by several callers): what they
    /// all are when they agree, else unknown; excluded only when all of them are.
    /// </summary>
    private static GroupInfo Merge(IEnumerable<GroupInfo> candidates)
    {
        var described = candidates.ToList();
        var first = described[0];
        var excludedEverywhere = described.All(d => d.Excluded);
        return described.All(d => d == first with { Excluded = d.Excluded })
            ? first with { Excluded = excludedEverywhere }
            : GroupInfo.Unknown with { Excluded = excludedEverywhere };
    }

    /// <summary>
    /// The calls made on a builder value: chained extension calls that return their receiver, and, when the value is
    /// stored in a local, the calls made on every reference to that local in the method.
    /// </summary>
    private IEnumerable<IInvocationOperation> ConventionCalls(IOperation value, int depth)
    {
        if (depth > MaxDepth)
        {
            yield break;
        }

        var current = value;
        while (true)
        {
            var parent = current.Parent;
            while (parent is IConversionOperation or IParenthesizedOperation)
            {
                current = parent;
                parent = parent.Parent;
            }

            switch (parent)
            {
                case IArgumentOperation { Parameter.Ordinal: 0, Parent: IInvocationOperation call } when call.TargetMethod.IsExtensionMethod:
                    yield return call;
                    if (ReturnsReceiver(call))
                    {
                        current = call;
                        continue;
                    }

                    yield break;

                case IInvocationOperation call when call.Instance == current:
                    yield return call;
                    yield break;

                case IVariableInitializerOperation { Parent: IVariableDeclaratorOperation declarator }:
                    foreach (var call in CallsOnLocal(declarator.Symbol, current, depth))
                    {
                        yield return call;
                    }

                    yield break;

                case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment when assignment.Value == current:
                    foreach (var call in CallsOnLocal(target.Local, current, depth))
                    {
                        yield return call;
                    }

                    yield break;

                default:
                    yield break;
            }
        }
    }

    private IEnumerable<IInvocationOperation> CallsOnLocal(ILocalSymbol local, IOperation anywhere, int depth)
    {
        foreach (var reference in IndexOf(anywhere).ReferencesTo(local))
        {
            foreach (var call in ConventionCalls(reference, depth + 1))
            {
                yield return call;
            }
        }
    }

    /// <summary>The values a local is given in its method: its initializer and plain assignments.</summary>
    private List<IOperation> LocalSources(ILocalReferenceOperation reference) => IndexOf(reference).SourcesOf(reference.Local);

    private LocalIndex IndexOf(IOperation operation) => _indexes.GetValue(Root(operation), static root => new LocalIndex(root));

    private static IOperation Root(IOperation operation)
    {
        while (operation.Parent is not null)
        {
            operation = operation.Parent;
        }

        return operation;
    }

    private bool IsMapGroup(IInvocationOperation call) =>
        call.TargetMethod.Name == "MapGroup"
        && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, _known.EndpointRouteBuilderExtensions);

    /// <summary>
    /// Asp.Versioning's <c>NewVersionedApi</c>: an <c>IEndpointRouteBuilder</c> extension that returns a builder of the
    /// same routes (groups made from it are groups of the application), known by its name and namespace, as the
    /// analyzer cannot reference the package.
    /// </summary>
    private static bool IsVersionSet(IInvocationOperation call) =>
        call.TargetMethod is { Name: "NewVersionedApi", IsExtensionMethod: true }
        && call.TargetMethod.ContainingNamespace?.ToDisplayString() == "Microsoft.AspNetCore.Builder"
        && call.TargetMethod.ReturnType.Name == "IVersionedEndpointRouteBuilder";

    /// <summary>
    /// The parameter of a lambda passed to <c>UseEndpoints</c> (<c>app.UseEndpoints(endpoints =&gt; ...)</c>): the route
    /// builder of the pipeline it is called on, with no prefix of its own.
    /// </summary>
    private static bool IsUseEndpointsBuilder(IOperation value)
    {
        if (value is not IParameterReferenceOperation { Parameter.ContainingSymbol: IMethodSymbol { MethodKind: MethodKind.AnonymousFunction } lambda })
        {
            return false;
        }

        for (var operation = value.Parent; operation is not null; operation = operation.Parent)
        {
            if (operation is IAnonymousFunctionOperation function && SymbolEqualityComparer.Default.Equals(function.Symbol, lambda))
            {
                var parent = function.Parent;
                while (parent is IDelegateCreationOperation or IConversionOperation)
                {
                    parent = parent.Parent;
                }

                return parent is IArgumentOperation { Parent: IInvocationOperation call }
                    && call.TargetMethod.Name == "UseEndpoints"
                    && call.TargetMethod.ContainingType?.Name == "EndpointRoutingApplicationBuilderExtensions";
            }
        }

        return false;
    }

    /// <summary>A convention method (<c>TBuilder M&lt;TBuilder&gt;(this TBuilder)</c>) hands back the builder it was given.</summary>
    private static bool ReturnsReceiver(IInvocationOperation call)
    {
        var method = call.TargetMethod.OriginalDefinition;
        return method.IsExtensionMethod
            && method.Parameters.Length > 0
            && SymbolEqualityComparer.Default.Equals(method.ReturnType, method.Parameters[0].Type);
    }

    private bool IsExclusion(IInvocationOperation call) =>
        (call.TargetMethod.Name == "ExcludeFromTracking"
            && SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, _known.ExclusionExtensions))
        || CreatesMetadata(call, _known.DoNotTrack);

    /// <summary>Whether the call is <c>WithMetadata(..., new T(), ...)</c>.</summary>
    private bool CreatesMetadata(IInvocationOperation call, INamedTypeSymbol attributeType)
    {
        if (call.TargetMethod.Name != "WithMetadata"
            || !SymbolEqualityComparer.Default.Equals(call.TargetMethod.ContainingType, _known.ConventionBuilderExtensions))
        {
            return false;
        }

        foreach (var argument in call.Arguments)
        {
            if (argument.Parameter?.Ordinal == 0)
            {
                continue;
            }

            foreach (var operation in argument.Value.DescendantsAndSelf())
            {
                if (operation is IObjectCreationOperation creation && SymbolEqualityComparer.Default.Equals(creation.Type, attributeType))
                {
                    return true;
                }
            }
        }

        return false;
    }

    private static bool InheritsFrom(ITypeSymbol? type, INamedTypeSymbol baseType)
    {
        for (var current = type; current is not null; current = current.BaseType)
        {
            if (SymbolEqualityComparer.Default.Equals(current, baseType))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Where each local of a method body is written and read.</summary>
    private sealed class LocalIndex
    {
        private readonly Dictionary<ILocalSymbol, List<IOperation>> _sources = new(SymbolEqualityComparer.Default);
        private readonly Dictionary<ILocalSymbol, List<ILocalReferenceOperation>> _references = new(SymbolEqualityComparer.Default);

        public LocalIndex(IOperation root)
        {
            foreach (var operation in root.Descendants())
            {
                switch (operation)
                {
                    case IVariableDeclaratorOperation { Initializer: { } initializer } declarator:
                        Add(_sources, declarator.Symbol, initializer.Value);
                        break;
                    case ISimpleAssignmentOperation { Target: ILocalReferenceOperation target } assignment:
                        Add(_sources, target.Local, assignment.Value);
                        break;
                }

                if (operation is ILocalReferenceOperation { IsDeclaration: false } reference)
                {
                    Add(_references, reference.Local, reference);
                }
            }
        }

        public List<IOperation> SourcesOf(ILocalSymbol local) => _sources.TryGetValue(local, out var list) ? list : new List<IOperation>();

        public IEnumerable<ILocalReferenceOperation> ReferencesTo(ILocalSymbol local) =>
            _references.TryGetValue(local, out var list) ? list : Enumerable.Empty<ILocalReferenceOperation>();

        private static void Add<T>(Dictionary<ILocalSymbol, List<T>> map, ILocalSymbol local, T item)
        {
            if (!map.TryGetValue(local, out var list))
            {
                map[local] = list = new List<T>();
            }

            list.Add(item);
        }
    }
}
