using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing.Patterns;
using Piwik.Generator.Templates;
using Piwik.Infrastructure;

namespace Piwik.Endpoints;

/// <summary>
/// The descriptor of a <see cref="TrackAsAttribute"/> handler for which no generated code matched (the generator is not
/// referenced, or a parameter type is not accessible to generated code): constant strings from the attribute, and
/// templates bound to route values only, since reading arguments' members would need reflection.
/// </summary>
internal static class RuntimeTrackedHandler
{
    public static TrackedHandler Create(TrackAsAttribute attribute, MethodInfo method, RoutePattern? pattern, out List<string> unbound)
    {
        unbound = [];
        var parameters = method.GetParameters();
        var name = attribute.Name is null ? null : Bind(attribute.Name, pattern, isValue: false, unbound);
        var value = attribute.Value is null ? null : Bind(attribute.Value, pattern, isValue: true, unbound);
        return new TrackedHandler(
            attribute.Category,
            attribute.Action,
            attribute.FailureAction,
            attribute.Name,
            attribute.Value,
            Array.ConvertAll(parameters, static p => p.ParameterType),
            Array.ConvertAll(parameters, static p => p.Name ?? string.Empty),
            name,
            value);
    }

    private static Func<EndpointFilterInvocationContext, TrackedValue>? Bind(string template, RoutePattern? pattern, bool isValue, List<string> unbound)
    {
        var parsed = TemplateParser.Parse(template);
        var bindable = parsed.IsValid;
        foreach (var placeholder in parsed.Placeholders)
        {
            bindable &= placeholder.Path.Length == 1 && pattern?.GetParameter(placeholder.Path[0]) is not null;
        }

        if (!bindable)
        {
            unbound.Add(template);
            return null;
        }

        var segments = parsed.Segments;
        if (segments.Count == 1 && segments[0].IsPlaceholder)
        {
            var key = segments[0].Path[0];
            return isValue
                ? context => context.HttpContext.Request.RouteValues[key] is string text
                    && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number)
                        ? TrackedValue.FromNumber(number)
                        : TrackedValue.None
                : context => TrackedValue.FromObject(context.HttpContext.Request.RouteValues[key]);
        }

        if (parsed.Placeholders.Any())
        {
            if (isValue)
            {
                unbound.Add(template);
                return null;
            }

            return context => TrackedValue.FromText(string.Concat(segments.Select(segment => segment.IsPlaceholder
                ? Convert.ToString(context.HttpContext.Request.RouteValues[segment.Path[0]], CultureInfo.InvariantCulture)
                : segment.Text)));
        }

        var constant = string.Concat(segments.Select(static s => s.Text));
        if (!isValue)
        {
            var text = TrackedValue.FromText(constant);
            return _ => text;
        }

        if (double.TryParse(constant, NumberStyles.Float, CultureInfo.InvariantCulture, out var constantNumber))
        {
            var number = TrackedValue.FromNumber(constantNumber);
            return _ => number;
        }

        unbound.Add(template);
        return null;
    }
}
