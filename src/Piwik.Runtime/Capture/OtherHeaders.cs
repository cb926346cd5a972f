using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Primitives;

namespace Piwik.Capture;

/// <summary>
/// The request headers Kestrel has no field for (<c>DNT</c>, <c>Sec-GPC</c>, <c>Sec-CH-UA…</c>), read once per request.
/// <para>
/// Kestrel's collection looks up a name it does not know by comparing it, ignoring case, with each known header name
/// of the same length, and only then in its dictionary of the other headers: 50-75 ns for <c>Sec-GPC</c> or
/// <c>Sec-CH-UA</c>, most of what tracking added to a request (bench/request-path.md). Those headers can only be in
/// that dictionary, so on Kestrel's collection they are read from it directly, and a request without any other header
/// (most API clients) costs no lookup at all. This reads a protected field of Kestrel's internal type
/// (<c>HttpHeaders.MaybeUnknown</c>, unchanged since ASP.NET Core 2.1) through an <see cref="UnsafeAccessorAttribute"/>,
/// which Native AOT supports; it is trusted only on the ASP.NET Core major version whose known-header list was checked
/// (10: none of these names is known there) and only once it has been read successfully. Anywhere else (another
/// server, a test host, another version, a failure) the collection's own indexer is used.
/// </para>
/// </summary>
internal readonly struct OtherHeaders
{
    private const string KestrelHeaders = "Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpRequestHeaders";
    private const int CheckedMajorVersion = 10;
    private static Type? s_kestrel; // Kestrel's request header type, once the field has been read on it
    private static Type? s_other; // the last type that is not (or whose field could not be read): the indexer

    private readonly IHeaderDictionary? _headers;
    private readonly Dictionary<string, StringValues>? _others;

    private OtherHeaders(IHeaderDictionary? headers, Dictionary<string, StringValues>? others)
    {
        _headers = headers;
        _others = others;
    }

    /// <summary>Whether Kestrel's collection has been read directly (for tests: the path production takes).</summary>
    internal static bool ReadsKestrelDirectly => s_kestrel is not null;

    /// <summary>The headers of <paramref name="headers"/> without a known name.</summary>
    public static OtherHeaders Of(IHeaderDictionary headers)
    {
        var type = headers.GetType();
        if (ReferenceEquals(type, s_kestrel))
        {
            return new(null, MaybeUnknown(headers));
        }

        if (!ReferenceEquals(type, s_other) && IsKestrels(type))
        {
            try
            {
                var others = MaybeUnknown(headers);
                s_kestrel = type;
                return new(null, others);
            }
            catch (Exception)
            {
                // Kestrel's internals changed: its own indexer from now on.
            }
        }

        s_other = type;
        return new(headers, null);
    }

    /// <summary>The first value of the header <paramref name="name"/> (any case), or null.</summary>
    public string? First(string name)
    {
        StringValues values;
        if (_headers is not null)
        {
            values = _headers[name];
        }
        else if (_others is null || !_others.TryGetValue(name, out values))
        {
            return null;
        }

        return FirstValue(values);
    }

    /// <summary>The first of a header's values, or null.</summary>
    public static string? FirstValue(StringValues values) => values.Count == 0 ? null : values[0];

    private static bool IsKestrels(Type type) =>
        type.FullName == KestrelHeaders && type.Assembly.GetName().Version?.Major == CheckedMajorVersion;

    [UnsafeAccessor(UnsafeAccessorKind.Field, Name = "MaybeUnknown")]
    private static extern ref Dictionary<string, StringValues>? MaybeUnknown(
        [UnsafeAccessorType("Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpHeaders, Microsoft.AspNetCore.Server.Kestrel.Core")] object headers);
}
