// Soak test, on demand (not in CI): several minutes of HTTP load on an app with Piwik tracking and the spool on,
// while the stand-in Matomo flaps (down, up, slow, failing), all on 127.0.0.1. Prints the accounting identity and
// peak memory, and exits non-zero when the identity does not hold or an event arrived twice without an ambiguous
// outcome to explain it.
//   dotnet run -c Release --project load/Piwik.Soak -- [minutes, default 3]
using System.Diagnostics;
using System.Globalization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Piwik;
using Piwik.Diagnostics;
using Piwik.Testing;

var minutes = args.Length > 0 ? double.Parse(args[0], CultureInfo.InvariantCulture) : 3;
var spool = Path.Combine(Path.GetTempPath(), "piwik-soak-" + Guid.NewGuid().ToString("N"));
await using var matomo = await StandInMatomo.StartAsync();

var builder = WebApplication.CreateSlimBuilder();
builder.WebHost.UseUrls("http://127.0.0.1:0");
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddPiwikTracking(o =>
{
    o.Url = matomo.BaseUrl;
    o.SpoolDirectory = spool;
    o.SpoolMaxBytes = 64L * 1024 * 1024;
    o.MaxRetryDelay = TimeSpan.FromSeconds(2);
    o.RequestTimeout = TimeSpan.FromSeconds(2);
    o.VisitorIdSecret = "soak-test-secret-0123456789";
});
var app = builder.Build();
var counter = 0L;
app.MapGet("/work", (IPiwikTracker tracker) =>
{
    var n = Interlocked.Increment(ref counter);
    tracker.TrackEvent("soak", "e" + n.ToString(CultureInfo.InvariantCulture), userId: "u" + (n % 500).ToString(CultureInfo.InvariantCulture));
    return Results.Ok();
});
await app.StartAsync();
var metrics = app.Services.GetRequiredService<PiwikMetrics>();
using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

var end = DateTime.UtcNow + TimeSpan.FromMinutes(minutes);
var peak = 0L;
using var stop = new CancellationTokenSource();
var sampler = Task.Run(async () =>
{
    while (!stop.IsCancellationRequested)
    {
        using var process = Process.GetCurrentProcess();
        peak = Math.Max(peak, process.WorkingSet64);
        await Task.Delay(250);
    }
});

// Matomo flaps: up 20 s, down 15 s, slow 10 s, failing with 500/503 for 10 s.
var flapper = Task.Run(async () =>
{
    var phase = 0;
    while (DateTime.UtcNow < end)
    {
        switch (phase++ % 4)
        {
            case 0:
                await matomo.ComeBackAsync();
                matomo.DelayPerEntry = TimeSpan.Zero;
                await Task.Delay(TimeSpan.FromSeconds(20));
                break;
            case 1:
                await matomo.GoDownAsync();
                await Task.Delay(TimeSpan.FromSeconds(15));
                break;
            case 2:
                await matomo.ComeBackAsync();
                matomo.DelayPerEntry = TimeSpan.FromMilliseconds(30);
                await Task.Delay(TimeSpan.FromSeconds(10));
                break;
            default:
                matomo.DelayPerEntry = TimeSpan.Zero;
                for (var i = 0; i < 40; i++)
                {
                    matomo.EnqueueFault(new Fault(StatusCode: i % 2 == 0 ? 503 : 500, RetryAfter: TimeSpan.FromSeconds(1)));
                }

                await Task.Delay(TimeSpan.FromSeconds(10));
                break;
        }
    }

    await matomo.ComeBackAsync();
    matomo.DelayPerEntry = TimeSpan.Zero;
});

// Load: 8 concurrent clients, each pausing 2 ms between requests (a few thousand events a second), bounded by the duration.
var load = Enumerable.Range(0, 8).Select(_ => Task.Run(async () =>
{
    while (DateTime.UtcNow < end)
    {
        using var response = await client.GetAsync("/work");
        await Task.Delay(2);
    }
})).ToArray();
await Task.WhenAll(load);
await flapper;
Console.WriteLine("load done; draining the spool");
var drainEnd = DateTime.UtcNow + TimeSpan.FromMinutes(2);
while (metrics.Spooled > 0 && DateTime.UtcNow < drainEnd)
{
    await Task.Delay(100);
}

await app.StopAsync();
await stop.CancelAsync();
await sampler;

var distinct = matomo.Tracked.Select(e => e["e_a"]).Distinct().Count();
var duplicates = matomo.Tracked.Count - distinct;
var balanced = metrics.Enqueued + metrics.Restored == metrics.Sent + metrics.Rejected + metrics.Dropped + metrics.Spooled;
Console.WriteLine($"enqueued {metrics.Enqueued} + restored {metrics.Restored} = sent {metrics.Sent} + rejected {metrics.Rejected} + dropped {metrics.Dropped} + spooled {metrics.Spooled}: {(balanced ? "holds" : "DOES NOT HOLD")}");
foreach (var reason in Enum.GetValues<DropReason>())
{
    if (metrics.DroppedFor(reason) > 0)
    {
        Console.WriteLine($"  dropped {reason}: {metrics.DroppedFor(reason)}");
    }
}

Console.WriteLine($"matomo stored {matomo.Tracked.Count} ({distinct} distinct, {duplicates} duplicates; ambiguous outcomes {metrics.Ambiguous}), retries {metrics.Retries}");
Console.WriteLine($"peak working set {peak / (1024 * 1024)} MiB (this process also holds the stand-in's copy of every stored entry)");
await app.DisposeAsync();
Directory.Delete(spool, recursive: true);
return balanced && duplicates <= metrics.Ambiguous ? 0 : 1;
