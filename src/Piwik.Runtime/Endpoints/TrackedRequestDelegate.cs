using Microsoft.AspNetCore.Http;
using Piwik.Capture;
using Piwik.Infrastructure;

namespace Piwik.Endpoints;

/// <summary>
/// The request delegate of a <see cref="TrackAsAttribute"/> endpoint whose handler needs nothing from its arguments
/// (no <c>Name</c> or <c>Value</c> template) and records nothing on failure (no <c>FailureAction</c>): it wraps the
/// endpoint's own delegate instead of adding an endpoint filter, and records the action when the endpoint answered
/// 2xx. Exceptions pass through and record nothing.
/// </summary>
/// <remarks>
/// <para>
/// Under the Request Delegate Generator any endpoint filter moves the endpoint to its filtered path: an invocation
/// context allocated per request, the result boxed and executed through a type test, an async state machine. An
/// endpoint that only needs its outcome pays none of that here: the wrapper reads the status the result wrote, after
/// the endpoint's delegate has run (so it is final, for every kind of result, without a completion callback).
/// </para>
/// <para>
/// A 4xx answer records nothing here, so it does not matter that a request whose binding failed (a malformed body,
/// a route value of the wrong type) answers 400 without running the handler: the filter never sees those either.
/// Handlers with a failure action keep the filter, which runs only when the handler does.
/// </para>
/// </remarks>
internal sealed class TrackedRequestDelegate
{
    private readonly RequestDelegate _next;
    private readonly TrackedHandler _handler;
    private readonly RequestRecorder _recorder;

    public TrackedRequestDelegate(RequestDelegate next, TrackedHandler handler, RequestRecorder recorder)
    {
        _next = next;
        _handler = handler;
        _recorder = recorder;
    }

    /// <summary>Whether a handler can be tracked by this wrapper, with no endpoint filter.</summary>
    public static bool Suits(TrackedHandler handler) => handler is { Name: null, Value: null, FailureAction: null };

    public Task InvokeAsync(HttpContext context)
    {
        var pending = _next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAsync(context, pending);
        }

        Record(context);
        return Task.CompletedTask;
    }

    private async Task AwaitAsync(HttpContext context, Task pending)
    {
        await pending.ConfigureAwait(false);
        Record(context);
    }

    private void Record(HttpContext context)
    {
        // TryRecord never throws: admission, capture and queueing failures are counted there.
        if (context.Response.StatusCode is >= 200 and < 300)
        {
            _recorder.TryRecord(context, TrackedEventKind.Event, _handler.Category, _handler.Action, TrackedValue.None, TrackedValue.None);
        }
    }
}
