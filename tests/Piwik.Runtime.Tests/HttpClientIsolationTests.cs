using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Piwik.Testing;

namespace Piwik.Runtime.Tests;

/// <summary>
/// The Matomo client takes none of the app's <c>ConfigureHttpClientDefaults</c> (every Aspire app's service defaults add
/// the standard resilience handler): the sender's retries are the only ones, and its traffic is traced only when asked.
/// </summary>
public class HttpClientIsolationTests
{
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task The_app_s_resilience_handler_and_handlers_are_not_on_the_Matomo_client(bool defaultsBeforePiwik)
    {
        await using var matomo = await StandInMatomo.StartAsync();
        matomo.EnqueueFault(new Fault(StatusCode: 503));
        matomo.EnqueueFault(new Fault(StatusCode: 503));
        var seen = new CountingHandler.Counter();
        void Defaults(IServiceCollection services) => services.ConfigureHttpClientDefaults(http =>
        {
            http.AddHttpMessageHandler(() => new CountingHandler(seen));
            http.AddStandardResilienceHandler();
        });

        await using var app = await TestApp.StartAsync(
            o =>
            {
                o.Url = matomo.BaseUrl;
                o.BatchSize = 5;
                o.MaxConcurrentBatches = 1;
                o.FlushInterval = TimeSpan.FromHours(1);
                o.MaxRetryDelay = TimeSpan.FromMilliseconds(50);
            },
            services: defaultsBeforePiwik ? null : Defaults,
            servicesFirst: defaultsBeforePiwik ? Defaults : null);
        for (var i = 0; i < 5; i++)
        {
            app.Tracker.TrackEvent("c", "e" + i);
        }

        await Eventually.HoldsAsync(() => app.Metrics.Sent == 5);
        Assert.Equal(3, matomo.BulkCalls.Count); // two 503s and the success: each request the sender's own
        Assert.Equal(2, app.Metrics.Retries);    // the sender saw both 503s: no retry layer in between
        Assert.Equal(0, seen.Requests);
        Assert.DoesNotContain(app.Logs.Entries, e => e.Category.StartsWith("Polly", StringComparison.Ordinal));
        await app.AssertBalancedAsync();
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Requests_to_Matomo_carry_a_traceparent_and_make_a_span_only_when_traced(bool traced)
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var port = new Uri(matomo.BaseUrl).Port;
        var spans = 0;

        // What OpenTelemetry's HttpClient instrumentation does, with its default parent-based sampler.
        using var listener = new ActivityListener
        {
            ShouldListenTo = source => source.Name == "System.Net.Http",
            Sample = (ref ActivityCreationOptions<ActivityContext> options) =>
                options.Parent == default || options.Parent.TraceFlags.HasFlag(ActivityTraceFlags.Recorded) ? ActivitySamplingResult.AllDataAndRecorded : ActivitySamplingResult.None,
            ActivityStopped = activity =>
            {
                if (activity.GetTagItem("server.port") is int p && p == port)
                {
                    Interlocked.Increment(ref spans);
                }
            },
        };
        ActivitySource.AddActivityListener(listener);
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.FlushInterval = TimeSpan.FromMilliseconds(20);
            o.TraceMatomoRequests = traced;
        });
        app.Tracker.TrackEvent("c", "a");
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 1);
        var call = Assert.Single(matomo.BulkCalls);
        if (traced)
        {
            Assert.NotNull(call.TraceParent);
            await Eventually.HoldsAsync(() => Volatile.Read(ref spans) == 1, () => $"{spans} spans");
        }
        else
        {
            Assert.Null(call.TraceParent);
            Assert.Equal(0, spans);
        }

        await app.AssertBalancedAsync();
    }

    [Fact]
    public void The_Matomo_client_keeps_one_handler_for_the_process()
    {
        // The factory's rotation (every 2 minutes by default) arms an expiry timer, then a cleanup timer every 10 s
        // until a GC collects the old handler: an idle app woke for it indefinitely. The handler renews its own
        // connections (PooledConnectionLifetime), so DNS changes are still seen.
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddPiwikTracking(o => o.Url = "http://127.0.0.1:9/");
        using var provider = services.BuildServiceProvider();
        var options = provider.GetRequiredService<Microsoft.Extensions.Options.IOptionsMonitor<Microsoft.Extensions.Http.HttpClientFactoryOptions>>()
            .Get(nameof(Piwik.Sending.MatomoClient));
        Assert.Equal(Timeout.InfiniteTimeSpan, options.HandlerLifetime);
        var handler = Assert.IsType<System.Net.Http.SocketsHttpHandler>(Piwik.Sending.MatomoClient.CreateHandler(new PiwikOptions()));
        Assert.Equal(TimeSpan.FromMinutes(2), handler.PooledConnectionLifetime);
        handler.Dispose();
    }

    private sealed class CountingHandler(CountingHandler.Counter counter) : DelegatingHandler
    {
        protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref counter.Requests);
            return base.SendAsync(request, cancellationToken);
        }

        public sealed class Counter
        {
            public int Requests;
        }
    }
}
