using System;
using System.Collections.Generic;
using System.Globalization;
using System.Text;

namespace Piwik.Shared;

/// <summary>
/// Where a placeholder's value comes from. The generator decides it at compile time (the analyzer reports the same
/// verdict); the runtime reads the decision from the generated table instead of deciding again.
/// </summary>
/// <remarks>New sources are added at the end: the table stores the letter of <see cref="PlaceholderBinding.Format"/>.</remarks>
internal enum BindingSource : byte
{
    /// <summary>A route value that is not a handler parameter (a group prefix's). Route values are strings.</summary>
    RouteValue,

    /// <summary>A whole handler parameter.</summary>
    Parameter,

    /// <summary>A member path on a handler parameter (<c>{order.Total}</c>).</summary>
    Member,

    /// <summary>
    /// The handler's result, or a member path on it (<c>{result}</c>, <c>{result.Id}</c>): the value it returned
    /// (through <c>Task&lt;T&gt;</c>), or the value a typed result carries (<c>Ok&lt;T&gt;</c>, a <c>Results&lt;…&gt;</c> arm).
    /// </summary>
    Result,
}

/// <summary>
/// The type a placeholder resolves to. Only scalars can be recorded: a placeholder of any other type (a record, a
/// collection, <c>object</c>) is a compile error (PIWIK012) and is never rendered, so no object's <c>ToString()</c>
/// reaches Matomo. Nullable forms have the kind of their underlying type.
/// </summary>
internal enum ScalarKind : byte
{
    /// <summary>Not a scalar: records, classes, structs, collections, arrays, <c>object</c>, <c>dynamic</c>.</summary>
    NotScalar,
    String,
    Char,
    Boolean,
    SByte,
    Byte,
    Int16,
    UInt16,
    Int32,
    UInt32,
    Int64,
    UInt64,
    Single,
    Double,
    Decimal,
    Enum,
    Guid,
    DateTime,
    DateTimeOffset,
    DateOnly,
    TimeOnly,
    TimeSpan,
    Uri,
}

/// <summary>What one placeholder of a <c>Name</c> or <c>Value</c> template binds to.</summary>
/// <param name="Source">Route value, handler parameter, member path or the handler's result.</param>
/// <param name="Root">The route value's or parameter's name (without <c>@</c>); <c>result</c> for the result.</param>
/// <param name="ParameterIndex">The handler parameter's position; -1 for a route value or the result.</param>
/// <param name="MemberPath">The members after the root, dot-separated (<c>Address.City</c>); empty when there are none.</param>
/// <param name="Kind">The scalar kind of the final value.</param>
/// <param name="BindsFromRoute">
/// For a <see cref="BindingSource.Parameter"/>: ASP.NET Core binds it from the route value of its own name whenever the
/// route has one (no <c>[FromQuery]</c>, <c>[FromBody]</c>, <c>[FromServices]</c>, <c>[AsParameters]</c>, renamed
/// <c>[FromRoute]</c>...). Only the route pattern, known at start-up, then says whether it does.
/// </param>
/// <param name="BindsFromQuery">
/// For a <see cref="BindingSource.Parameter"/>: ASP.NET Core binds it from the query value of its own name when it
/// does not bind from the route: a parameter with no binding attribute whose name the route does not have, or one
/// with <c>[FromQuery]</c> that does not rename it.
/// </param>
internal sealed record PlaceholderBinding(BindingSource Source, string Root, int ParameterIndex, string MemberPath, ScalarKind Kind, bool BindsFromRoute, bool BindsFromQuery = false)
{
    /// <summary>A route value that is not a handler parameter.</summary>
    public static PlaceholderBinding RouteValue(string name) => new(BindingSource.RouteValue, name, -1, string.Empty, ScalarKind.String, BindsFromRoute: true);

    /// <summary>The name that reads the handler's result in a template (unless a handler parameter has that name).</summary>
    public const string ResultRoot = "result";

    /// <summary>The handler's result (<paramref name="memberPath"/> empty) or a member path on it.</summary>
    public static PlaceholderBinding Result(string memberPath, ScalarKind kind) => new(BindingSource.Result, ResultRoot, -1, memberPath, kind, BindsFromRoute: false);

