using System;
using System.Collections.Generic;
using System.Text;

namespace Piwik.Shared;

/// <summary>
/// The little route-pattern work the analyzer needs, on pattern text as written: combining a group prefix with a
/// pattern, listing route parameter names, matching <c>DoNotTrackRoutes</c> patterns and suggesting an action name.
/// Not a route parser: ASP.NET Core's <c>RoutePatternFactory</c> is not available to an analyzer.
/// </summary>
internal static class RouteText
{
    private static readonly char[] ParameterNameEnd = { ':', '=', '?' };

    /// <summary>The route of an endpoint in a group, as ASP.NET Core prints it.</summary>
    public static string Combine(string prefix, string pattern)
    {
        if (prefix.Length == 0)
        {
            return pattern.Length == 0 || pattern[0] != '/' ? "/" + pattern : pattern;
        }

        var left = prefix[0] == '/' ? prefix : "/" + prefix;
        left = left.TrimEnd('/');
        var right = pattern.TrimStart('/');
        return right.Length == 0 ? (left.Length == 0 ? "/" : left) : left + "/" + right;
    }

    /// <summary>The route parameter names of a pattern (<c>{id:int}</c> → <c>id</c>, <c>{*rest}</c> → <c>rest</c>).</summary>
    public static List<string> ParameterNames(string route)
    {
        var names = new List<string>();
        for (var i = 0; i < route.Length; i++)
        {
            if (route[i] != '{')
            {
                continue;
            }

            if (i + 1 < route.Length && route[i + 1] == '{')
            {
                i++;
                continue;
            }

            var close = route.IndexOf('}', i + 1);
            if (close < 0)
            {
                break;
            }

            var inner = route.Substring(i + 1, close - i - 1).TrimStart('*');
            var end = inner.IndexOfAny(ParameterNameEnd);
            names.Add(end < 0 ? inner : inner.Substring(0, end));
            i = close;
        }

        return names;
    }

    /// <summary>
    /// Whether a <c>[assembly: DoNotTrackRoutes]</c> pattern covers a route: equal ignoring case and a trailing
    /// <c>/</c>, or, for a pattern ending in <c>/*</c>, the route is that prefix or below it. The rule is documented on
    /// <c>DoNotTrackRoutesAttribute</c>; keep the two in step.
    /// </summary>
    public static bool IsExcludedBy(string exclusionPattern, string route)
    {
        var normalizedRoute = Normalize(route);
        if (exclusionPattern.EndsWith("/*", StringComparison.Ordinal) || exclusionPattern == "*")
        {
            var prefix = Normalize(exclusionPattern.Substring(0, exclusionPattern.Length - 1));
            return prefix == "/"
                || string.Equals(normalizedRoute, prefix, StringComparison.OrdinalIgnoreCase)
                || normalizedRoute.StartsWith(prefix + "/", StringComparison.OrdinalIgnoreCase);
        }

        return string.Equals(normalizedRoute, Normalize(exclusionPattern), StringComparison.OrdinalIgnoreCase);
    }

    private static string Normalize(string route)
    {
        var trimmed = route.Trim().TrimEnd('/');
        return trimmed.Length == 0 ? "/" : trimmed[0] == '/' ? trimmed : "/" + trimmed;
    }

    /// <summary>
    /// The action the PIWIK001 fix suggests: the literal segments of the route in kebab case, then a verb word
    /// (GET: <c>list</c> when the route ends in a literal, <c>view</c> when it ends in a parameter; POST <c>create</c>;
    /// PUT and PATCH <c>update</c>; DELETE <c>delete</c>; any other or several methods: none). Route parameters are
    /// dropped. <c>POST /orders/{id}/items</c> → <c>orders-items-create</c>; <c>GET /orders/{id}</c> → <c>orders-view</c>.
    /// Without a constant route, the handler's name is used (<c>GetOrder</c> → <c>get-order</c>).
    /// </summary>
    public static string SuggestAction(string verb, string? route, string? handlerName)
    {
        var words = new List<string>();
        var endsWithParameter = false;
        if (route is null)
        {
            if (handlerName is not null)
            {
                var kebab = Kebab(handlerName);
                if (kebab.Length > 0)
                {
                    return kebab;
                }
            }
        }
        else
        {
            foreach (var segment in route.Split('/'))
            {
                if (segment.Length == 0)
                {
                    continue;
                }

                var literal = LiteralPart(segment);
                endsWithParameter = literal.Length < segment.Length;
                var kebab = Kebab(literal);
                if (kebab.Length > 0)
                {
                    words.Add(kebab);
                }
            }
        }

        if (words.Count == 0)
        {
            // The root, or a route of parameters only.
            return verb switch { "GET" => "home", "POST" => "create", "PUT" or "PATCH" => "update", "DELETE" => "delete", _ => "request" };
        }

        var verbWord = verb switch
        {
            "GET" => endsWithParameter ? "view" : "list",
            "POST" => "create",
            "PUT" or "PATCH" => "update",
            "DELETE" => "delete",
            _ => null,
        };
        if (verbWord is not null)
        {
            words.Add(verbWord);
        }

        return string.Join("-", words);
    }

    /// <summary>A segment without its <c>{parameter}</c> parts.</summary>
    private static string LiteralPart(string segment)
    {
        var builder = new StringBuilder();
        var depth = 0;
        foreach (var c in segment)
        {
            if (c == '{')
            {
                depth++;
            }
            else if (c == '}')
            {
                depth = Math.Max(0, depth - 1);
            }
            else if (depth == 0)
            {
                builder.Append(c);
            }
        }

        return builder.ToString();
    }

    /// <summary><c>OrderItems</c>, <c>order_items</c> and <c>order.items</c> all become <c>order-items</c>.</summary>
    private static string Kebab(string text)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (char.IsLetterOrDigit(c))
            {
                var wordBreak = char.IsUpper(c) && i > 0 && (char.IsLower(text[i - 1]) || char.IsDigit(text[i - 1]));
                if (wordBreak && builder.Length > 0 && builder[builder.Length - 1] != '-')
                {
                    builder.Append('-');
                }

                builder.Append(char.ToLowerInvariant(c));
            }
            else if (builder.Length > 0 && builder[builder.Length - 1] != '-')
            {
                builder.Append('-');
            }
        }

        return builder.ToString().Trim('-');
    }
}
