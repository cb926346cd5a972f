using Microsoft.AspNetCore.Http;

namespace Piwik.Endpoints;

/// <summary>
/// The endpoint filter of a tracked endpoint that needs one: a handler with a failure action (a 4xx must be told apart
/// from a failed binding's 400: a body that does not bind never reaches filters, a parameter that does not bind reaches
/// them with the 400 set), a template that reads its arguments or its result, or an
/// order, search or dimension. It records nothing itself: it leaves the invocation for <see cref="FilteredRequestDelegate"/>,
/// which records once the response status is final (a result that states 200 may still fail as it executes).
/// </summary>
internal sealed class TrackedEndpointFilter
{
    private readonly EndpointFilterDelegate _next;
    private readonly bool _keepResult;
    private readonly bool _recordsFailure;

    /// <param name="next">The rest of the filter pipeline.</param>
    /// <param name="keepResult">Whether a template reads the handler's result: it is then kept in a <see cref="ResultCapture"/>.</param>
    /// <param name="recordsFailure">
    /// Whether the endpoint records a failure action on a 4xx: only then must a failed binding's 400 be told apart
    /// (without one a 400 records nothing, however it came, and the status check is left out of every request).
    /// </param>
    public TrackedEndpointFilter(EndpointFilterDelegate next, bool keepResult, bool recordsFailure)
    {
        _next = next;
        _keepResult = keepResult;
        _recordsFailure = recordsFailure;
    }

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context)
    {
        if (_recordsFailure && context.HttpContext.Response.StatusCode == StatusCodes.Status400BadRequest)
        {
            // A parameter failed to bind (a query or route value that does not parse, a required one left out): ASP.NET
            // Core runs the filters with the 400 already set and does not call the handler (the check is its own). Nothing
            // is handed over, so no failure action is recorded for a request the handler never saw.
            return _next(context);
        }

        if (!_keepResult)
        {
            // Before the handler: an exception from it passes through, and the wrapper sees the exception, not the status.
            InvocationHandoff.Leave(context);
            return _next(context);
        }

        var capture = new ResultCapture(context);
        InvocationHandoff.Leave(capture);
        var pending = _next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return KeepAsync(capture, pending);
        }

        // A completed ValueTask is read once: the result goes on in a new one.
        var result = pending.Result;
        capture.Result = result;
        return new ValueTask<object?>(result);
    }

    private static async ValueTask<object?> KeepAsync(ResultCapture capture, ValueTask<object?> pending)
    {
        var result = await pending.ConfigureAwait(false);
        capture.Result = result;
        return result;
    }
}
