using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Piwik.Shared;

namespace Piwik.Generator.Binding;

/// <summary>Why a placeholder does not bind to the handler.</summary>
internal enum PlaceholderProblem
{
    /// <summary>Bound.</summary>
    None,

    /// <summary>The root is not a handler parameter: only a route value can hold it (checked against the route).</summary>
    NotAParameter,

    /// <summary>A name after the root is not an accessible instance member of the type before it (PIWIK003).</summary>
    MemberNotFound,

    /// <summary>The placeholder resolves to a type that is not a scalar (PIWIK012).</summary>
    NotScalar,

    /// <summary>A type on the path does not compile: the compiler reports it; nothing to add.</summary>
    ErrorType,

    /// <summary><c>{result…}</c> on a handler whose return type carries no value templates can read (PIWIK020); <see cref="BoundPlaceholder.Reason"/> says why.</summary>
    NoResultValue,
}

/// <summary>One placeholder bound to a handler: the shared <see cref="PlaceholderBinding"/>, or why there is none.</summary>
internal sealed class BoundPlaceholder
{
    public BoundPlaceholder(TemplateSegment placeholder, PlaceholderProblem problem)
    {
        Placeholder = placeholder;
        Problem = problem;
    }

    public TemplateSegment Placeholder { get; }

    public PlaceholderProblem Problem { get; }

    /// <summary>The binding, when <see cref="Problem"/> is <see cref="PlaceholderProblem.None"/>.</summary>
    public PlaceholderBinding? Binding { get; init; }

    /// <summary>The final type (bound, or not a scalar), or the type that lacks <see cref="MissingMember"/>.</summary>
    public ITypeSymbol? Type { get; init; }

    /// <summary>The member that was not found.</summary>
    public string? MissingMember { get; init; }

    /// <summary>The C# expression that reads a bound argument or member inside a generated accessor (null for a route value).</summary>
    public string? Expression { get; init; }

    /// <summary>Whether <see cref="Expression"/> may be null (a reference type, a nullable value type, or lifted by <c>?.</c>).</summary>
    public bool MaybeNull { get; init; }

    /// <summary>For <see cref="PlaceholderProblem.NoResultValue"/>: why the handler's result has no value to read.</summary>
    public string? Reason { get; init; }

    /// <summary>For <see cref="PlaceholderProblem.NotScalar"/>: the one scalar member path that is the obvious fix (<c>request.Plan.Name</c>), or null.</summary>
    public string? Suggestion { get; init; }
}

/// <summary>
/// The one binder of template placeholders, used by the generator (to emit accessors and the table's bindings) and by
/// the analyzer (to report what does not bind): a handler parameter by exact name first (its members walked, null-safe),
/// else the handler's result for <c>result</c> (<see cref="ResultTypes"/>), else a route value (which has no members).
/// A placeholder must end on a scalar (<see cref="ScalarKind"/>).
/// </summary>
internal static class TemplateBinder
{
    /// <summary>Binds one placeholder to the handler's parameters (or its result).</summary>
    /// <param name="placeholder">The placeholder.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="compilation">The compilation.</param>
    /// <param name="scalar">
    /// Whether the path must end on a scalar (every template but <c>Items</c>). When false, a bound path has
    /// <see cref="BoundPlaceholder.Type"/> and <see cref="BoundPlaceholder.Expression"/> but no binding.
    /// </param>
    public static BoundPlaceholder Bind(TemplateSegment placeholder, IMethodSymbol handler, Compilation compilation, bool scalar = true)
    {
        var path = placeholder.Path;
        var root = Unescape(path[0]);
        var index = -1;
        for (var i = 0; i < handler.Parameters.Length; i++)
        {
            if (handler.Parameters[i].Name == root)
            {
                index = i;
                break;
            }
        }

        if (index < 0 && root == PlaceholderBinding.ResultRoot)
        {
            return BindResult(placeholder, handler, compilation, scalar);
        }

        if (index < 0)
        {
            return new BoundPlaceholder(placeholder, PlaceholderProblem.NotAParameter);
        }

        var parameter = handler.Parameters[index];
        var position = index.ToString(CultureInfo.InvariantCulture);

        // A reference type is read through Arguments (an interface call): GetArgument<T> is a generic virtual method,
        // a runtime lookup per call (ArgumentReadBenchmarks: 15.8 ns against 1.0); a value type keeps GetArgument<T>,
        // which Arguments would box.
        var expression = parameter.Type.IsReferenceType
            ? "((" + TypeName(parameter.Type) + "?)context.Arguments[" + position + "])"
            : "context.GetArgument<" + TypeName(parameter.Type) + ">(" + position + ")";
        return Walk(placeholder, parameter.Type, expression, lifted: false, scalar, compilation, (kind, memberPath) => path.Length == 1
            ? new PlaceholderBinding(BindingSource.Parameter, root, index, memberPath, kind, BindsFromRoute: Binds(parameter, "IFromRouteMetadata"), BindsFromQuery: Binds(parameter, "IFromQueryMetadata"))
            : new PlaceholderBinding(BindingSource.Member, root, index, memberPath, kind, BindsFromRoute: false));
    }

