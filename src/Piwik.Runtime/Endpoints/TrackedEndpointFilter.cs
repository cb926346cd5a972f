using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Piwik.Capture;
using Piwik.Diagnostics;
using Piwik.Infrastructure;

namespace Piwik.Endpoints;

/// <summary>
/// The endpoint filter of one <see cref="TrackAsAttribute"/> endpoint. It lets the handler run, reads the outcome, and on
/// 2xx records the action (on 4xx the failure action, when there is one). User exceptions pass through untouched and
/// record nothing; the filter's own failures are swallowed and counted.
/// </summary>
/// <remarks>
/// The response status is not final inside a filter, so it is read from the returned result
/// (<see cref="IStatusCodeHttpResult"/>, unwrapping <see cref="INestedHttpResult"/> for <c>Results&lt;...&gt;</c>), and
/// for any other result (a string, an object, <c>void</c>) from the response once it has completed.
/// </remarks>
internal sealed class TrackedEndpointFilter
{
    private static readonly Func<object, Task> CompletedCallback = OnCompletedAsync;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<Type, ResultShape> Shapes = new();

    private readonly TrackedHandler _handler;
    private readonly RequestRecorder _recorder;
    private readonly PiwikMetrics _metrics;
    private readonly EndpointFilterDelegate _next;

    /// <summary>The last result type seen and whether it states its status: a handler returns one or two types, so the
    /// interface casts that answer it are made once per type, not once per request.</summary>
    private ResultShape? _lastShape;

    public TrackedEndpointFilter(TrackedHandler handler, RequestRecorder recorder, PiwikMetrics metrics, EndpointFilterDelegate next)
    {
        _handler = handler;
        _recorder = recorder;
        _metrics = metrics;
        _next = next;
    }

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context)
    {
        var pending = _next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAsync(context, pending);
        }

        // Fast path: a synchronous handler. The ValueTask is read once and a new one returned.
        var result = pending.Result;
        Complete(context, result);
        return ValueTask.FromResult(result);
    }

    private async ValueTask<object?> AwaitAsync(EndpointFilterInvocationContext context, ValueTask<object?> pending)
    {
        var result = await pending.ConfigureAwait(false);
        Complete(context, result);
        return result;
    }

    private void Complete(EndpointFilterInvocationContext context, object? result)
    {
        try
        {
            var httpContext = context.HttpContext;
            if (StatusOfCached(result) is { } status)
            {
                // Admission, then the templates, then the event: an opted-out request reads no template.
                if (ActionFor(status) is { } action)
                {
                    _recorder.TryRecord(httpContext, _handler.Category, action, _handler.Name, _handler.Value, context);
                }

                return;
            }

            // Admission first: an opted-out request reads no template and registers no callback.
            if (!_recorder.IsAllowed(httpContext))
            {
                return;
            }

            // Arguments are read now, while the handler's objects are certainly as the handler left them.
            var pendingEvent = new PendingEvent(this, httpContext, Read(_handler.Name, context), Read(_handler.Value, context));
            httpContext.Response.OnCompleted(CompletedCallback, pendingEvent);
        }
        catch (Exception)
        {
            // An accessor or the response failed: tracking never breaks the request.
            _metrics.AddDropped(DropReason.CaptureFailed);
        }
    }

    private int? StatusOfCached(object? result)
    {
        if (result is null)
        {
            return null;
        }

        var shape = _lastShape;
        if (shape is null || shape.Type != result.GetType())
        {
            // Shared per type, so a handler that alternates result types allocates nothing after the first of each.
            shape = Shapes.GetOrAdd(result.GetType(), static (type, result) => new ResultShape(type, result is IStatusCodeHttpResult and not INestedHttpResult), result);
            _lastShape = shape; // racy by design: any thread's answer for a type is right for that type
        }

        return shape.StatesStatus
            ? Unsafe.As<IStatusCodeHttpResult>(result).StatusCode ?? StatusCodes.Status200OK
            : StatusOf(result);
    }

    /// <summary>The status a result will write, or null when the result does not say (the response then decides).</summary>
    internal static int? StatusOf(object? result)
    {
        while (result is INestedHttpResult nested)
        {
            result = nested.Result;
        }

        return result is IStatusCodeHttpResult statusResult ? statusResult.StatusCode ?? StatusCodes.Status200OK : null;
    }

    private string? ActionFor(int status) => status switch
    {
        >= 200 and < 300 => _handler.Action,
        >= 400 and < 500 => _handler.FailureAction,
        _ => null,
    };

    private void Record(HttpContext context, string action, TrackedValue name, TrackedValue value) =>
        _recorder.TryRecordAllowed(context, TrackedEventKind.Event, _handler.Category, action, name, value);

    private static TrackedValue Read(Func<EndpointFilterInvocationContext, TrackedValue>? accessor, EndpointFilterInvocationContext context) =>
        accessor is null ? TrackedValue.None : accessor(context);

    private static Task OnCompletedAsync(object state)
    {
        var pending = (PendingEvent)state;
        var filter = pending.Filter;
        try
        {
            if (filter.ActionFor(pending.Context.Response.StatusCode) is { } action)
            {
                filter.Record(pending.Context, action, pending.Name, pending.Value);
            }
        }
        catch (Exception)
        {
            filter._metrics.AddDropped(DropReason.CaptureFailed);
        }

        return Task.CompletedTask;
    }

    private sealed record ResultShape(Type Type, bool StatesStatus);

    private sealed record PendingEvent(TrackedEndpointFilter Filter, HttpContext Context, TrackedValue Name, TrackedValue Value);
}
