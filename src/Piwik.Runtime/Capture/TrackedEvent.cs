using System.Net;

namespace Piwik.Capture;

/// <summary>What kind of Matomo request an event becomes.</summary>
internal enum TrackedEventKind : byte
{
    /// <summary>An event (<c>e_c</c>, <c>e_a</c>, <c>ca=1</c>).</summary>
    Event = 0,

    /// <summary>A page view named by <see cref="TrackedEvent.Action"/> (<c>action_name</c>); its value is the server time in ms (<c>pf_srv</c>).</summary>
    PageView = 1,

    /// <summary>A site search: the keyword is <see cref="TrackedEvent.Action"/>, the category <see cref="TrackedEvent.Category"/>, the result count the value.</summary>
    Search = 2,

    /// <summary>A manual goal conversion (<c>idgoal</c>, <c>revenue</c>), from <see cref="TrackedEvent.Extras"/>.</summary>
    Goal = 3,

    /// <summary>An ecommerce order (<c>idgoal=0</c>, <c>ec_id</c>, ...), from <see cref="TrackedEvent.Extras"/>.</summary>
    Order = 4,
}

/// <summary>
/// One recorded event, as the request path hands it to the sender: references to strings the request already holds,
/// a timestamp and a few numbers. No formatting, encoding or hashing happens until the background sender takes it.
/// A struct, so the queue's ring (<see cref="EventRing"/>) stores it inline and the request path allocates nothing for it.
/// </summary>
internal readonly struct TrackedEvent
{
    public TrackedEvent(
        TrackedEventKind kind,
        long timestampTicks,
        string? category,
        string action,
        TrackedValue name,
        TrackedValue value,
        in RequestSnapshot request,
        string? userId,
        HitExtras? extras = null)
    {
        Kind = kind;
        TimestampTicks = timestampTicks;
        Category = category;
        Action = action;
        Name = name;
        Value = value;
        Request = request;
        UserId = userId;
        Extras = extras;
    }

    public TrackedEventKind Kind { get; }

    /// <summary>UTC ticks (<see cref="DateTime.Ticks"/>) of the time the request was recorded.</summary>
    public long TimestampTicks { get; }

    /// <summary>Event category (<c>e_c</c>); unused for page views.</summary>
    public string? Category { get; }

    /// <summary>Event action (<c>e_a</c>), or the page title (<c>action_name</c>) of a page view.</summary>
    public string Action { get; }

    /// <summary>Event name (<c>e_n</c>), text or number; <see cref="TrackedValue.None"/> when absent.</summary>
    public TrackedValue Name { get; }

    /// <summary>Event value (<c>e_v</c>); only a number is sent.</summary>
    public TrackedValue Value { get; }

    public RequestSnapshot Request { get; }

    /// <summary>The signed-in user's id, raw; hashed or not by the encoder according to the options.</summary>
    public string? UserId { get; }

    /// <summary>The goal or order, and the hit's own custom dimensions; null for a plain event or page view.</summary>
    public HitExtras? Extras { get; }
}

/// <summary>
/// The parts of the visitor's request an event carries: references to strings the request already holds, or, for a
/// value longer than Matomo keeps, a copy of the part that is sent (<see cref="Encoding.CaptureLimits"/>), so a queued event
/// never keeps a large request alive.
/// </summary>
internal readonly struct RequestSnapshot
{
    public RequestSnapshot(
        bool isHttps,
        string? host,
        string? pathBase,
        string? path,
        string? query,
        string? userAgent,
        string? acceptLanguage,
        string? referrer,
        IPAddress? remoteIp,
        ClientHints? clientHints = null)
    {
        ClientHints = clientHints;
        IsHttps = isHttps;
        Host = host;
        PathBase = pathBase;
        Path = path;
        Query = query;
        UserAgent = userAgent;
        AcceptLanguage = acceptLanguage;
        Referrer = referrer;
        RemoteIp = remoteIp;
    }

    public bool IsHttps { get; }

    /// <summary>The raw Host header (host and optional port, IDN still in punycode); <c>null</c> for events without a request.</summary>
    public string? Host { get; }

    public string? PathBase { get; }

    public string? Path { get; }

    /// <summary>Raw query string including its leading <c>?</c>, or <c>null</c> (also when the options send none of it).</summary>
    public string? Query { get; }

    public string? UserAgent { get; }

    public string? AcceptLanguage { get; }

    public string? Referrer { get; }

    public IPAddress? RemoteIp { get; }

    /// <summary>The User-Agent Client Hints the browser sent (raw header values), sent as <c>uadata</c>; null when none.</summary>
    public ClientHints? ClientHints { get; }
}

/// <summary>
/// The raw <c>Sec-CH-UA-*</c> request headers Matomo's device detection reads (each <c>null</c> when not sent):
/// Chromium browsers send the first three on every request, the others once the app asks for them with
/// <c>Accept-CH</c>. A class, not a struct: most requests carry none, and every event is copied into and out of the
/// queue, so seven mostly-null references inline would be copied (with GC write barriers) for nothing.
/// </summary>
internal sealed record ClientHints(
    string? Brands,
    string? Mobile,
    string? Platform,
    string? PlatformVersion,
    string? Model,
    string? FullVersionList,
    string? FormFactors)
{
    public bool IsEmpty => Brands is null && Mobile is null && Platform is null && PlatformVersion is null && Model is null && FullVersionList is null && FormFactors is null;
}