    /// <summary>
    /// <c>{result}</c> or <c>{result.Member}</c>: the value the handler's result carries (<see cref="ResultTypes.ValueOf"/>),
    /// read through <c>TemplateValues.Result</c> from what the endpoint filter kept. Null when the handler did not return
    /// it (another <c>Results&lt;…&gt;</c> arm), so always null-safe.
    /// </summary>
    private static BoundPlaceholder BindResult(TemplateSegment placeholder, IMethodSymbol handler, Compilation compilation, bool scalar)
    {
        var value = ResultTypes.ValueOf(handler.ReturnType, compilation, out var reason);
        if (value is null)
        {
            return new BoundPlaceholder(placeholder, reason is null ? PlaceholderProblem.ErrorType : PlaceholderProblem.NoResultValue)
            {
                Type = handler.ReturnType,
                Reason = reason,
            };
        }

        var reader = value.IsValueType ? "ResultValue" : "Result";
        var expression = "global::Piwik.Infrastructure.TemplateValues." + reader + "<" + TypeName(value) + ">(context)";
        return Walk(placeholder, value, expression, lifted: true, scalar, compilation, static (kind, memberPath) => PlaceholderBinding.Result(memberPath, kind));
    }

    /// <summary>Walks the members after the root (null-safe) and checks that the path ends on a scalar.</summary>
    private static BoundPlaceholder Walk(
        TemplateSegment placeholder, ITypeSymbol type, string expression, bool lifted, bool scalar, Compilation compilation, Func<ScalarKind, string, PlaceholderBinding> binding)
    {
        var path = placeholder.Path;
        for (var i = 1; i < path.Length; i++)
        {
            if (type.TypeKind == TypeKind.Error)
            {
                return new BoundPlaceholder(placeholder, PlaceholderProblem.ErrorType);
            }

            var memberName = Unescape(path[i]);
            var member = FindMember(type, memberName, compilation);
            if (member is null)
            {
                return new BoundPlaceholder(placeholder, PlaceholderProblem.MemberNotFound) { Type = type, MissingMember = memberName };
            }

            // Null-safe all the way: a null body or nested object gives no value, never an exception.
            var nullable = (i == 1 && lifted) || IsNullable(type);
            expression += (nullable ? "?." : ".") + EscapeIdentifier(member.Name);
            lifted |= nullable;
            type = MemberType(member);
        }

        if (type.TypeKind == TypeKind.Error)
        {
            return new BoundPlaceholder(placeholder, PlaceholderProblem.ErrorType);
        }

        if (!scalar)
        {
            return new BoundPlaceholder(placeholder, PlaceholderProblem.None) { Type = type, Expression = expression, MaybeNull = lifted || IsNullable(type) };
        }

        var kind = KindOf(type);
        if (kind == ScalarKind.NotScalar)
        {
            return new BoundPlaceholder(placeholder, PlaceholderProblem.NotScalar)
            {
                Type = type,
                Suggestion = SuggestMember(type, compilation) is { } member ? placeholder.Text + "." + member : null,
            };
        }

        var memberPath = path.Length == 1 ? string.Empty : string.Join(".", path.Skip(1).Select(Unescape));
        return new BoundPlaceholder(placeholder, PlaceholderProblem.None)
        {
            Binding = binding(kind, memberPath),
            Type = type,
            Expression = expression,
            MaybeNull = lifted || IsNullable(type),
        };
    }

