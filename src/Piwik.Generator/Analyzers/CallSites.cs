using System.Collections.Concurrent;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Operations;

namespace Piwik.Generator.Analyzers;

/// <summary>
/// The arguments a method of the compilation is given for one of its parameters, at every place it is called: how the
/// analyzer follows a builder into the method that fills it (<c>app.MapGroup("/files").MapFiles()</c>, then
/// <c>MapFiles(this RouteGroupBuilder files)</c>). Only when every caller can be seen: a method that code outside the
/// compilation may call (a library's public method), one called through an interface or a base class, or one used as
/// a delegate (<c>Action&lt;IEndpointRouteBuilder&gt; map = MapFiles</c>) has no known arguments.
/// </summary>
internal sealed class CallSites
{
    private readonly Compilation _compilation;
    private readonly bool _isApplication;

    // Per method name, the simple names in the compilation's source that read like it; per file, the identifiers it
    // uses, read once, so that a name is looked for only in the files that use it (an app with hundreds of modules
    // walks each file's syntax once per module it names, not once per module).
    private readonly ConcurrentDictionary<string, ImmutableArray<SimpleNameSyntax>> _names = new();
    private readonly ConcurrentDictionary<SyntaxTree, HashSet<string>> _identifiers = new();
    private readonly ConcurrentDictionary<SyntaxTree, SemanticModel> _models = new();
    private readonly ConcurrentDictionary<IParameterSymbol, ImmutableArray<IOperation>> _arguments = new(SymbolEqualityComparer.Default);

    public CallSites(Compilation compilation)
    {
        _compilation = compilation;
        _isApplication = compilation.Options.OutputKind is OutputKind.ConsoleApplication or OutputKind.WindowsApplication or OutputKind.WindowsRuntimeApplication;
    }

    /// <summary>
    /// The argument given for <paramref name="parameter"/> at each call of its method, or default when a caller may not
    /// be seen (see the class) or the method is never called here. Read once per parameter.
    /// </summary>
    public ImmutableArray<IOperation> ArgumentsFor(IParameterSymbol parameter) => _arguments.GetOrAdd(parameter, FindArguments);

    private ImmutableArray<IOperation> FindArguments(IParameterSymbol parameter)
    {
        if (parameter.ContainingSymbol is not IMethodSymbol method || !HasOnlyVisibleCallers(method))
        {
            return default;
        }

        var definition = method.OriginalDefinition;
        var arguments = ImmutableArray.CreateBuilder<IOperation>();
        foreach (var name in NamesLike(definition.Name))
        {
            var model = ModelOf(name.SyntaxTree);
            var symbolInfo = model.GetSymbolInfo(name);
            var symbol = symbolInfo.Symbol ?? (symbolInfo.CandidateSymbols.Length == 1 ? symbolInfo.CandidateSymbols[0] : null);
            if (symbol is not IMethodSymbol target || !SymbolEqualityComparer.Default.Equals((target.ReducedFrom ?? target).OriginalDefinition, definition))
            {
                continue; // another method of the same name
            }

            if (InvocationOf(name) is not { } invocation
                || model.GetOperation(invocation) is not IInvocationOperation call
                || call.Arguments.FirstOrDefault(a => a.Parameter?.Ordinal == parameter.Ordinal && a.ArgumentKind != ArgumentKind.DefaultValue) is not { } argument)
            {
                return default; // used as a delegate (or in nameof), or not given the builder: the callers are not all seen
            }

            arguments.Add(argument.Value);
        }

        return arguments.Count == 0 ? default : arguments.ToImmutable();
    }

    /// <summary>
    /// A method whose every call is in this compilation and names it: not callable from outside (an application's
    /// methods; a library's private ones), not reached through an interface or a base class.
    /// </summary>
    private bool HasOnlyVisibleCallers(IMethodSymbol method)
    {
        if (method.MethodKind is not (MethodKind.Ordinary or MethodKind.LocalFunction)
            || method.IsVirtual || method.IsAbstract || method.IsOverride
            || !method.ExplicitInterfaceImplementations.IsEmpty
            || ImplementsAnInterface(method))
        {
            return false;
        }

        if (_isApplication || method.MethodKind == MethodKind.LocalFunction)
        {
            return true;
        }

        for (ISymbol? symbol = method; symbol is not null and not INamespaceSymbol; symbol = symbol.ContainingSymbol)
        {
            if (symbol.DeclaredAccessibility == Accessibility.Private)
            {
                return true;
            }
        }

        return false;
    }

    private static bool ImplementsAnInterface(IMethodSymbol method)
    {
        // Static methods too: a static abstract interface member is called through a type parameter.
        if (method.ContainingType is not { } type)
        {
            return false;
        }

        foreach (var @interface in type.AllInterfaces)
        {
            foreach (var member in @interface.GetMembers(method.Name))
            {
                if (SymbolEqualityComparer.Default.Equals(type.FindImplementationForInterfaceMember(member), method))
                {
                    return true;
                }
            }
        }

        return false;
    }

    /// <summary>The invocation whose callee is <paramref name="name"/> (<c>M(...)</c>, <c>x.M(...)</c>, <c>x?.M(...)</c>); null for any other use.</summary>
    private static InvocationExpressionSyntax? InvocationOf(SimpleNameSyntax name)
    {
        ExpressionSyntax callee = name;
        if (name.Parent is MemberAccessExpressionSyntax access && access.Name == name)
        {
            callee = access;
        }
        else if (name.Parent is MemberBindingExpressionSyntax binding && binding.Name == name)
        {
            callee = binding;
        }

        return callee.Parent is InvocationExpressionSyntax invocation && invocation.Expression == callee ? invocation : null;
    }

    private ImmutableArray<SimpleNameSyntax> NamesLike(string name) => _names.GetOrAdd(name, FindNames);

    private ImmutableArray<SimpleNameSyntax> FindNames(string name)
    {
        var names = ImmutableArray.CreateBuilder<SimpleNameSyntax>();
        foreach (var tree in _compilation.SyntaxTrees)
        {
            if (!_identifiers.GetOrAdd(tree, IdentifiersOf).Contains(name))
            {
                continue;
            }

            foreach (var node in tree.GetRoot().DescendantNodes())
            {
                if (node is SimpleNameSyntax simple && simple.Identifier.ValueText == name)
                {
                    names.Add(simple);
                }
            }
        }

        return names.ToImmutable();
    }

    private static HashSet<string> IdentifiersOf(SyntaxTree tree)
    {
        var identifiers = new HashSet<string>(System.StringComparer.Ordinal);
        foreach (var token in tree.GetRoot().DescendantTokens())
        {
            if (token.IsKind(SyntaxKind.IdentifierToken))
            {
                identifiers.Add(token.ValueText);
            }
        }

        return identifiers;
    }

#pragma warning disable RS1030 // The callers of a method are in other trees than the operation being analyzed; one model per tree, kept for the compilation.
    private SemanticModel ModelOf(SyntaxTree tree) => _models.GetOrAdd(tree, t => _compilation.GetSemanticModel(t));
#pragma warning restore RS1030
}
