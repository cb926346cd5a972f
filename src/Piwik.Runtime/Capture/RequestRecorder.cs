using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Microsoft.Net.Http.Headers;
using Piwik.Diagnostics;

namespace Piwik.Capture;

/// <summary>
/// The request path of tracking: privacy admission (Do-Not-Track, Global Privacy Control, the app's consent rule),
/// then a <see cref="TrackedEvent"/> of references to what the request already holds, then one <c>TryWrite</c>.
/// Never throws into the pipeline.
/// </summary>
internal sealed class RequestRecorder
{
    private readonly EventQueue _queue;
    private readonly PiwikMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly bool _enabled;
    private readonly bool _honorDnt;
    private readonly bool _honorGpc;
    private readonly bool _keepQuery;
    private readonly string? _userIdClaim;
    private readonly Func<HttpContext, bool>? _shouldTrack;
    private readonly bool _systemClock;

    public RequestRecorder(EventQueue queue, PiwikMetrics metrics, IOptions<PiwikOptions> options, TimeProvider time)
    {
        _queue = queue;
        _metrics = metrics;
        _time = time;
        _systemClock = ReferenceEquals(time, TimeProvider.System);
        var o = options.Value;
        _enabled = o.Enabled;
        _honorDnt = o.HonorDoNotTrack;
        _honorGpc = o.HonorGlobalPrivacyControl;
        _keepQuery = o.QueryString != QueryStringMode.Omit;
        _userIdClaim = o.UserIdClaim;
        _shouldTrack = o.ShouldTrack;
        DefaultCategory = o.DefaultCategory;
    }

    public bool Enabled => _enabled;

    public string DefaultCategory { get; }

    /// <summary>Whether this request may be recorded at all: tracking on, no DNT or GPC opt-out, the app's consent rule.</summary>
    public bool IsAllowed(HttpContext context) => _enabled && Admits(context, context.Request.Headers);

    /// <summary>Records an event for this request. Returns whether it was queued.</summary>
    public bool TryRecord(HttpContext context, TrackedEventKind kind, string? category, string action, TrackedValue name, TrackedValue value)
    {
        if (!_enabled)
        {
            return false;
        }

        try
        {
            // The request and its headers are fetched once for admission and capture (each fetch checks the feature
            // collection's revision through an interface call).
            var request = context.Request;
            return Admit(context, request.Headers, out var headers) && Enqueue(context, request, in headers, kind, category, action, name, value);
        }
        catch (Exception)
        {
            // Tracking never breaks the request.
            _metrics.AddDropped(DropReason.CaptureFailed);
            return false;
        }
    }

    /// <summary>
    /// Records an event whose name and value are read by accessors (from the request's route values, or from the
    /// handler's arguments through the filter's context), only once the request is admitted: an opted-out request
    /// reads no template. Returns whether it was queued.
    /// </summary>
    public bool TryRecord<TSource>(HttpContext context, string? category, string action, Func<TSource, TrackedValue>? name, Func<TSource, TrackedValue>? value, TSource source)
    {
        if (!_enabled)
        {
            return false;
        }

        try
        {
            var request = context.Request;
            return Admit(context, request.Headers, out var headers)
                && Enqueue(context, request, in headers, TrackedEventKind.Event, category, action, name is null ? default : name(source), value is null ? default : value(source));
        }
        catch (Exception)
        {
            // An accessor failed, or the request did: tracking never breaks the request.
            _metrics.AddDropped(DropReason.CaptureFailed);
            return false;
        }
    }

    /// <summary>
    /// Records an event for a request that <see cref="IsAllowed"/> already admitted: for callers that decide admission
    /// first, so an opted-out request costs them nothing more.
    /// </summary>
    public bool TryRecordAllowed(HttpContext context, TrackedEventKind kind, string? category, string action, TrackedValue name, TrackedValue value)
    {
        try
        {
            var request = context.Request;
            var headers = VisitHeaders.Read(request.Headers);
            return Enqueue(context, request, in headers, kind, category, action, name, value);
        }
        catch (Exception)
        {
            // Tracking never breaks the request.
            _metrics.AddDropped(DropReason.CaptureFailed);
            return false;
        }
    }

    private bool Admits(HttpContext context, IHeaderDictionary headers) =>
        !(_honorDnt && IsOptOut(headers["DNT"]))
        && !(_honorGpc && IsOptOut(headers["Sec-GPC"]))
        && RuleAdmits(context);

    /// <summary>
    /// Admission and the visit's headers, read together: from a plain <see cref="HeaderDictionary"/> (what
    /// <see cref="DefaultHttpContext"/> and the test server use) in one pass over its entries, which costs less than
    /// six case-insensitive lookups; from any other collection (Kestrel's, whose known headers are fields) header by
    /// header, the opt-out signals first.
    /// </summary>
    private bool Admit(HttpContext context, IHeaderDictionary headers, out VisitHeaders visit)
    {
        if (headers.GetType() == typeof(HeaderDictionary) && headers.Count <= VisitHeaders.MaxScanned)
        {
            visit = VisitHeaders.Scan(Unsafe.As<HeaderDictionary>(headers), out var dnt, out var gpc);
            return !(_honorDnt && IsOptOut(dnt)) && !(_honorGpc && IsOptOut(gpc)) && RuleAdmits(context);
        }

        if (Admits(context, headers))
        {
            visit = VisitHeaders.Read(headers);
            return true;
        }

        visit = default;
        return false;
    }

