using Microsoft.AspNetCore.Http;

namespace Piwik.Endpoints;

/// <summary>
/// The request delegate of a tracked endpoint that has <see cref="TrackedEndpointFilter"/>: it wraps the endpoint's
/// own delegate and, once the response is complete (as <see cref="RecordingRequestDelegate"/> does), hands the status
/// the client got and the handler's invocation (when the filter says the handler ran) to the endpoint's
/// <see cref="IEndpointRecording"/>, which reads the templates and records. Exceptions (a handler that throws, a result
/// that fails to execute: a JSON object cycle, missing JSON metadata) pass through and record nothing.
/// </summary>
internal sealed class FilteredRequestDelegate
{
    private readonly RequestDelegate _next;
    private readonly IEndpointRecording _recording;
    private readonly Func<object, Task> _completed;

    private FilteredRequestDelegate(RequestDelegate next, IEndpointRecording recording)
    {
        _next = next;
        _recording = recording;
        _completed = Completed;
    }

    /// <summary>Wraps an endpoint's request delegate.</summary>
    public static RequestDelegate Wrap(RequestDelegate next, IEndpointRecording recording) =>
        new FilteredRequestDelegate(next, recording).InvokeAsync;

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

        RecordOnCompletion(context, invocation);
        return Task.CompletedTask;
    }

    /// <summary>The invocation, when there is one, is the callback's state: it holds the request too, so nothing is allocated.</summary>
    private void RecordOnCompletion(HttpContext context, EndpointFilterInvocationContext? invocation) =>
        RecordingRequestDelegate.OnCompletion(context, _completed, (object?)invocation ?? context);

    private Task Completed(object state)
    {
        var (context, invocation) = state is EndpointFilterInvocationContext run ? (run.HttpContext, run) : ((HttpContext)state, null);
        _recording.Record(context, context.Response.StatusCode, invocation);
        return Task.CompletedTask;
    }

    private async Task AwaitAsync(HttpContext context, Task pending, EndpointFilterInvocationContext? invocation)
    {
        await pending.ConfigureAwait(false);
        RecordOnCompletion(context, invocation);
    }
}

/// <summary>What a filtered endpoint records once its status is final. Never throws.</summary>
internal interface IEndpointRecording
{
    /// <summary>Records for the status the client got.</summary>
    /// <param name="context">The request, its response complete.</param>
    /// <param name="status">The status the client got.</param>
    /// <param name="invocation">
    /// The handler's invocation when the filter left it in this thread's slot; else the recording looks for it with
    /// <see cref="InvocationHandoff.Find"/> (the filter ran on another thread), and finds none when the handler never ran.
    /// </param>
    void Record(HttpContext context, int status, EndpointFilterInvocationContext? invocation);
}