    /// <summary>The scalar kind of a type (nullable forms look through to their underlying type).</summary>
    public static ScalarKind KindOf(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        switch (type.SpecialType)
        {
            case SpecialType.System_String: return ScalarKind.String;
            case SpecialType.System_Char: return ScalarKind.Char;
            case SpecialType.System_Boolean: return ScalarKind.Boolean;
            case SpecialType.System_SByte: return ScalarKind.SByte;
            case SpecialType.System_Byte: return ScalarKind.Byte;
            case SpecialType.System_Int16: return ScalarKind.Int16;
            case SpecialType.System_UInt16: return ScalarKind.UInt16;
            case SpecialType.System_Int32: return ScalarKind.Int32;
            case SpecialType.System_UInt32: return ScalarKind.UInt32;
            case SpecialType.System_Int64: return ScalarKind.Int64;
            case SpecialType.System_UInt64: return ScalarKind.UInt64;
            case SpecialType.System_Single: return ScalarKind.Single;
            case SpecialType.System_Double: return ScalarKind.Double;
            case SpecialType.System_Decimal: return ScalarKind.Decimal;
            case SpecialType.System_DateTime: return ScalarKind.DateTime;
        }

        if (type.TypeKind == TypeKind.Enum)
        {
            return ScalarKind.Enum;
        }

        if (type is INamedTypeSymbol { Arity: 0, ContainingType: null, ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } named)
        {
            switch (named.Name)
            {
                case "Guid": return ScalarKind.Guid;
                case "DateTimeOffset": return ScalarKind.DateTimeOffset;
                case "DateOnly": return ScalarKind.DateOnly;
                case "TimeOnly": return ScalarKind.TimeOnly;
                case "TimeSpan": return ScalarKind.TimeSpan;
                case "Uri": return ScalarKind.Uri;
            }
        }

        return ScalarKind.NotScalar;
    }

    /// <summary>An instance property with an accessible getter, or an instance field, on the type, its bases, its interfaces or (for a type parameter) its constraints.</summary>
    public static ISymbol? FindMember(ITypeSymbol type, string name, Compilation compilation)
    {
        foreach (var candidate in Candidates(type))
        {
            foreach (var member in candidate.GetMembers(name))
            {
                if (IsReadable(member, compilation))
                {
                    return member;
                }
            }
        }

        return null;
    }

    /// <summary>A readable member (as <see cref="FindMember"/>) whose name equals <paramref name="name"/> ignoring case.</summary>
    public static ISymbol? FindMemberIgnoringCase(ITypeSymbol type, string name, Compilation compilation)
    {
        foreach (var candidate in Candidates(type))
        {
            foreach (var member in candidate.GetMembers())
            {
                if (string.Equals(member.Name, name, StringComparison.OrdinalIgnoreCase) && member.CanBeReferencedByName && IsReadable(member, compilation))
                {
                    return member;
                }
            }
        }

        return null;
    }

    /// <summary>The type of a property or field.</summary>
    public static ITypeSymbol MemberType(ISymbol member) => member is IPropertySymbol property ? property.Type : ((IFieldSymbol)member).Type;

    /// <summary>A member name as generated code writes it (<c>@</c> before a keyword).</summary>
    public static string EscapeIdentifier(string name) =>
        SyntaxFacts.GetKeywordKind(name) != SyntaxKind.None ? "@" + name : name;

    /// <summary>Whether a value of the type may be null (a reference type or a nullable value type).</summary>
    public static bool IsNullable(ITypeSymbol type) =>
        type.IsReferenceType || type.OriginalDefinition.SpecialType == SpecialType.System_Nullable_T;

