using System.Reflection;
using Piwik.Infrastructure;

namespace Piwik.Endpoints;

/// <summary>
/// Finds the generated descriptor of a handler. A lambda's runtime method name is compiler-generated, so the match is on
/// what both sides know for sure: the attribute's values and the parameter types; the handler's assembly and parameter
/// names break ties.
/// </summary>
internal static class TrackedHandlerMatcher
{
    public static TrackedHandler? Match(IReadOnlyList<TrackedHandler> registered, MethodInfo method, TrackAsAttribute attribute)
    {
        var parameters = method.GetParameters();
        TrackedHandler? best = null;
        var bestRank = 0;
        foreach (var candidate in registered)
        {
            if (!SameAttribute(candidate, attribute) || !SameTypes(candidate.ParameterTypes, parameters))
            {
                continue;
            }

            var rank = Rank(candidate.Origin, candidate.ParameterNames, method, parameters);
            if (rank > bestRank)
            {
                best = candidate;
                bestRank = rank;
            }
        }

        return best;
    }

    /// <summary>
    /// How well a registration of the same attribute and parameter types fits (higher is better; always above 0): from
    /// the handler's own assembly first (its accessors read its own types, the result's included), then with the same
    /// parameter names. Same types but other names (or names not kept at run time): its accessors read the same argument
    /// types, so it is safe to use when nothing better matches.
    /// </summary>
    internal static int Rank(Assembly? origin, IReadOnlyList<string> names, MethodInfo method, ParameterInfo[] parameters) =>
        1 + (origin is null || origin == method.Module.Assembly ? 2 : 0) + (SameNames(names, parameters) ? 1 : 0);

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
