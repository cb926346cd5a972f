using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Piwik.Generator.Templates;

namespace Piwik.Generator.Analyzers;

/// <summary>
/// Checks a <c>[TrackAs]</c> application. What depends only on the handler (texts, template syntax, member paths on
/// handler parameters, numeric values) is checked once per attribute; what depends on the route (placeholders that
/// are not handler parameters) is checked per <c>Map*</c> call, and only when the whole route is a visible constant.
/// Binding follows the generator: a handler parameter by exact name first, else a route value (no members).
/// </summary>
internal static class TemplateChecks
{
    /// <summary>Matomo cuts <c>e_c</c>, <c>e_a</c> and <c>e_n</c> at 1024 bytes (MATOMO.md).</summary>
    public const int MaxBytes = 1024;

    /// <summary>Property keys of a PIWIK002 diagnostic, read by the rename code fix.</summary>
    public const string ReplacementKey = "Replacement", StartKey = "Start", LengthKey = "Length";

    public static void CheckAttribute(TrackAsInfo info, IMethodSymbol handler, Compilation compilation, Action<Diagnostic> report)
    {
        CheckText(info, "Action", "action", info.Action, required: true, report);
        if (info.HasCategory && info.Category is not null)
        {
            CheckText(info, "Category", "Category", info.Category, required: true, report);
        }

        if (info.HasFailureAction && info.FailureAction is not null)
        {
            CheckText(info, "FailureAction", "FailureAction", info.FailureAction, required: true, report);
        }

        if (info.NameTemplate is { } name)
        {
            if (CheckSyntax(info, "Name", name, report))
            {
                var literalBytes = name.Segments.Where(s => !s.IsPlaceholder).Sum(s => Encoding.UTF8.GetByteCount(s.Text));
                if (literalBytes > MaxBytes)
                {
                    report(Diagnostic.Create(DiagnosticDescriptors.LiteralTooLong, info.ArgumentLocation("Name"), "Name", literalBytes, MaxBytes));
                }

                foreach (var placeholder in name.Placeholders)
                {
                    BindToHandler(info, "Name", placeholder, handler, compilation, report);
                }
            }
        }

        if (info.ValueTemplate is { } value && CheckSyntax(info, "Value", value, report))
        {
            CheckValue(info, value, handler, compilation, report);
        }
    }

    /// <summary>Placeholders that are not handler parameters must be route parameters of the (fully known) route.</summary>
    /// <param name="info">The handler's attribute.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="route">The endpoint's full route.</param>
    /// <param name="handlerArgument">Where to report for a method or local function handler (possibly mapped several times); null for a lambda, reported in its attribute.</param>
    /// <param name="report">Receives the diagnostics.</param>
    public static void CheckRoute(TrackAsInfo info, IMethodSymbol handler, string route, Location? handlerArgument, Action<Diagnostic> report)
    {
        var routeParameters = RouteText.ParameterNames(route);
        foreach (var (property, template) in new[] { ("Name", info.NameTemplate), ("Value", info.ValueTemplate) })
        {
            if (template is not { IsValid: true })
            {
                continue;
            }

            foreach (var placeholder in template.Placeholders)
            {
                var root = Unescape(placeholder.Path[0]);
                if (handler.Parameters.Any(p => p.Name == root))
                {
                    continue;
                }

                var templateLocation = info.TemplateLocation(property, placeholder.Start, placeholder.Length);
                var isRouteParameter = routeParameters.Any(r => string.Equals(r, root, StringComparison.OrdinalIgnoreCase));
                if (isRouteParameter)
                {
                    if (placeholder.Path.Length > 1)
                    {
                        report(Diagnostic.Create(
                            DiagnosticDescriptors.MemberNotFound, handlerArgument ?? templateLocation, placeholder.Text, placeholder.Path[1], $"route value '{root}' (route values have no members)"));
                    }

                    continue;
                }

                // Offer the rename fix when a handler parameter differs only by case.
                var properties = ImmutableDictionary<string, string?>.Empty;
                var hint = string.Empty;
                var caseMatch = handler.Parameters.FirstOrDefault(p => string.Equals(p.Name, root, StringComparison.OrdinalIgnoreCase));
                if (caseMatch is not null)
                {
                    var replacement = "{" + string.Join(".", new[] { caseMatch.Name }.Concat(placeholder.Path.Skip(1))) + "}";
                    hint = $"; did you mean '{replacement}'?";
                    properties = properties
                        .Add(ReplacementKey, replacement)
                        .Add(StartKey, placeholder.Start.ToString(CultureInfo.InvariantCulture))
                        .Add(LengthKey, placeholder.Length.ToString(CultureInfo.InvariantCulture));
                }

                var argument = info.ArgumentExpression(property);
                var additional = argument is null ? null : new[] { argument.GetLocation() };
                report(Diagnostic.Create(
                    DiagnosticDescriptors.UnknownPlaceholder, handlerArgument ?? templateLocation, additional, properties, placeholder.Text, property, route, hint));
            }
        }
    }

    private static void CheckText(TrackAsInfo info, string argument, string display, string? text, bool required, Action<Diagnostic> report)
    {
        if (required && string.IsNullOrWhiteSpace(text))
        {
            report(Diagnostic.Create(DiagnosticDescriptors.EmptyEventPart, info.ArgumentLocation(argument), display));
            return;
        }

        var bytes = text is null ? 0 : Encoding.UTF8.GetByteCount(text);
        if (bytes > MaxBytes)
        {
            report(Diagnostic.Create(DiagnosticDescriptors.LiteralTooLong, info.ArgumentLocation(argument), display, bytes, MaxBytes));
        }
    }

