using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.OutputCaching;

namespace Piwik.Endpoints;

/// <summary>
/// Records the requests the output cache answers for a tracked endpoint, which it answers without running the endpoint
/// (so without its wrapper). It stands in for the endpoint's own cache policy (the output cache reads the last one in
/// the endpoint's metadata, where this is added), passes every call on to it, and, when the cache serves a stored
/// response, records from the response's completion as the wrapper does: from the status the client got, templates
/// read from the request's route and query values as the wrapper reads them.
/// </summary>
/// <remarks>
/// Added only to endpoints that carry an output cache policy (<c>CacheOutput()</c>, <see cref="OutputCacheAttribute"/>)
/// and need no filter: one whose templates read the handler's arguments has none to read when the cache answers. An
/// endpoint cached only by a base policy (<c>AddBasePolicy</c>) carries none: its cached answers are not recorded.
/// </remarks>
internal sealed class CachedResponseRecording : IOutputCachePolicy
{
    private readonly IOutputCachePolicy? _inner;
    private readonly RecordingRequestDelegate _recording;
    private readonly Func<object, Task> _completed;

    private CachedResponseRecording(IOutputCachePolicy? inner, RecordingRequestDelegate recording)
    {
        _inner = inner;
        _recording = recording;
        _completed = Completed;
    }

    /// <summary>Adds the recording to an endpoint whose responses the output cache may answer; otherwise nothing.</summary>
    public static void AddTo(EndpointBuilder builder, RecordingRequestDelegate recording)
    {
        IOutputCachePolicy? inner = null;
        var cached = false;
        foreach (var item in builder.Metadata)
        {
            if (item is IOutputCachePolicy policy)
            {
                inner = policy;
                cached = true;
            }
            else if (item is OutputCacheAttribute)
            {
                cached = true;
            }
        }

        if (cached)
        {
            recording.MarkCacheable();
            builder.Metadata.Add(new CachedResponseRecording(inner, recording));
        }
    }

    ValueTask IOutputCachePolicy.CacheRequestAsync(OutputCacheContext context, CancellationToken cancellation) =>
        _inner?.CacheRequestAsync(context, cancellation) ?? ValueTask.CompletedTask;

    ValueTask IOutputCachePolicy.ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellation)
    {
        // Called before the cache decides to serve the entry: whether it did is known at completion.
        RecordingRequestDelegate.OnCompletion(context.HttpContext, _completed, context.HttpContext);
        return _inner?.ServeFromCacheAsync(context, cancellation) ?? ValueTask.CompletedTask;
    }

    ValueTask IOutputCachePolicy.ServeResponseAsync(OutputCacheContext context, CancellationToken cancellation) =>
        _inner?.ServeResponseAsync(context, cancellation) ?? ValueTask.CompletedTask;

    private Task Completed(object state)
    {
        // A stale entry is not served: the endpoint runs instead, and its wrapper records.
        _recording.RecordServedFromCache((HttpContext)state);
        return Task.CompletedTask;
    }
}
