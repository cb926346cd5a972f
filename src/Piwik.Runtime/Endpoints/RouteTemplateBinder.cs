using System.Globalization;
using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing.Patterns;
using Piwik.Generator.Templates;

namespace Piwik.Endpoints;

/// <summary>
/// Binds a <see cref="TrackAsAttribute"/> Name or Value template to the request's route values alone, when that gives
/// exactly what the generated accessor reads from the handler's arguments: every placeholder is a whole handler
/// parameter of type <see cref="string"/>, <see cref="int"/> or <see cref="long"/> (or their nullable forms) bound from
/// the route, or a route value that is not a parameter (a group prefix's). Such a handler then needs no endpoint
/// filter (see <see cref="TrackedRequestDelegate"/>).
/// </summary>
/// <remarks>
/// Equivalence with the argument: the binder passes a route string to a <see cref="string"/> parameter as it is, and
/// parses an integer parameter with <c>TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture)</c>, as both
/// the Request Delegate Generator and <c>RequestDelegateFactory</c> do; these accessors only run after a 2xx answer, so
/// the binding succeeded and the same parse succeeds here (a failed binding answers 400, which records nothing on
/// this path). Member paths (<c>{order.Total}</c>), other parameter types and parameters bound from elsewhere (query,
/// header, body, services, <c>[AsParameters]</c>, a renamed <c>[FromRoute]</c>) are not bound here: those handlers keep
/// the filter.
/// </remarks>
internal static class RouteTemplateBinder
{
    /// <summary>
    /// Binds a template, or returns false when it cannot be read from route values with the same result as the
    /// generated accessor. A null template binds to a null accessor.
    /// </summary>
    public static bool TryBind(string? template, bool isValue, MethodInfo method, RoutePattern pattern, out Func<HttpContext, TrackedValue>? accessor)
    {
        accessor = null;
        if (template is null)
        {
            return true;
        }

        var parsed = TemplateParser.Parse(template);
        if (!parsed.IsValid)
        {
            return false;
        }

        var parameters = method.GetParameters();
        var parts = new List<Part>(parsed.Segments.Count);
        foreach (var segment in parsed.Segments)
        {
            if (!segment.IsPlaceholder)
            {
                parts.Add(new Part(PartKind.Literal, segment.Text));
                continue;
            }

            if (segment.Path.Length != 1 || PartFor(segment.Path[0], parameters, pattern) is not { } part)
            {
                return false;
            }

            parts.Add(part);
        }

        accessor = isValue ? ValueAccessor(parts) : NameAccessor(parts);
        return accessor is not null;
    }

    private static Part? PartFor(string identifier, ParameterInfo[] parameters, RoutePattern pattern)
    {
        var name = identifier.Length > 0 && identifier[0] == '@' ? identifier[1..] : identifier;
        foreach (var parameter in parameters)
        {
            if (parameter.Name != name)
            {
                continue;
            }

            // A handler parameter: only a simple type, bound from the route under its own name.
            if (pattern.GetParameter(name) is null || !BoundFromRoute(parameter))
            {
                return null;
            }

            var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
            return type == typeof(string) ? new Part(PartKind.Text, name)
                : type == typeof(int) ? new Part(PartKind.Int32, name)
                : type == typeof(long) ? new Part(PartKind.Int64, name)
                : null;
        }

        // Not a parameter: the generated code reads the route value itself, and so do we.
        return pattern.GetParameter(name) is null ? null : new Part(PartKind.RouteValue, name);
    }

    private static bool BoundFromRoute(ParameterInfo parameter)
    {
        foreach (var attribute in parameter.GetCustomAttributes(inherit: false))
        {
            switch (attribute)
            {
                case IFromRouteMetadata fromRoute when fromRoute.Name is null || fromRoute.Name == parameter.Name:
                    continue;
                case IFromRouteMetadata or IFromQueryMetadata or IFromHeaderMetadata or IFromBodyMetadata or IFromFormMetadata or IFromServiceMetadata
                    or AsParametersAttribute or Microsoft.Extensions.DependencyInjection.FromKeyedServicesAttribute:
                    return false;
                default:
                    continue;
            }
        }

        return true;
    }

    private static Func<HttpContext, TrackedValue>? NameAccessor(List<Part> parts)
    {
        if (parts.Count == 1)
        {
            var part = parts[0];
            var key = part.Text;
            return part.Kind switch
            {
                PartKind.Literal => Constant(TrackedValue.FromText(key)),
                PartKind.Text => context => TrackedValue.FromText(context.Request.RouteValues[key] as string),
                PartKind.Int32 or PartKind.Int64 => context => Integer(context, key, part.Kind),
                _ => context => TrackedValue.FromObject(context.Request.RouteValues[key]),
            };
        }

        // Literal text with placeholders: one string, each part formatted in the invariant culture, null as empty.
        var array = parts.ToArray();
        return context =>
        {
            var routeValues = context.Request.RouteValues;
            var text = new System.Text.StringBuilder();
            foreach (var part in array)
            {
                text.Append(part.Kind switch
                {
                    PartKind.Literal => part.Text,
                    PartKind.Int32 or PartKind.Int64 => IntegerText(context, part.Text, part.Kind),
                    _ => Convert.ToString(routeValues[part.Text], CultureInfo.InvariantCulture),
                });
            }

            return TrackedValue.FromText(text.ToString());
        };
    }

    private static Func<HttpContext, TrackedValue>? ValueAccessor(List<Part> parts)
    {
        if (parts.Count != 1)
        {
            return null; // a value is one number: the generator reports anything else
        }

        var part = parts[0];
        var key = part.Text;
        return part.Kind switch
        {
            PartKind.Literal => double.TryParse(key, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? Constant(TrackedValue.FromNumber(number)) : null,
            PartKind.Int32 or PartKind.Int64 => context => Integer(context, key, part.Kind),
            PartKind.RouteValue => context => context.Request.RouteValues[key] is string text
                && double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
                    ? TrackedValue.FromNumber(value)
                    : TrackedValue.None,
            _ => null, // text is no value
        };
    }

    private static Func<HttpContext, TrackedValue> Constant(TrackedValue value) => _ => value;

    private static TrackedValue Integer(HttpContext context, string key, PartKind kind)
    {
        if (context.Request.RouteValues[key] is not string text)
        {
            return TrackedValue.None; // an optional parameter left out: null, as the argument is
        }

        return kind == PartKind.Int32
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? TrackedValue.FromNumber(i) : TrackedValue.None
            : long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? TrackedValue.FromNumber(l) : TrackedValue.None;
    }

    /// <summary>An integer parameter as interpolated text: the integer's own invariant text (not through a double).</summary>
    private static string? IntegerText(HttpContext context, string key, PartKind kind)
    {
        if (context.Request.RouteValues[key] is not string text)
        {
            return null;
        }

        return kind == PartKind.Int32
            ? int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? i.ToString(CultureInfo.InvariantCulture) : null
            : long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? l.ToString(CultureInfo.InvariantCulture) : null;
    }

    private enum PartKind
    {
        Literal,
        Text,
        Int32,
        Int64,
        RouteValue,
    }

    private sealed record Part(PartKind Kind, string Text);
}
