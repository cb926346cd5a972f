using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.OutputCaching;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Piwik.Capture;
using Piwik.Endpoints;
using Piwik.Testing;

namespace Piwik.Runtime.Tests;

/// <summary>
/// The output cache offers an entry to the policies before it decides to serve it; an entry it then takes for stale
/// (0 s old or less: a clock set back) is not served, the endpoint runs, and its wrapper records. The cache's recording
/// must then stand down, or the request is counted twice. The cache's own clock cannot be set from outside, so the
/// order of calls it makes is played here, with completion callbacks kept and fired as a server does.
/// </summary>
public sealed class CachedResponseRecordingTests
{
    [Theory]
    [InlineData(false, 1)] // served from the cache: recorded by the cache's recording
    [InlineData(true, 1)] // offered, stale, the endpoint ran: recorded by its wrapper only
    public async Task A_request_is_recorded_once_whether_the_cache_or_the_endpoint_answered(bool endpointRan, long expected)
    {
        await using var app = await TestApp.StartAsync(o => o.FlushInterval = TimeSpan.FromHours(1));
        var recorder = app.App.Services.GetRequiredService<RequestRecorder>();
        var builder = new RouteEndpointBuilder(_ => Task.CompletedTask, RoutePatternFactory.Parse("/about"), 0);
        builder.Metadata.Add(new EndpointPolicy());
        var pageViews = new PageViewRequestDelegate(builder.RequestDelegate!, "GET /about", "/about", recorder);
        CachedResponseRecording.AddTo(builder, pageViews);
        var recording = Assert.IsType<CachedResponseRecording>(builder.Metadata[^1]);

        var context = new DefaultHttpContext();
        var response = new CompletingResponse();
        context.Features.Set<IHttpResponseFeature>(response);
        await ((IOutputCachePolicy)recording).ServeFromCacheAsync(new OutputCacheContext { HttpContext = context }, CancellationToken.None);
        if (endpointRan)
        {
            await pageViews.InvokeAsync(context);
        }

        var before = app.Metrics.Enqueued;
        response.FireOnCompleted();
        Assert.Equal(expected, app.Metrics.Enqueued - before);
    }

    [Fact]
    public void An_endpoint_without_an_output_cache_policy_gets_no_recording_policy()
    {
        var builder = new RouteEndpointBuilder(_ => Task.CompletedTask, RoutePatternFactory.Parse("/about"), 0);
        CachedResponseRecording.AddTo(builder, new PageViewRequestDelegate(builder.RequestDelegate!, "GET /about", "/about", null!));
        Assert.Empty(builder.Metadata);
    }

    private sealed class EndpointPolicy : IOutputCachePolicy
    {
        public ValueTask CacheRequestAsync(OutputCacheContext context, CancellationToken cancellation) => ValueTask.CompletedTask;

        public ValueTask ServeFromCacheAsync(OutputCacheContext context, CancellationToken cancellation) => ValueTask.CompletedTask;

        public ValueTask ServeResponseAsync(OutputCacheContext context, CancellationToken cancellation) => ValueTask.CompletedTask;
    }
}
