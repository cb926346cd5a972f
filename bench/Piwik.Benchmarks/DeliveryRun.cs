using System.Diagnostics;
using System.Globalization;
using Microsoft.Extensions.Hosting;
using Piwik.Capture;
using Piwik.Diagnostics;

namespace Piwik.Benchmarks;

/// <summary>
/// Delivery into a Matomo that takes a fixed time per entry (<see cref="MatomoModel"/>): the real sender (the real
/// <c>PiwikSender</c> and <c>MatomoClient</c> over loopback HTTP), fed faster than it can deliver, with 1, 2 and 4
/// batches in flight. Prints events/s delivered against the endpoint's capacity, <c>workers / per-entry time</c>.
/// </summary>
internal static class DeliveryRun
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var perEntry = TimeSpan.FromMilliseconds(args.Number("per-entry-ms", 2));
        var workers = (int)args.Number("workers", 2);
        var seconds = args.Number("seconds", 8);
        var batchSize = (int)args.Number("batch-size", 100);
        var inFlight = args.Get("in-flight", "1,2,4").Split(',').Select(int.Parse).ToArray();

        await using var matomo = await MatomoModel.StartAsync("http://127.0.0.1:0", perEntry, workers).ConfigureAwait(false);
        var capacity = workers > 0 ? workers / perEntry.TotalSeconds : double.PositiveInfinity;
        Console.WriteLine($"Matomo model: {perEntry.TotalMilliseconds} ms per entry, {(workers > 0 ? workers.ToString(CultureInfo.InvariantCulture) : "unlimited")} worker(s): capacity {capacity:F0} events/s; batch size {batchSize}; {seconds} s per run");
        Console.WriteLine("| batches in flight | events/s delivered | endpoint capacity usable with this many in flight | share of that | bulk requests |");
        Console.WriteLine("|---:|---:|---:|---:|---:|");
        foreach (var k in inFlight)
        {
            var usable = Math.Min(k, workers > 0 ? workers : k) / perEntry.TotalSeconds;
            var (rate, calls) = await RunOnceAsync(matomo, k, batchSize, seconds).ConfigureAwait(false);
            Console.WriteLine($"| {k} | {rate:F0} | {usable:F0} | {rate / usable:P0} | {calls} |");
        }

        return 0;
    }

    private static async Task<(double Rate, long Calls)> RunOnceAsync(MatomoModel matomo, int inFlight, int batchSize, double seconds)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddPiwikTracking(options =>
        {
            options.Url = matomo.BaseUrl;
            options.VisitorIdSecret = "benchmark-secret-0123456789";
            options.ApplicationUrl = "https://app.example.com/";
            options.MaxConcurrentBatches = inFlight;
            options.BatchSize = batchSize;
            options.QueueCapacity = 100_000;
            options.FlushInterval = TimeSpan.FromMilliseconds(200);
            options.ShutdownTimeout = TimeSpan.FromMilliseconds(100); // the next run must not see this one's tail
        });
        using var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        var tracker = host.Services.GetRequiredService<IPiwikTracker>();
        var queue = host.Services.GetRequiredService<EventQueue>();
        var metrics = host.Services.GetRequiredService<PiwikMetrics>();

        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(seconds + 2));
        var producer = Task.Run(async () =>
        {
            // Keep the queue well fed, never full: the sender, not the producer, must be the limit.
            var i = 0;
            while (!stop.IsCancellationRequested)
            {
                while (queue.Count < 20_000)
                {
                    tracker.TrackEvent("items", "favorite", name: null, value: i % 500, userId: "user-" + (i % 10_007).ToString(CultureInfo.InvariantCulture));
                    i++;
                }

                await Task.Delay(5).ConfigureAwait(false);
            }
        });

        // Two seconds to reach steady state, then measure what the endpoint stores.
        await Task.Delay(TimeSpan.FromSeconds(2)).ConfigureAwait(false);
        var entries0 = matomo.Entries;
        var calls0 = matomo.Calls;
        var clock = Stopwatch.StartNew();
        await Task.Delay(TimeSpan.FromSeconds(seconds)).ConfigureAwait(false);
        var rate = (matomo.Entries - entries0) / clock.Elapsed.TotalSeconds;
        var calls = matomo.Calls - calls0;
        await stop.CancelAsync().ConfigureAwait(false);
        await producer.ConfigureAwait(false);
        await host.StopAsync().ConfigureAwait(false);
        await Task.Delay(TimeSpan.FromSeconds(1)).ConfigureAwait(false); // requests already in the endpoint finish

        if (metrics.Dropped > 0 && metrics.DroppedFor(DropReason.ShutdownDeadline) != metrics.Dropped)
        {
            Console.WriteLine($"  (warning: {metrics.Dropped} events dropped other than at shutdown)");
        }

        return (rate, calls);
    }
}
