using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Globalization;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis;
using Piwik.Generator.Binding;
using Piwik.Shared;

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

    /// <summary>Property keys of a PIWIK002 or PIWIK012 diagnostic, read by the rename code fix.</summary>
    public const string ReplacementKey = DiagnosticIds.ReplacementKey, StartKey = DiagnosticIds.StartKey, LengthKey = DiagnosticIds.LengthKey;

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

    /// <summary>
    /// Placeholders that are not handler parameters must be route parameters of the route. With the whole route known,
    /// anything else is an error (PIWIK002); when an outer prefix cannot be seen (routes mapped in an extension method),
    /// a name that is not in the visible part is reported as a warning of its own (PIWIK013): only that unseen prefix
    /// could hold it, and start-up checks it against the full pattern.
    /// </summary>
    /// <param name="info">The handler's attribute.</param>
    /// <param name="handler">The handler.</param>
    /// <param name="route">The endpoint's route: complete, or the part the analyzer sees.</param>
    /// <param name="prefixUnknown">Whether an unseen outer prefix may come before <paramref name="route"/>.</param>
    /// <param name="handlerArgument">Where to report for a method or local function handler (possibly mapped several times); null for a lambda, reported in its attribute.</param>
    /// <param name="report">Receives the diagnostics.</param>
    public static void CheckRoute(TrackAsInfo info, IMethodSymbol handler, string route, bool prefixUnknown, Location? handlerArgument, Action<Diagnostic> report)
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
                if (handler.Parameters.Any(p => p.Name == root) || root == PlaceholderBinding.ResultRoot)
                {
                    continue; // a handler parameter, or the handler's result: checked with the attribute
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
                report(prefixUnknown
                    ? Diagnostic.Create(
                        DiagnosticDescriptors.PlaceholderMaybeUnbound, handlerArgument ?? templateLocation, additional, properties, placeholder.Text, property, EndpointCall.UnknownPrefix + route, hint)
                    : Diagnostic.Create(
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

    /// <summary>
    /// Binds a placeholder with the generator's <see cref="TemplateBinder"/> and reports what does not bind to the handler
    /// (a missing member, a type that is not a scalar); returns the final type, or null (not a handler parameter, or reported).
    /// </summary>
    private static ITypeSymbol? BindToHandler(TrackAsInfo info, string property, TemplateSegment placeholder, IMethodSymbol handler, Compilation compilation, Action<Diagnostic> report)
    {
        var bound = TemplateBinder.Bind(placeholder, handler, compilation);
        switch (bound.Problem)
        {
            case PlaceholderProblem.None:
                return bound.Type;
            case PlaceholderProblem.MemberNotFound:
                report(Diagnostic.Create(
                    DiagnosticDescriptors.MemberNotFound,
                    info.TemplateLocation(property, placeholder.Start, placeholder.Length),
                    placeholder.Text,
                    bound.MissingMember,
                    "'" + bound.Type!.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat) + "'"));
                return null;
            case PlaceholderProblem.NoResultValue:
                report(Diagnostic.Create(
                    DiagnosticDescriptors.ResultHasNoValue,
                    info.TemplateLocation(property, placeholder.Start, placeholder.Length),
                    placeholder.Text,
                    "the " + property + " template",
                    bound.Reason));
                return null;
            case PlaceholderProblem.NotScalar when property == "Value":
                // Only numbers are sent as a value: PIWIK004 says so (nothing of the object would be sent anyway).
                return bound.Type;
            case PlaceholderProblem.NotScalar:
                var properties = ImmutableDictionary<string, string?>.Empty;
                var hint = string.Empty;
                if (bound.Suggestion is { } suggestion)
                {
                    hint = $"; did you mean '{{{suggestion}}}'?";
                    properties = properties
                        .Add(ReplacementKey, "{" + suggestion + "}")
                        .Add(StartKey, placeholder.Start.ToString(CultureInfo.InvariantCulture))
                        .Add(LengthKey, placeholder.Length.ToString(CultureInfo.InvariantCulture));
                }

                var argument = info.ArgumentExpression(property);
                report(Diagnostic.Create(
                    DiagnosticDescriptors.PlaceholderNotScalar,
                    info.TemplateLocation(property, placeholder.Start, placeholder.Length),
                    argument is null ? null : new[] { argument.GetLocation() },
                    properties,
                    placeholder.Text,
                    property,
                    bound.Type!.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat),
                    hint));
                return null;
            default:
                return null;
        }
    }

    private static bool IsNumber(ITypeSymbol type) => PlaceholderBinding.IsNumeric(TemplateBinder.KindOf(type));

    private static string Unescape(string identifier) => TemplateBinder.Unescape(identifier);
}
