using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing.Patterns;
using Piwik.Capture;
using Piwik.Infrastructure;

namespace Piwik.Endpoints;

/// <summary>
/// The request delegate of a <see cref="TrackAsAttribute"/> endpoint whose handler needs nothing from its arguments
/// that the route values do not hold (no <c>Name</c> or <c>Value</c> template, or one bound by
/// <see cref="RouteTemplateBinder"/>) and records nothing on failure (no <c>FailureAction</c>): it wraps the endpoint's
/// own delegate instead of adding an endpoint filter, and records the action when the endpoint answered 2xx (or 3xx,
/// with <see cref="TrackAsAttribute.RedirectIsSuccess"/>).
/// Exceptions pass through and record nothing.
/// </summary>
/// <remarks>
/// <para>
/// Under the Request Delegate Generator any endpoint filter moves the endpoint to its filtered path: an invocation
/// context allocated per request, the result boxed and executed through a type test, an async state machine. An
/// endpoint that only needs its outcome pays none of that here: the wrapper reads the status once the response is
/// complete (<see cref="RecordingRequestDelegate"/>), for every kind of result.
/// </para>
/// <para>
/// A 4xx answer records nothing here, so it does not matter that a request whose binding failed (a malformed body,
/// a route value of the wrong type) answers 400 without running the handler: the filter never sees those either.
/// Handlers with a failure action keep the filter, which runs only when the handler does.
/// </para>
/// </remarks>
internal sealed class TrackedRequestDelegate : RecordingRequestDelegate
{
    private readonly TrackedHandler _handler;
    private readonly Func<HttpContext, TrackedValue>? _name;
    private readonly Func<HttpContext, TrackedValue>? _value;
    private readonly bool _redirectIsSuccess;
    private readonly RequestRecorder _recorder;

    private TrackedRequestDelegate(RequestDelegate next, Plan plan, RequestRecorder recorder)
        : base(next)
    {
        _handler = plan.Handler;
        _redirectIsSuccess = plan.RedirectIsSuccess;
        _name = plan.Name;
        _value = plan.Value;
        _recorder = recorder;
    }

    /// <summary>
    /// How an endpoint's handler can be tracked without a filter, or null when it needs the filter: it has a failure
    /// action, or a template that reads more than route values.
    /// </summary>
    public static Plan? PlanFor(TrackedHandler handler, RoutePattern? pattern)
    {
        if (handler.FailureAction is not null)
        {
            return null; // a 4xx must be told apart from a failed binding, which only the filter can
        }

        if (handler.Name is null && handler.Value is null)
        {
            return new Plan(handler, null, null);
        }

        // Only the templates the handler's own accessors bind (an unbound one stays left out), from the bindings the
        // generator decided: no reflection over the handler's parameters.
        return pattern is not null
            && RouteTemplateBinder.TryBind(handler.Name is null ? null : handler.NameTemplate, handler.NameBindings, isValue: false, pattern, out var name)
            && RouteTemplateBinder.TryBind(handler.Value is null ? null : handler.ValueTemplate, handler.ValueBindings, isValue: true, pattern, out var value)
            ? new Plan(handler, name, value)
            : null;
    }

    /// <summary>Wraps an endpoint's request delegate.</summary>
    public static TrackedRequestDelegate Wrap(RequestDelegate next, Plan plan, RequestRecorder recorder) => new(next, plan, recorder);

    protected override void Record(HttpContext context, TimeSpan endpointTime)
    {
        // TryRecord never throws: admission, capture and queueing failures are counted there.
        if (ResponseOutcome.IsSuccess(context.Response.StatusCode, _redirectIsSuccess))
        {
            _recorder.TryRecord(context, _handler.Category, _handler.Action, _name, _value, context);
        }
    }

    /// <summary>The handler, and its templates bound to route values.</summary>
    internal sealed record Plan(TrackedHandler Handler, Func<HttpContext, TrackedValue>? Name, Func<HttpContext, TrackedValue>? Value)
    {
        /// <summary>The handler's <see cref="TrackAsAttribute.RedirectIsSuccess"/>.</summary>
        public bool RedirectIsSuccess { get; init; }
    }
}