    /// <summary>
    /// Whether ASP.NET Core may bind the parameter from the source whose metadata interface is <paramref name="source"/>
    /// (<c>IFromRouteMetadata</c> or <c>IFromQueryMetadata</c>) under its own name: it has that source's attribute
    /// without another name, or no binding attribute at all (a simple type then binds from the route value of its name
    /// when the route has one, else from the query); never when it has a default value (an absent value binds it).
    /// </summary>
    private static bool Binds(IParameterSymbol parameter, string source)
    {
        if (parameter.HasExplicitDefaultValue)
        {
            return false; // an absent value binds the default, which only the argument holds
        }

        foreach (var attribute in parameter.GetAttributes())
        {
            if (attribute.AttributeClass is not { } type)
            {
                continue;
            }

            if (type.Name is "AsParametersAttribute" or "FromKeyedServicesAttribute")
            {
                return false;
            }

            foreach (var @interface in type.AllInterfaces)
            {
                switch (@interface.Name)
                {
                    case "IFromRouteMetadata" or "IFromQueryMetadata":
                        if (@interface.Name != source)
                        {
                            return false;
                        }

                        var renamed = attribute.NamedArguments.Any(a => a.Key == "Name" && a.Value.Value is string name && name != parameter.Name);
                        if (renamed)
                        {
                            return false;
                        }

                        break;
                    case "IFromHeaderMetadata" or "IFromBodyMetadata" or "IFromFormMetadata" or "IFromServiceMetadata":
                        return false;
                }
            }
        }

        return true;
    }

    /// <summary>The obvious scalar member of a type: its only readable scalar member, else a scalar <c>Id</c>.</summary>
    private static string? SuggestMember(ITypeSymbol type, Compilation compilation)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        if (type is not INamedTypeSymbol { TypeKind: TypeKind.Class or TypeKind.Struct or TypeKind.Interface } || type.SpecialType == SpecialType.System_Object)
        {
            return null;
        }

        var scalars = new List<string>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var candidate in Candidates(type))
        {
            if (candidate.SpecialType == SpecialType.System_Object)
            {
                continue;
            }

            foreach (var member in candidate.GetMembers())
            {
                if (member is (IPropertySymbol or IFieldSymbol) and { IsImplicitlyDeclared: false } && member.CanBeReferencedByName
                    && IsReadable(member, compilation) && seen.Add(member.Name) && KindOf(MemberType(member)) != ScalarKind.NotScalar)
                {
                    scalars.Add(member.Name);
                }
            }
        }

        return scalars.Count == 1 ? scalars[0]
            : scalars.FirstOrDefault(static n => n == "Id");
    }

    private static IEnumerable<ITypeSymbol> Candidates(ITypeSymbol type)
    {
        if (type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable)
        {
            type = nullable.TypeArguments[0];
        }

        for (var current = type; current is not null; current = current.BaseType)
        {
            yield return current;
        }

        foreach (var @interface in type.AllInterfaces)
        {
            yield return @interface;
        }

        if (type is ITypeParameterSymbol typeParameter)
        {
            foreach (var constraint in typeParameter.ConstraintTypes)
            {
                yield return constraint;
            }
        }
    }

    private static bool IsReadable(ISymbol member, Compilation compilation)
    {
        if (member.IsStatic || !compilation.IsSymbolAccessibleWithin(member, compilation.Assembly))
        {
            return false;
        }

        return member switch
        {
            IPropertySymbol { IsIndexer: false, GetMethod: { } getter } => compilation.IsSymbolAccessibleWithin(getter, compilation.Assembly),
            IFieldSymbol => true,
            _ => false,
        };
    }


    /// <summary>The fully qualified name generated code uses (<c>global::</c>-qualified).</summary>
    public static string TypeName(ITypeSymbol type) => type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);

    public static string Unescape(string identifier) => identifier.Length > 0 && identifier[0] == '@' ? identifier.Substring(1) : identifier;
}
