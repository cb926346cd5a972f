using Microsoft.AspNetCore.Http;
using Piwik.Capture;

namespace Piwik.Endpoints;

/// <summary>
/// Wraps the request delegate of an endpoint that is neither <see cref="TrackAsAttribute"/> nor excluded, when
/// <see cref="PiwikOptions.TrackUntrackedEndpointsAsPageViews"/> is on: a page view titled by the route pattern, with the time the endpoint took (<c>pf_srv</c>)
/// (<c>GET /groups/{groupId}</c>), never by the raw path, which may hold identifiers. Recorded when the endpoint answers
/// below 400; exceptions pass through and record nothing.
/// </summary>
internal sealed class PageViewRequestDelegate : RecordingRequestDelegate
{
    private readonly string? _title;
    private readonly string _route;
    private readonly RequestRecorder _recorder;

    /// <param name="next">The endpoint's request delegate.</param>
    /// <param name="title">The title when the endpoint has exactly one HTTP method, else null (the request's method is used).</param>
    /// <param name="route">The route pattern text.</param>
    /// <param name="recorder">The recorder.</param>
    public PageViewRequestDelegate(RequestDelegate next, string? title, string route, RequestRecorder recorder)
        : base(next, timed: true)
    {
        _title = title;
        _route = route;
        _recorder = recorder;
    }

    protected override void Record(HttpContext context, TimeSpan endpointTime)
    {
        // The status the client got, and the time the endpoint took (pf_srv, so Matomo's performance reports show the
        // API's latency per route).
        if (context.Response.StatusCode < 400)
        {
            var serverTime = TrackedValue.FromNumber(Math.Round(endpointTime.TotalMilliseconds));
            _recorder.TryRecord(context, TrackedEventKind.PageView, null, _title ?? context.Request.Method + " " + _route, TrackedValue.None, serverTime);
        }
    }
}