    private static bool CheckSyntax(TrackAsInfo info, string property, ParsedTemplate template, Action<Diagnostic> report)
    {
        if (template.IsValid)
        {
            return true;
        }

        var reason = template.Error switch
        {
            TemplateError.UnbalancedOpenBrace => "'{' has no matching '}' (write '{{' for a literal brace)",
            TemplateError.UnbalancedCloseBrace => "'}' has no matching '{' (write '}}' for a literal brace)",
            TemplateError.EmptyPlaceholder => "'{}' names nothing",
            _ => "a placeholder must be a parameter name, optionally followed by .Member names",
        };
        report(Diagnostic.Create(
            DiagnosticDescriptors.InvalidTemplate, info.TemplateLocation(property, template.ErrorStart, template.ErrorLength), property, template.Template, reason));
        return false;
    }

    private static void CheckValue(TrackAsInfo info, ParsedTemplate value, IMethodSymbol handler, Compilation compilation, Action<Diagnostic> report)
    {
        var placeholders = value.Placeholders.ToList();
        if (placeholders.Count == 0)
        {
            var text = string.Concat(value.Segments.Select(s => s.Text));
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out _))
            {
                report(Diagnostic.Create(DiagnosticDescriptors.ValueNotNumeric, info.ArgumentLocation("Value"), value.Template, $"'{text}' is not a number"));
            }

            return;
        }

        if (!value.IsSinglePlaceholder)
        {
            report(Diagnostic.Create(
                DiagnosticDescriptors.ValueNotNumeric, info.ArgumentLocation("Value"), value.Template, "a value is one placeholder or a number, not text with placeholders"));
            return;
        }

        var type = BindToHandler(info, "Value", placeholders[0], handler, compilation, report);
        if (type is not null && !IsNumber(type))
        {
            report(Diagnostic.Create(
                DiagnosticDescriptors.ValueNotNumeric,
                info.TemplateLocation("Value", placeholders[0].Start, placeholders[0].Length),
                value.Template,
                $"'{{{placeholders[0].Text}}}' is of type '{type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat)}'"));
        }
    }

    /// <summary>Walks a placeholder rooted at a handler parameter; returns its final type, or null (not a handler parameter, or reported).</summary>
    private static ITypeSymbol? BindToHandler(TrackAsInfo info, string property, TemplateSegment placeholder, IMethodSymbol handler, Compilation compilation, Action<Diagnostic> report)
    {
        var root = Unescape(placeholder.Path[0]);
        var parameter = handler.Parameters.FirstOrDefault(p => p.Name == root);
        if (parameter is null)
        {
            return null;
        }

        var type = parameter.Type;
        for (var i = 1; i < placeholder.Path.Length; i++)
        {
            if (type.TypeKind == TypeKind.Error)
            {
                return null;
            }

            var memberName = Unescape(placeholder.Path[i]);
            var member = FindMember(type, memberName, compilation);
            if (member is null)
            {
                report(Diagnostic.Create(
                    DiagnosticDescriptors.MemberNotFound,
                    info.TemplateLocation(property, placeholder.Start, placeholder.Length),
                    placeholder.Text,
                    memberName,
                    "'" + type.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + "'"));
                return null;
            }

            type = member is IPropertySymbol property2 ? property2.Type : ((IFieldSymbol)member).Type;
        }

        return type.TypeKind == TypeKind.Error ? null : type;
    }

    /// <summary>An instance property with an accessible getter, or an instance field, on the type, its bases or its interfaces (as the generator binds).</summary>
    private static ISymbol? FindMember(ITypeSymbol type, string name, Compilation compilation)
    {
        type = UnwrapNullable(type);
        var candidates = new List<ITypeSymbol>();
        for (var current = type; current is not null; current = current.BaseType)
        {
            candidates.Add(current);
        }

        candidates.AddRange(type.AllInterfaces);
        if (type is ITypeParameterSymbol typeParameter)
        {
            candidates.AddRange(typeParameter.ConstraintTypes);
        }

        foreach (var candidate in candidates)
        {
            foreach (var member in candidate.GetMembers(name))
            {
                if (member.IsStatic || !compilation.IsSymbolAccessibleWithin(member, compilation.Assembly))
                {
                    continue;
                }

                switch (member)
                {
                    case IPropertySymbol { IsIndexer: false, GetMethod: { } getter } when compilation.IsSymbolAccessibleWithin(getter, compilation.Assembly):
                    case IFieldSymbol:
                        return member;
                }
            }
        }

        return null;
    }

    private static bool IsNumber(ITypeSymbol type) => UnwrapNullable(type).SpecialType is
        SpecialType.System_SByte or SpecialType.System_Byte or SpecialType.System_Int16 or SpecialType.System_UInt16
        or SpecialType.System_Int32 or SpecialType.System_UInt32 or SpecialType.System_Int64 or SpecialType.System_UInt64
        or SpecialType.System_Single or SpecialType.System_Double or SpecialType.System_Decimal;

    private static ITypeSymbol UnwrapNullable(ITypeSymbol type) =>
        type is INamedTypeSymbol { OriginalDefinition.SpecialType: SpecialType.System_Nullable_T } nullable ? nullable.TypeArguments[0] : type;

    private static string Unescape(string identifier) => identifier.Length > 0 && identifier[0] == '@' ? identifier.Substring(1) : identifier;
}
