using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;
using Piwik.Testing;

namespace Piwik.Reliability.Tests;

/// <summary>Runs alone: it measures the process's managed heap, which tests running beside it would move.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class MemoryMeasuredAlone
{
    public const string Name = "memory measured alone";
}

/// <summary>
/// Issue 14, item 12: without the spool, events wait in memory while Matomo is down. A queued event once kept every
/// string of its request alive (a 1 MB header or field: 2.5 GB for 1,500 requests); it now holds at most what is sent,
/// copied cut at capture.
/// </summary>
[Collection(MemoryMeasuredAlone.Name)]
public class OutageMemoryTests
{
    private const int Requests = 150;
    private const int FieldChars = 256 * 1024; // a 256 K-character User-Agent and event name: 1 MB of UTF-16 per request

    [Fact]
    public async Task Events_queued_during_an_outage_hold_only_what_is_sent()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var url = matomo.BaseUrl;
        await matomo.GoDownAsync(); // connection refused from now on

        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Limits.MaxRequestHeadersTotalSize = 2 * FieldChars;
            k.Limits.MaxRequestBodySize = 4 * FieldChars;
        });
        builder.Logging.ClearProviders();
        builder.Services.AddPiwikTracking(o =>
        {
            o.Url = url;
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
            o.MaxRetries = 1000; // keep retrying the first batch: the rest stays queued, as in a long outage
            o.ShutdownTimeout = TimeSpan.FromMilliseconds(200);
        });
        await using var app = builder.Build();
        app.MapPost("/upload", async (HttpContext context, IPiwikTracker tracker) =>
        {
            using var reader = new StreamReader(context.Request.Body);
            var name = await reader.ReadToEndAsync();
            return tracker.TrackEvent(context, "files", "upload", name) ? Results.Ok() : Results.Accepted();
        });
        await app.StartAsync();
        var metrics = app.Services.GetRequiredService<PiwikMetrics>();
        using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

        await SendAsync(client, 5); // warm up Kestrel, the client and the sender
        var before = GC.GetTotalMemory(forceFullCollection: true);
        await SendAsync(client, Requests);
        var growth = GC.GetTotalMemory(forceFullCollection: true) - before;

        Assert.Equal(Requests + 5, metrics.Enqueued);
        Assert.Equal(0, metrics.Sent + metrics.Dropped); // all of them still held, waiting for Matomo
        // Unbounded, the queue holds Requests × 1 MB (≈ 150 MB); bounded, a few KB per event (≈ 3 MB).
        Assert.True(growth < 40L * 1024 * 1024, $"managed heap grew by {growth / (1024 * 1024)} MB for {Requests} queued events");
    }

    private static async Task SendAsync(HttpClient client, int count)
    {
        for (var i = 0; i < count; i++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, "/upload") { Content = new StringContent(new string((char)('a' + (i % 26)), FieldChars)) };
            request.Headers.TryAddWithoutValidation("User-Agent", new string((char)('A' + (i % 26)), FieldChars));
            using var response = await client.SendAsync(request);
            response.EnsureSuccessStatusCode();
        }
    }
}
