using Microsoft.AspNetCore.Http;
using Piwik.Capture;
using Piwik.Infrastructure;

namespace Piwik.Endpoints;

/// <summary>
/// The recording of a <see cref="TrackAsAttribute"/> endpoint with a filter: on 2xx the action, on 4xx the failure
/// action, read from the handler's arguments (and result); nothing on 1xx, 3xx (unless
/// <see cref="TrackAsAttribute.RedirectIsSuccess"/>) and 5xx.
/// </summary>
internal sealed class EventRecording(TrackedHandler handler, bool redirectIsSuccess, RequestRecorder recorder) : IEndpointRecording
{
    public void Record(HttpContext context, int status, EndpointFilterInvocationContext? invocation)
    {
        var action = ResponseOutcome.IsSuccess(status, redirectIsSuccess) ? handler.Action
            : ResponseOutcome.IsFailure(status) ? handler.FailureAction
            : null;

        // No invocation in this thread's slot: the filter ran on another thread, or never (binding failed).
        if (action is not null && (invocation ?? InvocationHandoff.Find(context)) is { } run)
        {
            // TryRecord never throws: admission, template, capture and queueing failures are counted there.
            recorder.TryRecord(context, handler.Category, action, handler.Name, handler.Value, run);
        }
    }
}
