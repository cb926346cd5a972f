// A child process for the crash test: tracks events with the spool on and reports on stdout what it accepted and
// what is durable, so the test can kill it (SIGKILL) mid-stream and check what a restart recovers.
//   produce <url> <spool> <count>   track <count> events, report "durable <n>" once all are on disk, keep delivering
//   replay  <url> <spool>           track nothing, deliver what the spool holds, report "final ..." and exit
using System.Globalization;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Piwik;
using Piwik.Diagnostics;

var mode = args[0];
var builder = Host.CreateApplicationBuilder();
builder.Logging.ClearProviders();
builder.Logging.AddSimpleConsole(o => o.SingleLine = true);
builder.Logging.SetMinimumLevel(LogLevel.Warning);
builder.Services.AddPiwikTracking(o =>
{
    o.Url = args[1];
    o.SpoolDirectory = args[2];
    o.BatchSize = 20;
    o.FlushInterval = TimeSpan.FromMilliseconds(20);
    o.MaxConcurrentBatches = 2;
    o.QueueCapacity = 100_000;
    o.MaxRetryDelay = TimeSpan.FromMilliseconds(200);
    o.VisitorIdSecret = "crash-test-secret-0123456789";
});
using var host = builder.Build();
await host.StartAsync();
var metrics = host.Services.GetRequiredService<PiwikMetrics>();
var tracker = host.Services.GetRequiredService<IPiwikTracker>();

if (mode == "produce")
{
    var count = int.Parse(args[3], CultureInfo.InvariantCulture);
    var accepted = 0;
    for (var i = 0; i < count; i++)
    {
        accepted += tracker.TrackEvent("crash", "e" + i.ToString(CultureInfo.InvariantCulture), userId: "u" + (i % 5).ToString(CultureInfo.InvariantCulture)) ? 1 : 0;
    }

    Console.WriteLine($"accepted {accepted}");
    while (metrics.Accounted < metrics.Enqueued)
    {
        await Task.Delay(5);
    }

    Console.WriteLine($"durable {metrics.Accounted} dropped {metrics.Dropped}");
    await Task.Delay(Timeout.Infinite); // delivering until killed
}
else
{
    Console.WriteLine($"restored {metrics.Restored}");
    while (metrics.Spooled > 0)
    {
        await Task.Delay(10);
    }

    await host.StopAsync();
    Console.WriteLine($"final restored {metrics.Restored} enqueued {metrics.Enqueued} sent {metrics.Sent} rejected {metrics.Rejected} dropped {metrics.Dropped} spooled {metrics.Spooled}");
}
