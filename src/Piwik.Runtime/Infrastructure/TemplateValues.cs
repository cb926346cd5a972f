using System.ComponentModel;
using System.Globalization;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;
using Piwik.Shared;

namespace Piwik.Infrastructure;

/// <summary>
/// How a template placeholder becomes text or a number: the one place for generated accessors and the runtime's own
/// route-value accessors. Only scalars have a text, each in an invariant, documented format (docs/privacy.md); no
/// object is ever rendered with its <c>ToString()</c>.
/// </summary>
/// <remarks>Infrastructure for generated code; not meant to be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public static class TemplateValues
{
    /// <summary><c>true</c> or <c>false</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Text(bool value) => value ? "true" : "false";

    /// <summary>The character itself.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Text(char value) => value.ToString();

    /// <summary>Lower-case with hyphens (<c>D</c>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Text(Guid value) => value.ToString("D", CultureInfo.InvariantCulture);

    /// <summary>ISO 8601, round-trip (<c>O</c>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Text(DateTime value) => value.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>ISO 8601 with the offset, round-trip (<c>O</c>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Text(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>ISO 8601 date, <c>yyyy-MM-dd</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Text(DateOnly value) => value.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>ISO 8601 time, <c>HH:mm:ss.fffffff</c>.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Text(TimeOnly value) => value.ToString("O", CultureInfo.InvariantCulture);

    /// <summary>The constant format, <c>[-][d.]hh:mm:ss[.fffffff]</c> (<c>c</c>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string Text(TimeSpan value) => value.ToString("c", CultureInfo.InvariantCulture);

    /// <summary>The URI as it was given (<see cref="Uri.OriginalString"/>).</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text, or <c>null</c>.</returns>
    public static string? Text(Uri? value) => value?.OriginalString;

    /// <summary>The nullable form.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text, or <c>null</c>.</returns>
    public static string? Text(bool? value) => value is { } v ? Text(v) : null;

    /// <summary>The nullable form.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text, or <c>null</c>.</returns>
    public static string? Text(char? value) => value is { } v ? Text(v) : null;

    /// <summary>The nullable form.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text, or <c>null</c>.</returns>
    public static string? Text(Guid? value) => value is { } v ? Text(v) : null;

    /// <summary>The nullable form.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text, or <c>null</c>.</returns>
    public static string? Text(DateTime? value) => value is { } v ? Text(v) : null;

    /// <summary>The nullable form.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text, or <c>null</c>.</returns>
    public static string? Text(DateTimeOffset? value) => value is { } v ? Text(v) : null;

    /// <summary>The nullable form.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text, or <c>null</c>.</returns>
    public static string? Text(DateOnly? value) => value is { } v ? Text(v) : null;

    /// <summary>The nullable form.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text, or <c>null</c>.</returns>
    public static string? Text(TimeOnly? value) => value is { } v ? Text(v) : null;

    /// <summary>The nullable form.</summary>
    /// <param name="value">The value.</param>
    /// <returns>The text, or <c>null</c>.</returns>
    public static string? Text(TimeSpan? value) => value is { } v ? Text(v) : null;

    /// <summary>The member's name (flags: <c>Read, Write</c>; an undefined value: its number).</summary>
    /// <typeparam name="TEnum">The enum type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The text.</returns>
    public static string EnumText<TEnum>(TEnum value)
        where TEnum : struct, Enum => value.ToString();

    /// <summary>The nullable form.</summary>
    /// <typeparam name="TEnum">The enum type.</typeparam>
    /// <param name="value">The value.</param>
    /// <returns>The text, or <c>null</c>.</returns>
    public static string? EnumText<TEnum>(TEnum? value)
        where TEnum : struct, Enum => value is { } v ? v.ToString() : null;

    /// <summary>A route value as text: a string as it is (route values are strings), another scalar in its format, anything else nothing.</summary>
    /// <param name="context">The request.</param>
    /// <param name="name">The route parameter's name.</param>
    /// <returns>The text, or <c>null</c>.</returns>
    public static string? RouteText(HttpContext context, string name) => ScalarText(context.Request.RouteValues[name]);

    /// <summary>A route value read as a number (invariant culture); none when it is absent or not a number.</summary>
    /// <param name="context">The request.</param>
    /// <param name="name">The route parameter's name.</param>
    /// <returns>The number, or <see cref="TrackedValue.None"/>.</returns>
    public static TrackedValue RouteNumber(HttpContext context, string name) => RouteNumber(context, name, ScalarKind.Double);

    /// <summary>
    /// A route value parsed as the handler parameter of <paramref name="kind"/> would be: an <c>int</c> or <c>long</c>
    /// with <see cref="NumberStyles.Integer"/> (as ASP.NET Core binds it), anything else as a <see cref="double"/>.
    /// The one parse of route numbers, for generated code and the runtime alike.
    /// </summary>
    internal static TrackedValue RouteNumber(HttpContext context, string name, ScalarKind kind) =>
        Number(context.Request.RouteValues[name] as string, kind);

    /// <summary>
    /// A query value as ASP.NET Core hands it to a <c>string</c> parameter: null when absent, else its values as one
    /// string (several joined with commas, by <see cref="StringValues"/>' own conversion). The binding parsed the
    /// query already: this reads the parsed collection, no allocation.
    /// </summary>
    internal static string? QueryText(HttpContext context, string name)
    {
        var values = context.Request.Query[name];
        return values.Count > 0 ? (string?)values : null;
    }

    /// <summary>A query value parsed as <see cref="RouteNumber(HttpContext, string, ScalarKind)"/> parses a route value.</summary>
    internal static TrackedValue QueryNumber(HttpContext context, string name, ScalarKind kind) => Number(QueryText(context, name), kind);

    private static TrackedValue Number(string? text, ScalarKind kind)
    {
        if (text is null)
        {
            return TrackedValue.None; // an optional value left out: null, as the argument is
        }

        return kind switch
        {
            ScalarKind.Int32 => int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) ? TrackedValue.FromNumber(i) : TrackedValue.None,
            ScalarKind.Int64 => long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var l) ? TrackedValue.FromNumber(l) : TrackedValue.None,
            _ => double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? TrackedValue.FromNumber(d) : TrackedValue.None,
        };
    }

    /// <summary>
    /// The value of type <typeparamref name="T"/> the handler's result carries (<c>{result}</c>): the returned object
    /// itself, or the value of a typed result (<c>Ok&lt;T&gt;</c>, <c>Created&lt;T&gt;</c>..., the arm a
    /// <c>Results&lt;…&gt;</c> holds). <c>null</c> when the result carries none (another arm) or the endpoint filter
    /// did not keep it.
    /// </summary>
    /// <typeparam name="T">The value's type, as the generator found it from the handler's return type.</typeparam>
    /// <param name="context">The invocation context the accessor was given.</param>
    /// <returns>The value, or <c>null</c>.</returns>
    public static T? Result<T>(EndpointFilterInvocationContext context)
        where T : class => global::Piwik.Endpoints.ResultCapture.Unwrap<T>(context, out var value) ? value : null;

    /// <summary>The value form of <see cref="Result{T}"/>, for a value type.</summary>
    /// <typeparam name="T">The value's type.</typeparam>
    /// <param name="context">The invocation context the accessor was given.</param>
    /// <returns>The value, or <c>null</c>.</returns>
    public static T? ResultValue<T>(EndpointFilterInvocationContext context)
        where T : struct => global::Piwik.Endpoints.ResultCapture.Unwrap<T>(context, out var value) ? value : null;

    /// <summary>The most order lines read from one collection (<see cref="TrackOrderAttribute.Items"/>); the rest are left out.</summary>
    public const int MaxOrderLines = 100;

    /// <summary>The order lines of a collection (<see cref="TrackOrderAttribute.Items"/>): null elements skipped, at most <see cref="MaxOrderLines"/>.</summary>
    /// <typeparam name="T">The element type.</typeparam>
    /// <param name="items">The collection, or <c>null</c>.</param>
    /// <param name="line">Reads one element's members (generated).</param>
    /// <returns>The lines, or <c>null</c> for no collection.</returns>
    public static TrackedOrderLine[]? Lines<T>(IEnumerable<T>? items, Func<T, TrackedOrderLine> line)
    {
        if (items is null)
        {
            return null;
        }

        var lines = new List<TrackedOrderLine>(items is ICollection<T> collection ? Math.Min(collection.Count, MaxOrderLines) : 4);
        foreach (var item in items)
        {
            if (lines.Count == MaxOrderLines)
            {
                break;
            }

            if (item is not null)
            {
                lines.Add(line(item));
            }
        }

        return [.. lines];
    }

    /// <summary>The text of a boxed scalar (a route value's default may be one); <c>null</c> for anything else.</summary>
    internal static string? ScalarText(object? value) => value switch
    {
        null => null,
        string s => s,
        bool b => Text(b),
        char c => Text(c),
        Guid g => Text(g),
        DateTime d => Text(d),
        DateTimeOffset o => Text(o),
        DateOnly d => Text(d),
        TimeOnly t => Text(t),
        TimeSpan t => Text(t),
        Uri u => Text(u),
        Enum e => e.ToString(),
        sbyte or byte or short or ushort or int or uint or long or ulong or float or double or decimal => ((IFormattable)value).ToString(null, CultureInfo.InvariantCulture),
        _ => null, // never an object's ToString(): it may hold anything (a password in a record)
    };
}