    private bool RuleAdmits(HttpContext context)
    {
        if (_shouldTrack is not { } rule)
        {
            return true;
        }

        try
        {
            return rule(context);
        }
        catch (Exception)
        {
            // A consent rule that fails is no consent.
            return false;
        }
    }

    private bool Enqueue(HttpContext context, HttpRequest request, in VisitHeaders headers, TrackedEventKind kind, string? category, string action, TrackedValue name, TrackedValue value, HitExtras? extras = null)
    {
        var snapshot = new RequestSnapshot(
            request.IsHttps,
            headers.Host, // the raw header: the encoder decodes it as HttpRequest.Host would, off the request path
            request.PathBase.Value,
            request.Path.Value,
            _keepQuery ? request.QueryString.Value : null,
            headers.UserAgent,
            headers.AcceptLanguage,
            headers.Referer,
            context.Connection.RemoteIpAddress);
        var userId = _userIdClaim is null ? null : context.User?.FindFirst(_userIdClaim)?.Value;
        // Only events fall back to the default category; a search without one has none.
        return _queue.TryEnqueue(new TrackedEvent(kind, NowTicks(), kind == TrackedEventKind.Event ? category ?? DefaultCategory : category, action, name, value, snapshot, userId, extras));
    }

    /// <summary>
    /// Records a hit of any kind (a search, goal, order or page view, with its extras) for this request, after admission.
    /// Returns whether it was queued.
    /// </summary>
    public bool TryRecordHit(HttpContext context, TrackedEventKind kind, string? category, string action, TrackedValue name, TrackedValue value, HitExtras? extras)
    {
        if (!_enabled)
        {
            return false;
        }

        try
        {
            var request = context.Request;
            return Admit(context, request.Headers, out var headers) && Enqueue(context, request, in headers, kind, category, action, name, value, extras);
        }
        catch (Exception)
        {
            // Tracking never breaks the request.
            _metrics.AddDropped(DropReason.CaptureFailed);
            return false;
        }
    }

    /// <summary>Records a hit of any kind that has no HTTP request (a background job, a webhook).</summary>
    public bool TryRecordHitDetached(TrackedEventKind kind, string? category, string action, TrackedValue name, TrackedValue value, HitExtras? extras, string? userId)
    {
        if (!_enabled)
        {
            return false;
        }

        try
        {
            return _queue.TryEnqueue(new TrackedEvent(kind, NowTicks(), category, action, name, value, default, userId, extras));
        }
        catch (Exception)
        {
            _metrics.AddDropped(DropReason.CaptureFailed);
            return false;
        }
    }

    /// <summary>UTC ticks now: the coarse clock with the system time (a few ns instead of tens), else the injected provider.</summary>
    private long NowTicks() => _systemClock ? CoarseUtcClock.UtcTicks() : _time.GetUtcNow().UtcTicks;

    private static bool IsOptOut(StringValues value) => value.Count > 0 && value[0] is { } v && v.AsSpan().Trim().SequenceEqual("1");

    /// <summary>The first value of each request header a visit carries (raw: the encoder truncates and encodes).</summary>
    private readonly struct VisitHeaders
    {
        /// <summary>
        /// Up to this many headers one pass over a <see cref="HeaderDictionary"/> is clearly cheaper than six lookups
        /// (each hashes and compares its name); each entry adds ~1.2 ns to the pass, and at 18-20 entries the two cost
        /// the same (<c>HeaderReadBenchmarks</c>).
        /// </summary>
        public const int MaxScanned = 16;

        private VisitHeaders(string? host, string? userAgent, string? acceptLanguage, string? referer)
        {
            Host = host;
            UserAgent = userAgent;
            AcceptLanguage = acceptLanguage;
            Referer = referer;
        }

        public string? Host { get; }

        public string? UserAgent { get; }

        public string? AcceptLanguage { get; }

        public string? Referer { get; }

        public static VisitHeaders Read(IHeaderDictionary headers) =>
            new(First(headers.Host), First(headers.UserAgent), First(headers.AcceptLanguage), First(headers.Referer));

        /// <summary>One pass over the entries: names are told apart by length first, then compared ignoring case, as the
        /// dictionary's own comparer does.</summary>
        public static VisitHeaders Scan(HeaderDictionary headers, out StringValues dnt, out StringValues gpc)
        {
            dnt = default;
            gpc = default;
            string? host = null, userAgent = null, acceptLanguage = null, referer = null;
            foreach (var (name, values) in headers)
            {
                switch (name.Length)
                {
                    case 3 when Is(name, "DNT"):
                        dnt = values;
                        break;
                    case 4 when Is(name, HeaderNames.Host):
                        host = First(values);
                        break;
                    case 7 when Is(name, HeaderNames.Referer):
                        referer = First(values);
                        break;
                    case 7 when Is(name, "Sec-GPC"):
                        gpc = values;
                        break;
                    case 10 when Is(name, HeaderNames.UserAgent):
                        userAgent = First(values);
                        break;
                    case 15 when Is(name, HeaderNames.AcceptLanguage):
                        acceptLanguage = First(values);
                        break;
                }
            }

            return new(host, userAgent, acceptLanguage, referer);
        }

        private static bool Is(string name, string known) => string.Equals(name, known, StringComparison.OrdinalIgnoreCase);

        private static string? First(StringValues values) => values.Count == 0 ? null : values[0];
    }
}
