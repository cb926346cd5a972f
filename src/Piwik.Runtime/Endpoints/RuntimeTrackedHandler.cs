using System.Reflection;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing.Patterns;
using Piwik.Infrastructure;
using Piwik.Shared;

namespace Piwik.Endpoints;

/// <summary>
/// The descriptor of a <see cref="TrackAsAttribute"/> handler for which no generated code matched (the generator is not
/// referenced, its table is of another release, or a parameter type is not accessible to generated code): constant
/// strings from the attribute, and templates whose placeholders are all route values of the endpoint's pattern,
/// read by <see cref="RouteTemplateBinder"/> (members of arguments would need reflection, and no object is rendered).
/// </summary>
internal static class RuntimeTrackedHandler
{
    public static TrackedHandler Create(TrackAsAttribute attribute, MethodInfo method, RoutePattern? pattern, out List<string> unbound)
    {
        unbound = [];
        var parameters = method.GetParameters();
        var (name, nameBindings) = Bind(attribute.Name, pattern, isValue: false, unbound);
        var (value, valueBindings) = Bind(attribute.Value, pattern, isValue: true, unbound);
        return new TrackedHandler(
            attribute.Category,
            attribute.Action,
            attribute.FailureAction,
            attribute.Name,
            attribute.Value,
            Array.ConvertAll(parameters, static p => p.ParameterType),
            Array.ConvertAll(parameters, static p => p.Name ?? string.Empty),
            name,
            value,
            nameBindings,
            valueBindings);
    }

    private static (Func<EndpointFilterInvocationContext, TrackedValue>?, List<PlaceholderBinding>?) Bind(string? template, RoutePattern? pattern, bool isValue, List<string> unbound)
    {
        if (template is null)
        {
            return (null, null);
        }

        // Without generated code, every placeholder must be a route value of this endpoint: no member paths.
        var bindings = new List<PlaceholderBinding>();
        foreach (var placeholder in TemplateParser.Parse(template).Placeholders)
        {
            var root = placeholder.Path[0].TrimStart('@');
            bindings.Add(PlaceholderBinding.RouteValue(placeholder.Path.Length == 1 ? root : placeholder.Text));
        }

        if (pattern is null || !RouteTemplateBinder.TryBind(template, bindings, isValue, pattern, out var accessor) || accessor is null)
        {
            unbound.Add(template);
            return (null, null);
        }

        return (context => accessor(context.HttpContext), bindings);
    }
}
