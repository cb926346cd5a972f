using System.Diagnostics;
using Microsoft.AspNetCore.Http;

namespace Piwik.Endpoints;

/// <summary>
/// Wraps an endpoint's request delegate and records once it has run: the status is then the one the result wrote.
/// A synchronous endpoint costs no state machine; exceptions pass through and record nothing.
/// </summary>
internal abstract class RecordingRequestDelegate
{
    private readonly RequestDelegate _next;
    private readonly bool _timed;

    /// <param name="next">The endpoint's request delegate.</param>
    /// <param name="timed">Whether <see cref="Record"/> needs the start time (a clock read per request otherwise saved).</param>
    protected RecordingRequestDelegate(RequestDelegate next, bool timed = false)
    {
        _next = next;
        _timed = timed;
    }

    public Task InvokeAsync(HttpContext context)
    {
        var started = _timed ? Stopwatch.GetTimestamp() : 0;
        var pending = _next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAsync(context, pending, started);
        }

        Record(context, started);
        return Task.CompletedTask;
    }

    /// <summary>Records what the finished request calls for. Must not throw.</summary>
    /// <param name="context">The request.</param>
    /// <param name="started">The <see cref="Stopwatch.GetTimestamp"/> before the endpoint ran, when timed; else 0.</param>
    protected abstract void Record(HttpContext context, long started);

    private async Task AwaitAsync(HttpContext context, Task pending, long started)
    {
        await pending.ConfigureAwait(false);
        Record(context, started);
    }
}
