using System;
using System.Globalization;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Piwik.Generator.Binding;
using Piwik.Shared;

namespace Piwik.Generator.Analyzers;

/// <summary>
/// The compile-time checks of <c>[TrackOrder]</c>, <c>[TrackSearch]</c> and <c>[TrackDimension]</c> on one handler
/// (PIWIK014-PIWIK019), with the binder the generator uses, so what passes here is what the generator can read.
/// </summary>
internal static class HitChecks
{
    private static readonly string[] Required = ["Id", "Revenue"];

    private static readonly string[] Amounts = ["Revenue", "Subtotal", "Tax", "Shipping", "Discount"];

    public static void Check(IMethodSymbol handler, KnownSymbols known, Compilation compilation, Action<Diagnostic> report, CancellationToken cancellationToken)
    {
        var attributes = handler.GetAttributes();
        var doNotTrack = attributes.Any(known.IsDoNotTrack);
        foreach (var data in attributes)
        {
            if (HitTemplates.Kind(data.AttributeClass) is not { } kind
                || data.ApplicationSyntaxReference?.GetSyntax(cancellationToken) is not { } syntax)
            {
                continue;
            }

            var name = kind.Substring(0, kind.Length - "Attribute".Length);
            var location = syntax.GetLocation();
            if (doNotTrack)
            {
                report(Diagnostic.Create(DiagnosticDescriptors.HitAndDoNotTrack, location, HandlerNames.Of(handler), name));
            }

            switch (name)
            {
                case "TrackOrder":
                    var missing = Required.Where(p => string.IsNullOrWhiteSpace(HitTemplates.Named(data, p))).ToArray();
                    if (missing.Length > 0)
                    {
                        report(Diagnostic.Create(DiagnosticDescriptors.OrderIncomplete, location, string.Join(" and ", missing)));
                    }

                    Template(name, "Id", HitTemplates.Named(data, "Id"), isNumber: false);
                    foreach (var amount in Amounts)
                    {
                        Template(name, amount, HitTemplates.Named(data, amount), isNumber: true);
                    }

                    if (HitTemplates.Named(data, "Items") is { } items)
                    {
                        CheckItems(items, handler, compilation, location, report);
                    }

                    break;
                case "TrackSearch":
                    if (string.IsNullOrWhiteSpace(HitTemplates.Named(data, "Keyword")))
                    {
                        report(Diagnostic.Create(DiagnosticDescriptors.SearchWithoutKeyword, location));
                    }

                    Template(name, "Keyword", HitTemplates.Named(data, "Keyword"), isNumber: false);
                    Template(name, "Category", HitTemplates.Named(data, "Category"), isNumber: false);
                    Template(name, "Count", HitTemplates.Named(data, "Count"), isNumber: true);
                    break;
                default:
                    if (data.ConstructorArguments.Length == 2 && data.ConstructorArguments[0].Value is int id)
                    {
                        if (id <= 0)
                        {
                            report(Diagnostic.Create(DiagnosticDescriptors.DimensionIdNotPositive, location, id.ToString(CultureInfo.InvariantCulture)));
                        }

                        Template(name, "value", data.ConstructorArguments[1].Value as string, isNumber: false);
                    }

                    break;
            }

            void Template(string attribute, string property, string? template, bool isNumber)
            {
                if (template is null)
                {
                    return;
                }

                var parsed = TemplateParser.Parse(template);
                if (!parsed.IsValid)
                {
                    report(Diagnostic.Create(DiagnosticDescriptors.HitTemplateUnbound, location, attribute, property, template, "is malformed (" + parsed.Error + ")"));
                    return;
                }

                var numeric = parsed.Segments.Count > 0 && parsed.Placeholders.Any()
                    ? parsed.IsSinglePlaceholder
                    : double.TryParse(template, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
                foreach (var placeholder in parsed.Placeholders)
                {
                    var bound = TemplateBinder.Bind(placeholder, handler, compilation);
                    switch (bound.Problem)
                    {
                        case PlaceholderProblem.None:
                            numeric &= bound.Binding!.IsNumber;
                            break;
                        case PlaceholderProblem.NotAParameter when placeholder.Path.Length == 1:
                            break; // a route value: the route, not the handler, says whether it exists
                        case PlaceholderProblem.NotAParameter:
                            report(Diagnostic.Create(DiagnosticDescriptors.HitTemplateUnbound, location, attribute, property, placeholder.Text, "is not a handler parameter, and a route value has no members"));
                            return;
                        case PlaceholderProblem.MemberNotFound:
                            report(Diagnostic.Create(DiagnosticDescriptors.HitTemplateUnbound, location, attribute, property, placeholder.Text, $"has no readable member '{bound.MissingMember}' on {bound.Type?.ToDisplayString()}"));
                            return;
                        case PlaceholderProblem.NoResultValue:
                            report(Diagnostic.Create(DiagnosticDescriptors.ResultHasNoValue, location, placeholder.Text, $"[{attribute}] {property}", bound.Reason));
                            return;
                        case PlaceholderProblem.NotScalar:
                            report(Diagnostic.Create(DiagnosticDescriptors.HitTemplateUnbound, location, attribute, property, placeholder.Text, $"is a {bound.Type?.ToDisplayString()}, not a scalar"));
                            return;
                        default:
                            return;
                    }
                }

                if (isNumber && !numeric)
                {
                    report(Diagnostic.Create(DiagnosticDescriptors.HitNumberNotNumeric, location, attribute, property, template));
                }
            }
        }
    }

    /// <summary><c>Items</c>: the placeholder's own problems as for any template, then the collection and its element type (PIWIK021).</summary>
    private static void CheckItems(string template, IMethodSymbol handler, Compilation compilation, Location location, Action<Diagnostic> report)
    {
        var items = ItemsBinder.Bind(template, handler, compilation);
        if (items.Problem is { } problem)
        {
            report(Diagnostic.Create(DiagnosticDescriptors.OrderItemsUnreadable, location, problem));
            return;
        }

        if (items.Placeholder is not { } bound)
        {
            return;
        }

        var text = bound.Placeholder.Text;
        switch (bound.Problem)
        {
            case PlaceholderProblem.NoResultValue:
                report(Diagnostic.Create(DiagnosticDescriptors.ResultHasNoValue, location, text, "[TrackOrder] Items", bound.Reason));
                break;
            case PlaceholderProblem.NotAParameter:
                report(Diagnostic.Create(DiagnosticDescriptors.HitTemplateUnbound, location, "TrackOrder", "Items", text, "is not a handler parameter or the handler's result (a route value is not a collection)"));
                break;
            case PlaceholderProblem.MemberNotFound:
                report(Diagnostic.Create(DiagnosticDescriptors.HitTemplateUnbound, location, "TrackOrder", "Items", text, $"has no readable member '{bound.MissingMember}' on {bound.Type?.ToDisplayString()}"));
                break;
        }
    }
}
