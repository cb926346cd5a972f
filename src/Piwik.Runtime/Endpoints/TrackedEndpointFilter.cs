using Microsoft.AspNetCore.Http;

namespace Piwik.Endpoints;

/// <summary>
/// The endpoint filter of a <see cref="TrackAsAttribute"/> endpoint that needs one: a handler with a failure action (a
/// 4xx must be told apart from a failed binding's 400, which never reaches filters) or a template that reads its
/// arguments. It records nothing itself: it leaves the invocation for <see cref="FilteredRequestDelegate"/>, which
/// records once the response status is final (a result that states 200 may still fail as it executes).
/// </summary>
internal sealed class TrackedEndpointFilter
{
    private readonly EndpointFilterDelegate _next;

    public TrackedEndpointFilter(EndpointFilterDelegate next) => _next = next;

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context)
    {
        // Before the handler: an exception from it passes through, and the wrapper sees the exception, not the status.
        InvocationHandoff.Leave(context);
        return _next(context);
    }
}
