using System.Diagnostics;
using System.Globalization;
using System.Text;
using Piwik.Testing;

namespace Piwik.Benchmarks;

/// <summary>
/// CPU and allocation per entry of the stand-in Matomo's validation of a bulk body (the load test's largest cost after
/// the app's own), in-process, both ways: in place over the body's bytes (what the stand-in does) and the plain parse
/// into a <see cref="TrackedEntry"/> per entry (its fallback and reference). Bodies of 100 entries like the sample's.
/// </summary>
internal static class StandInCost
{
    public static int Run(Arguments args)
    {
        var seconds = args.Number("seconds", 3);
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var json = new StringBuilder("{\"requests\":[");
        for (var i = 0; i < 100; i++)
        {
            json.Append(i == 0 ? "\"" : ",\"")
                .Append(CultureInfo.InvariantCulture, $"?idsite=1&rec=1&apiv=1&url=http%3A%2F%2F127.0.0.1%3A5197%2Fsignup&action_name=POST%20%2Fsignup")
                .Append(CultureInfo.InvariantCulture, $"&e_c=account&e_a=signup&e_n=on1-1-{1000 + i}&ca=1&cid=0f3a9c1d2e4b5a6{i % 10}&cdt={now}")
                .Append("&ua=Mozilla%2F5.0%20%28X11%3B%20Linux%20x86_64%29%20AppleWebKit%2F537.36%20%28KHTML%2C%20like%20Gecko%29%20Chrome%2F120.0%20Safari%2F537.36")
                .Append("&lang=en-US%2Cen%3Bq%3D0.9&pf_srv=0&send_image=0&dimension1=signup&r=12345\"");
        }

        var body = System.Text.Encoding.UTF8.GetBytes(json.Append("]}").ToString());
        Console.WriteLine($"body: {body.Length} bytes, 100 entries");
        foreach (var fast in new[] { true, false, true, false })
        {
            var verdict = StandInMatomo.Judge(body, null, null, materialise: false, fast);
            if (verdict.Tracked != 100 || verdict.StoredNames.Count != 100)
            {
                Console.Error.WriteLine($"unexpected verdict: tracked {verdict.Tracked}, invalid {verdict.Invalid.Count}: {verdict.Invalid.FirstOrDefault()?.Reason}");
                return 1;
            }

            var calls = 0L;
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var clock = Stopwatch.StartNew();
            while (clock.Elapsed.TotalSeconds < seconds)
            {
                StandInMatomo.Judge(body, null, null, materialise: false, fast);
                calls++;
            }

            var cpuUs = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalMicroseconds;
            var bytes = GC.GetAllocatedBytesForCurrentThread() - allocated;
            Console.WriteLine($"{(fast ? "in place" : "plain   ")}: {cpuUs / (calls * 100.0):F2} us CPU/entry, {clock.Elapsed.TotalMicroseconds / (calls * 100.0):F2} us wall/entry, {bytes / (calls * 100.0):F0} B/entry");
        }

        return 0;
    }
}
