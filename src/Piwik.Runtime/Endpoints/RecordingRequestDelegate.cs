using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Piwik.Endpoints;

/// <summary>
/// Wraps an endpoint's request delegate and records once the response is complete, from the status the client got.
/// A synchronous endpoint costs no state machine; exceptions pass through and record nothing.
/// </summary>
/// <remarks>
/// <para>
/// Recorded from <see cref="HttpResponse.OnCompleted(Func{object, Task}, object)"/>, not when the endpoint returns:
/// until the response is complete the middleware around the endpoint can still make the request fail. A unit of work
/// whose commit throws after a bodiless endpoint answered (the client gets a 500), a middleware that changes a status
/// nothing was sent for: both record nothing. Kestrel runs the callbacks after the response's last bytes, before the
/// connection's next request, and keeps them in a stack it reuses, so registering one allocates nothing. A response the
/// endpoint has started (a body written) has its status line out already: it is recorded at once, from the same status.
/// A server that refuses the callback gets the outcome recorded at once, from the status the endpoint left.
/// </para>
/// <para>
/// Once an endpoint has written its body the status line is gone: a failure after that closes the connection without
/// changing the status, and the request is recorded (the server does not tell an app whose response broke off, and
/// finding out would put a middleware in front of every request of the app).
/// </para>
/// </remarks>
internal abstract class RecordingRequestDelegate
{
    private readonly RequestDelegate _next;
    private readonly bool _timed;
    private readonly Func<object, Task> _completed;
    private bool _cacheable;

    /// <param name="next">The endpoint's request delegate.</param>
    /// <param name="timed">Whether <see cref="Record"/> needs the endpoint's own time (a clock read per request otherwise saved).</param>
    protected RecordingRequestDelegate(RequestDelegate next, bool timed = false)
    {
        _next = next;
        _timed = timed;
        _completed = Completed;
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (_cacheable)
        {
            context.Features.Set(EndpointRan.Instance); // this request is the endpoint's, not the output cache's
        }

        var started = _timed ? Stopwatch.GetTimestamp() : 0;
        var pending = _next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAsync(context, pending, started);
        }

        RecordOnCompletion(context, started);
        return Task.CompletedTask;
    }

    /// <summary>Records what the finished request calls for, from the status the client got. Must not throw.</summary>
    /// <param name="context">The request, its response complete.</param>
    /// <param name="endpointTime">The time the endpoint took, when timed; else zero.</param>
    protected abstract void Record(HttpContext context, TimeSpan endpointTime);

    /// <summary>The output cache may answer this endpoint's requests (<see cref="CachedResponseRecording"/>): each request that runs it is marked.</summary>
    internal void MarkCacheable() => _cacheable = true;

    /// <summary>
    /// Records a request the output cache may have answered (<see cref="CachedResponseRecording"/>), its response
    /// complete: as the endpoint's own, with no time of the endpoint's, unless the endpoint ran (a stale entry), whose
    /// own recording stands.
    /// </summary>
    internal void RecordServedFromCache(HttpContext context)
    {
        if (context.Features.Get<EndpointRan>() is null)
        {
            Record(context, TimeSpan.Zero);
        }
    }

    /// <summary>
    /// Runs <paramref name="completed"/> once the response's status is final: at its completion, or now when the response
    /// has started (its status line is out, nothing after can change it: the callback would read the same status, and a
    /// response with a body, most of them, is spared its cost), or now when the server refuses the callback.
    /// </summary>
    internal static void OnCompletion(HttpContext context, Func<object, Task> completed, object state)
    {
        try
        {
            var response = context.Response;
            if (!response.HasStarted)
            {
                response.OnCompleted(completed, state);
                return;
            }
        }
        catch (Exception)
        {
            // A server without completion callbacks: the status as it stands.
        }

        completed(state);
    }

    private void RecordOnCompletion(HttpContext context, long started)
    {
        if (!_timed)
        {
            OnCompletion(context, _completed, context);
            return;
        }

        // A timed endpoint's time is its own, not the response's transfer: read now, and kept with the request only when
        // its recording waits for the completion (one small object per page view answered without a body).
        var endpointTime = Stopwatch.GetElapsedTime(started);
        if (context.Response.HasStarted)
        {
            Record(context, endpointTime);
        }
        else
        {
            OnCompletion(context, _completed, new TimedRequest(context, endpointTime));
        }
    }

    private Task Completed(object state)
    {
        if (state is TimedRequest timed)
        {
            Record(timed.Context, timed.EndpointTime);
        }
        else
        {
            Record((HttpContext)state, TimeSpan.Zero);
        }

        return Task.CompletedTask;
    }

    private async Task AwaitAsync(HttpContext context, Task pending, long started)
    {
        await pending.ConfigureAwait(false);
        RecordOnCompletion(context, started);
    }

    private sealed record TimedRequest(HttpContext Context, TimeSpan EndpointTime);

    /// <summary>Marks a request that ran a cacheable endpoint (the server resets features between requests).</summary>
    private sealed class EndpointRan
    {
        public static readonly EndpointRan Instance = new();
    }
}
