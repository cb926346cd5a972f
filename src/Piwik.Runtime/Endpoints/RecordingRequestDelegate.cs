using Microsoft.AspNetCore.Http;

namespace Piwik.Endpoints;

/// <summary>
/// Wraps an endpoint's request delegate and records once it has run: the status is then the one the result wrote.
/// A synchronous endpoint costs no state machine; exceptions pass through and record nothing.
/// </summary>
internal abstract class RecordingRequestDelegate
{
    private readonly RequestDelegate _next;

    protected RecordingRequestDelegate(RequestDelegate next) => _next = next;

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

    /// <summary>Records what the finished request calls for. Must not throw.</summary>
    protected abstract void Record(HttpContext context);

    private async Task AwaitAsync(HttpContext context, Task pending)
    {
        await pending.ConfigureAwait(false);
        Record(context);
    }
}
