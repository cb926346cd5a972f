using System.Reflection;
using Piwik.Infrastructure;

namespace Piwik.Endpoints;

/// <summary>
/// Finds the generated descriptor of a handler. A lambda's runtime method name is compiler-generated, so the match is on
/// what both sides know for sure: the attribute's values and the parameter types; parameter names break ties.
/// </summary>
internal static class TrackedHandlerMatcher
{
    public static TrackedHandler? Match(IReadOnlyList<TrackedHandler> registered, MethodInfo method, TrackAsAttribute attribute)
    {
        var parameters = method.GetParameters();
        TrackedHandler? firstOfShape = null;
        foreach (var candidate in registered)
        {
            if (!SameAttribute(candidate, attribute) || !SameTypes(candidate.ParameterTypes, parameters))
            {
                continue;
            }

            if (SameNames(candidate.ParameterNames, parameters))
            {
                return candidate;
            }

            // Same attribute and types but other names (or names not kept at run time): its accessors read the same
            // argument types, so it is safe to use when nothing better matches.
            firstOfShape ??= candidate;
        }

        return firstOfShape;
    }

    private static bool SameAttribute(TrackedHandler handler, TrackAsAttribute attribute) =>
        string.Equals(handler.Action, attribute.Action, StringComparison.Ordinal)
        && string.Equals(handler.Category, attribute.Category, StringComparison.Ordinal)
        && string.Equals(handler.FailureAction, attribute.FailureAction, StringComparison.Ordinal)
        && string.Equals(handler.NameTemplate, attribute.Name, StringComparison.Ordinal)
        && string.Equals(handler.ValueTemplate, attribute.Value, StringComparison.Ordinal);

    private static bool SameTypes(IReadOnlyList<Type> types, ParameterInfo[] parameters)
    {
        if (types.Count != parameters.Length)
        {
            return false;
        }

        for (var i = 0; i < parameters.Length; i++)
        {
            if (types[i] != parameters[i].ParameterType)
            {
                return false;
            }
        }

        return true;
    }

    private static bool SameNames(IReadOnlyList<string> names, ParameterInfo[] parameters)
    {
        for (var i = 0; i < parameters.Length; i++)
        {
            if (!string.Equals(names[i], parameters[i].Name, StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }
}
