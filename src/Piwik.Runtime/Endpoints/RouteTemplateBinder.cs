using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing.Patterns;
using Piwik.Shared;

namespace Piwik.Endpoints;

/// <summary>
/// Builds accessors that read a <see cref="TrackAsAttribute"/> Name or Value template from the request's route values
/// and query string alone, from the placeholder bindings the generator decided (<see cref="PlaceholderBinding"/>): it does not bind
/// again, it only checks each binding against the route pattern, which is known at start-up. A template qualifies when
/// every placeholder is a route value that is not a parameter (a group prefix's), or a whole handler parameter of kind
/// <see cref="ScalarKind.String"/>, <see cref="ScalarKind.Int32"/> or <see cref="ScalarKind.Int64"/> that binds from the
/// route or the query string under its own name. Such a handler then needs no endpoint filter (see <see cref="TrackedRequestDelegate"/>).
/// </summary>
/// <remarks>
/// Equivalence with the argument: a route string reaches a string parameter as it is, a query value as ASP.NET Core
/// turns its values into a string (<see cref="TemplateValues.QueryText"/>: absent is null, several are joined with
/// commas), and an integer parameter is parsed as ASP.NET Core binds it; these accessors only run after a 2xx answer,
/// so the binding succeeded and the same parse succeeds here. The query was parsed by the binding, so reading it again
/// allocates nothing.
/// </remarks>
internal static class RouteTemplateBinder
{
    /// <summary>
    /// Binds a template, or returns false when it cannot be read from route values with the same result as the
    /// generated accessor. A null template binds to a null accessor.
    /// </summary>
    public static bool TryBind(string? template, IReadOnlyList<PlaceholderBinding>? bindings, bool isValue, RoutePattern pattern, out Func<HttpContext, TrackedValue>? accessor)
    {
        accessor = null;
        if (template is null)
        {
            return true;
        }

        var parsed = TemplateParser.Parse(template);
        if (!parsed.IsValid || bindings is null)
        {
            return false;
        }

        var parts = new List<Part>(parsed.Segments.Count);
        var next = 0;
        foreach (var segment in parsed.Segments)
        {
            if (!segment.IsPlaceholder)
            {
                parts.Add(new Part(ScalarKind.NotScalar, segment.Text));
                continue;
            }

            if (next >= bindings.Count || PartFor(bindings[next++], pattern) is not { } part)
            {
                return false;
            }

            parts.Add(part);
        }

        accessor = isValue ? ValueAccessor(parts) : NameAccessor(parts);
        return accessor is not null;
    }

    /// <summary>A literal part has <see cref="ScalarKind.NotScalar"/>; a route value read as text, <see cref="ScalarKind.String"/>.</summary>
    private static Part? PartFor(PlaceholderBinding binding, RoutePattern pattern)
    {
        var inRoute = pattern.GetParameter(binding.Root) is not null;
        return binding.Source switch
        {
            BindingSource.RouteValue when inRoute => new Part(ScalarKind.String, binding.Root),
            BindingSource.Parameter when binding.Kind is ScalarKind.String or ScalarKind.Int32 or ScalarKind.Int64 =>
                binding.BindsFromRoute && inRoute ? new Part(binding.Kind, binding.Root)
                : binding.BindsFromQuery ? new Part(binding.Kind, binding.Root, FromQuery: true)
                : null,
            _ => null,
        };
    }

    private static Func<HttpContext, TrackedValue>? NameAccessor(List<Part> parts)
    {
        if (parts.Count == 1)
        {
            var part = parts[0];
            return part.Kind switch
            {
                ScalarKind.NotScalar => Constant(TrackedValue.FromText(part.Text)),
                ScalarKind.String => context => TrackedValue.FromText(part.ReadText(context)),
                _ => context => part.ReadNumber(context, part.Kind),
            };
        }

        // Literal text with placeholders: one string, each part formatted in the invariant culture, null as empty.
        var array = parts.ToArray();
        return context =>
        {
            var text = new System.Text.StringBuilder();
            foreach (var part in array)
            {
                text.Append(part.Kind switch
                {
                    ScalarKind.NotScalar => part.Text,
                    ScalarKind.String => part.ReadText(context),
                    _ => part.ReadNumber(context, part.Kind).ToString(),
                });
            }

            return TrackedValue.FromText(text.ToString());
        };
    }

    private static Func<HttpContext, TrackedValue>? ValueAccessor(List<Part> parts)
    {
        if (parts.Count != 1)
        {
            return null; // a value is one number: the analyzer reports anything else
        }

        var part = parts[0];
        return part.Kind switch
        {
            ScalarKind.NotScalar => double.TryParse(part.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) ? Constant(TrackedValue.FromNumber(number)) : null,
            ScalarKind.Int32 or ScalarKind.Int64 => context => part.ReadNumber(context, part.Kind),
            _ => context => part.ReadNumber(context, ScalarKind.Double),
        };
    }

    private static Func<HttpContext, TrackedValue> Constant(TrackedValue value) => _ => value;

    /// <summary>A literal (<see cref="ScalarKind.NotScalar"/>) or a value read by name from the route, or from the query.</summary>
    private sealed record Part(ScalarKind Kind, string Text, bool FromQuery = false)
    {
        public string? ReadText(HttpContext context) =>
            FromQuery ? TemplateValues.QueryText(context, Text) : TemplateValues.RouteText(context, Text);

        public TrackedValue ReadNumber(HttpContext context, ScalarKind kind) =>
            FromQuery ? TemplateValues.QueryNumber(context, Text, kind) : TemplateValues.RouteNumber(context, Text, kind);
    }
}