    /// <summary>Whether any of the bindings reads the handler's result (the endpoint filter then keeps it).</summary>
    public static bool ReadsResult(IEnumerable<PlaceholderBinding>? bindings)
    {
        if (bindings is null)
        {
            return false;
        }

        foreach (var binding in bindings)
        {
            if (binding.Source == BindingSource.Result)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether the value is a number (Matomo's <c>e_v</c> takes only those).</summary>
    public bool IsNumber => IsNumeric(Kind);

    /// <summary>Whether a kind is one of the built-in numeric types.</summary>
    public static bool IsNumeric(ScalarKind kind) => kind is >= ScalarKind.SByte and <= ScalarKind.Decimal;

    /// <summary>
    /// The binding as one token of a generated table: <c>r:name</c> for a route value, <c>p0:Int32:RQ:id</c> for a
    /// parameter (<c>R</c>: binds from the route when it has the name; <c>Q</c>: else from the query; <c>-</c>:
    /// neither), <c>m0:Decimal:Total.Amount</c> for a member path,
    /// <c>x:Int32:Id</c> for a member of the handler's result (<c>x:Int32:</c> for the result itself).
    /// </summary>
    public string Format() => Source switch
    {
        BindingSource.RouteValue => "r:" + Root,
        BindingSource.Result => "x:" + Kind + ":" + MemberPath,
        BindingSource.Parameter => "p" + ParameterIndex.ToString(CultureInfo.InvariantCulture) + ":" + Kind + ":" + Sources() + ":" + Root,
        _ => "m" + ParameterIndex.ToString(CultureInfo.InvariantCulture) + ":" + Kind + ":" + MemberPath + ":" + Root,
    };

    private string Sources() => (BindsFromRoute, BindsFromQuery) switch
    {
        (true, true) => "RQ",
        (true, false) => "R",
        (false, true) => "Q",
        _ => "-",
    };

    /// <summary>The bindings of a template's placeholders, in order, as one table field (<c>,</c>-separated).</summary>
    public static string FormatAll(IEnumerable<PlaceholderBinding> bindings)
    {
        var text = new StringBuilder();
        foreach (var binding in bindings)
        {
            if (text.Length > 0)
            {
                text.Append(',');
            }

            text.Append(binding.Format());
        }

        return text.ToString();
    }

    /// <summary>Reads a field written by <see cref="FormatAll"/>; null when it is malformed (the caller then falls back).</summary>
    public static List<PlaceholderBinding>? ParseAll(string text)
    {
        var bindings = new List<PlaceholderBinding>();
        if (text.Length == 0)
        {
            return bindings;
        }

        foreach (var token in text.Split(','))
        {
            if (Parse(token) is not { } binding)
            {
                return null;
            }

            bindings.Add(binding);
        }

        return bindings;
    }

    /// <summary>The digits after the source letter (<c>p12</c>: 12); null when there are none or too many.</summary>
    private static int? ParseIndex(string token)
    {
        if (token.Length > 9)
        {
            return null;
        }

        var index = 0;
        for (var i = 1; i < token.Length; i++)
        {
            if (token[i] is < '0' or > '9')
            {
                return null;
            }

            index = (index * 10) + (token[i] - '0');
        }

        return index;
    }

    private static PlaceholderBinding? Parse(string token)
    {
        if (token.StartsWith("r:", StringComparison.Ordinal))
        {
            return token.Length > 2 ? RouteValue(token.Substring(2)) : null;
        }

        var parts = token.Split(':');
        if (parts.Length == 3 && parts[0] == "x")
        {
            return Enum.TryParse<ScalarKind>(parts[1], ignoreCase: false, out var resultKind) && resultKind != ScalarKind.NotScalar
                ? Result(parts[2], resultKind)
                : null;
        }

        if (parts.Length != 4 || parts[0].Length < 2 || (parts[0][0] != 'p' && parts[0][0] != 'm')
            || ParseIndex(parts[0]) is not { } index
            || !Enum.TryParse<ScalarKind>(parts[1], ignoreCase: false, out var kind)
            || parts[3].Length == 0)
        {
            return null;
        }

        return parts[0][0] == 'p'
            ? parts[2] is "RQ" or "R" or "Q" or "-" ? new PlaceholderBinding(BindingSource.Parameter, parts[3], index, string.Empty, kind, parts[2] is "RQ" or "R", parts[2] is "RQ" or "Q") : null
            : parts[2].Length > 0 ? new PlaceholderBinding(BindingSource.Member, parts[3], index, parts[2], kind, BindsFromRoute: false) : null;
    }
}
