using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using Piwik.Diagnostics;
using Piwik.Encoding;

namespace Piwik.Capture;

/// <summary>
/// The request path of tracking: privacy admission (Do-Not-Track, Global Privacy Control, the app's consent rule),
/// then a <see cref="TrackedEvent"/> of references to what the request already holds (a value longer than Matomo keeps
/// is copied cut, <see cref="CaptureLimits"/>), then one <c>TryWrite</c>. No encoding here. Never throws into the
/// pipeline.
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
        _keepQuery = TrackedUrls.NeedsQuery(o);
        _userIdClaim = o.UserIdClaim;
        _shouldTrack = o.ShouldTrack;
        DefaultCategory = o.DefaultCategory;
    }

    /// <summary>The metrics, for callers on the request path that count their own capture failures.</summary>
    public PiwikMetrics Metrics => _metrics;

    public bool Enabled => _enabled;

    public string DefaultCategory { get; }

    /// <summary>Whether this request may be recorded at all: tracking on, no DNT or GPC opt-out, the app's consent rule.</summary>
    public bool IsAllowed(HttpContext context) => _enabled && Admits(context, OtherHeaders.Of(context.Request.Headers));

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
    public bool TryRecordAllowed(HttpContext context, TrackedEventKind kind, string? category, string action, TrackedValue name, TrackedValue value, HitExtras? extras = null)
    {
        try
        {
            var request = context.Request;
            var requestHeaders = request.Headers;
            var headers = VisitHeaders.Read(requestHeaders, OtherHeaders.Of(requestHeaders));
            return Enqueue(context, request, in headers, kind, category, action, name, value, extras);
        }
        catch (Exception)
        {
            // Tracking never breaks the request.
            _metrics.AddDropped(DropReason.CaptureFailed);
            return false;
        }
    }

    private bool Admits(HttpContext context, OtherHeaders others) =>
        !(_honorDnt && IsOptOut(others.First("DNT")))
        && !(_honorGpc && IsOptOut(others.First("Sec-GPC")))
        && RuleAdmits(context);

    /// <summary>Admission (the opt-out signals first), then the visit's headers.</summary>
    private bool Admit(HttpContext context, IHeaderDictionary headers, out VisitHeaders visit)
    {
        var others = OtherHeaders.Of(headers);
        if (Admits(context, others))
        {
            visit = VisitHeaders.Read(headers, others);
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
            CaptureLimits.Cut(headers.Host, CaptureLimits.Url), // raw: the encoder checks and normalises it, off the request path
            CaptureLimits.Cut(request.PathBase.Value, CaptureLimits.Url),
            CaptureLimits.Cut(request.Path.Value, CaptureLimits.Url),
            _keepQuery ? CaptureLimits.Cut(request.QueryString.Value, CaptureLimits.Url) : null,
            CaptureLimits.Cut(headers.UserAgent, CaptureLimits.UserAgent),
            CaptureLimits.Cut(headers.AcceptLanguage, CaptureLimits.Language),
            CaptureLimits.Cut(headers.Referer, CaptureLimits.Url),
            context.Connection.RemoteIpAddress,
            headers.ClientHints);
        var userId = _userIdClaim is null ? null : context.User?.FindFirst(_userIdClaim)?.Value;
        return _queue.TryEnqueue(Bounded(kind, category, action, name, value, snapshot, userId, extras));
    }

    /// <summary>
    /// The event, its own fields cut to what is sent (the request's parts are cut as they are read). Only events fall
    /// back to the default category; a search without one has none.
    /// </summary>
    private TrackedEvent Bounded(TrackedEventKind kind, string? category, string action, TrackedValue name, TrackedValue value, in RequestSnapshot request, string? userId, HitExtras? extras = null)
    {
        if (name.Text is { Length: > CaptureLimits.EventField } text)
        {
            name = TrackedValue.FromText(CaptureLimits.Cut(text, CaptureLimits.EventField));
        }

        return new TrackedEvent(
            kind,
            NowTicks(),
            CaptureLimits.Cut(kind == TrackedEventKind.Event ? category ?? DefaultCategory : category, CaptureLimits.EventField),
            CaptureLimits.Cut(action, CaptureLimits.EventField)!,
            name,
            value,
            request,
            CaptureLimits.Cut(userId, CaptureLimits.UserId),
            extras);
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
            return _queue.TryEnqueue(Bounded(kind, category, action, name, value, default, userId, extras));
        }
        catch (Exception)
        {
            _metrics.AddDropped(DropReason.CaptureFailed);
            return false;
        }
    }

    /// <summary>UTC ticks now: the coarse clock with the system time (a few ns instead of tens), else the injected provider.</summary>
    private long NowTicks() => _systemClock ? CoarseUtcClock.UtcTicks() : _time.GetUtcNow().UtcTicks;

    private static bool IsOptOut(string? value) => value is not null && value.AsSpan().Trim().SequenceEqual("1");

    /// <summary>The first value of each request header a visit carries (raw: the encoder truncates and encodes).</summary>
    private readonly struct VisitHeaders
    {
        private VisitHeaders(string? host, string? userAgent, string? acceptLanguage, string? referer, ClientHints? clientHints)
        {
            Host = host;
            UserAgent = userAgent;
            AcceptLanguage = acceptLanguage;
            Referer = referer;
            ClientHints = clientHints;
        }

        public string? Host { get; }

        public string? UserAgent { get; }

        public string? AcceptLanguage { get; }

        public string? Referer { get; }

        public ClientHints? ClientHints { get; }

        public static VisitHeaders Read(IHeaderDictionary headers, OtherHeaders others) =>
            new(
                OtherHeaders.FirstValue(headers.Host),
                OtherHeaders.FirstValue(headers.UserAgent),
                OtherHeaders.FirstValue(headers.AcceptLanguage),
                OtherHeaders.FirstValue(headers.Referer),
                ReadClientHints(others));

        /// <summary>
        /// The client hints, looked up only when the browser sends <c>Sec-CH-UA</c> (every Chromium browser does, and no
        /// other): one lookup for the others.
        /// </summary>
        private static ClientHints? ReadClientHints(OtherHeaders headers)
        {
            var brands = headers.First("Sec-CH-UA");
            if (brands is null)
            {
                return null;
            }

            return new ClientHints(
                CaptureLimits.Cut(brands, CaptureLimits.ClientHint),
                Hint(headers, "Sec-CH-UA-Mobile"),
                Hint(headers, "Sec-CH-UA-Platform"),
                Hint(headers, "Sec-CH-UA-Platform-Version"),
                Hint(headers, "Sec-CH-UA-Model"),
                Hint(headers, "Sec-CH-UA-Full-Version-List"),
                Hint(headers, "Sec-CH-UA-Form-Factors"));
        }

        private static string? Hint(OtherHeaders headers, string name) => CaptureLimits.Cut(headers.First(name), CaptureLimits.ClientHint);
    }
}
