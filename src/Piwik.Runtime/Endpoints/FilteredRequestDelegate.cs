using Microsoft.AspNetCore.Http;
using Piwik.Capture;
using Piwik.Infrastructure;

namespace Piwik.Endpoints;

/// <summary>
/// The request delegate of a <see cref="TrackAsAttribute"/> endpoint that has <see cref="TrackedEndpointFilter"/>: it
/// wraps the endpoint's own delegate and, once that has completed, records from the final status (2xx: the action, 4xx:
/// the failure action) when the filter says the handler ran, reading the templates from the handler's arguments.
/// Exceptions (a handler that throws, a result that fails to execute: a JSON object cycle, missing JSON metadata) pass
/// through and record nothing, as do 1xx, 3xx and 5xx answers.
/// </summary>
internal sealed class FilteredRequestDelegate
{
    private readonly RequestDelegate _next;
    private readonly TrackedHandler _handler;
    private readonly RequestRecorder _recorder;

    private FilteredRequestDelegate(RequestDelegate next, TrackedHandler handler, RequestRecorder recorder)
    {
        _next = next;
        _handler = handler;
        _recorder = recorder;
    }

    /// <summary>Wraps an endpoint's request delegate.</summary>
    public static RequestDelegate Wrap(RequestDelegate next, TrackedHandler handler, RequestRecorder recorder) =>
        new FilteredRequestDelegate(next, handler, recorder).InvokeAsync;

    public Task InvokeAsync(HttpContext context)
    {
        var saved = InvocationHandoff.Enter(context);
        Task pending;
        EndpointFilterInvocationContext? invocation;
        try
        {
            pending = _next(context);
        }
        finally
        {
            // On every path, a synchronous throw included: a nested request on this thread gets its own slot back.
            invocation = InvocationHandoff.Exit(context, in saved);
        }

        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAsync(context, pending, invocation);
        }

        Record(context, invocation);
        return Task.CompletedTask;
    }

    private async Task AwaitAsync(HttpContext context, Task pending, EndpointFilterInvocationContext? invocation)
    {
        await pending.ConfigureAwait(false);
        Record(context, invocation);
    }

    private void Record(HttpContext context, EndpointFilterInvocationContext? invocation)
    {
        var action = context.Response.StatusCode switch
        {
            >= 200 and < 300 => _handler.Action,
            >= 400 and < 500 => _handler.FailureAction,
            _ => null,
        };

        // No invocation in this thread's slot: the filter ran on another thread, or never (binding failed).
        if (action is not null && (invocation ?? InvocationHandoff.Find(context)) is { } run)
        {
            // TryRecord never throws: admission, template, capture and queueing failures are counted there.
            _recorder.TryRecord(context, _handler.Category, action, _handler.Name, _handler.Value, run);
        }
    }
}
