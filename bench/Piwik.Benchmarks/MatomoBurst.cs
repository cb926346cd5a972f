using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Piwik.Diagnostics;
using Piwik.Sending;

namespace Piwik.Benchmarks;

/// <summary>
/// A burst of events into a real Matomo (<c>bench/matomo-burst.sh</c> starts one): the library's real sender against
/// the best raw bulk client, with the same batch size and requests in flight, each run into a site of its own, in
/// interleaved rounds. The figure is events per second <em>stored</em>: distinct events in
/// <c>matomo_log_link_visit_action</c> of the run's site over the time from the first event to the last answer. Each run also checks that no visit was split
/// (a visitor with two visits) and that nothing is missing or stored twice (every event name is unique).
/// <para>
/// The raw client sends the very bodies the sender sent: those of the latest sender run with the same requests in
/// flight, as Matomo accepted them (so the same batch sizes, which the sender may have grown under the backlog), into
/// a site of their own, with one task per lane (a visitor's bodies on one lane, in order), from memory, over one
/// <see cref="HttpClient"/>: no encoding, no queue, no spool. Until 7 December the bodies came from a run into a
/// transport that answered at once, where the sender grew its batches to 500 events and more: the raw client then
/// posted 9-13 bodies where the sender, against Matomo's answer times, posted 50 (see the requests column).
/// </para>
/// </summary>
internal static class MatomoBurst
{
    private const string AppUrl = "https://app.example.com/";

    public static async Task<int> RunAsync(Arguments args)
    {
        var settings = new BurstSettings(
            MatomoUrl: args.Get("url") ?? throw new ArgumentException("--url (Matomo base URL) is required"),
            Token: args.Get("token") ?? throw new ArgumentException("--token is required"),
            Database: args.Get("db") ?? throw new ArgumentException("--db (the MATOMO_DB command) is required"),
            Events: (int)args.Number("events", 5000),
            Visitors: (int)args.Number("visitors", 500),
            BatchSize: (int)args.Number("batch-size", 100));
        var inFlight = args.Get("in-flight", "1,2,4,8").Split(',').Select(int.Parse).ToArray();
        var rounds = (int)args.Number("rounds", 2);
        var adaptive = args.Get("adaptive", "yes") == "yes";
        var label = args.Get("label", "");
        using var http = new HttpClient(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(10) }) { Timeout = TimeSpan.FromMinutes(5) };

        // Warm-up: JIT on our side, OPcache and the buffer pool on Matomo's. Not reported.
        var warm = settings with { Events = Math.Min(settings.Events, 1000) };
        // Event names carry the run's start time: Matomo keeps names in one table for every site, and a name it already
        // holds (from an earlier run on the same instance) costs it a lookup, not an insert.
        var run = DateTime.UtcNow.ToString("MMddHHmmss", CultureInfo.InvariantCulture);
        var (_, warmBodies) = await SenderAsync(http, warm, 2, fixedLimit: true, $"{run}-warm-sender").ConfigureAwait(false);
        await RawAsync(http, warm, 2, ($"{run}-warm-sender", warmBodies), $"{run}-warm-raw").ConfigureAwait(false);

        Console.WriteLine($"Burst of {settings.Events} events from {settings.Visitors} visitors into a real Matomo ({label}), batch size {settings.BatchSize}, {rounds} round(s), load average before: {LoadAverage()}");
        Console.WriteLine("| round | client | in flight | events/s stored | stored | missing | duplicates | split visits | seconds | requests | slowest answer (s) | load avg |");
        Console.WriteLine("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|");
        var results = new List<BurstResult>();
        var clean = true;
        var sent = new Dictionary<int, (string Tag, byte[][] Bodies)>(); // per requests in flight: the latest sender run's
        for (var round = 1; round <= rounds; round++)
        {
            // Alternate which client goes first, so that neither always meets a Matomo just warmed by the other. The raw
            // client replays the latest sender run's bodies: in round 1 the sender's of that round, later the previous one's.
            var order = round % 2 == 1 ? new[] { "sender", "raw" } : new[] { "raw", "sender" };
            foreach (var k in inFlight)
            {
                foreach (var client in order)
                {
                    BurstResult result;
                    if (client == "raw")
                    {
                        result = await RawAsync(http, settings, k, sent[k], $"{run}-r{round}-raw-{k}").ConfigureAwait(false);
                    }
                    else
                    {
                        var tag = $"{run}-r{round}-sender-{k}";
                        (result, var bodies) = await SenderAsync(http, settings, k, fixedLimit: true, tag).ConfigureAwait(false);
                        sent[k] = (tag, bodies);
                    }

                    results.Add(result with { Round = round });
                    clean &= Print(round, result);
                }
            }

            if (adaptive)
            {
                var (result, _) = await SenderAsync(http, settings, 0, fixedLimit: false, $"{run}-r{round}-sender-default").ConfigureAwait(false);
                results.Add(result with { Round = round });
                clean &= Print(round, result);
            }
        }

        Console.WriteLine();
        Console.WriteLine("| in flight | raw events/s | sender events/s | sender / raw (target >= 0.9) |");
        Console.WriteLine("|---:|---:|---:|---:|");
        double Mean(string client, int k) => results.Where(r => r.Client == client && r.InFlight == k).Average(r => r.Rate);
        foreach (var k in inFlight)
        {
            Console.WriteLine($"| {k} | {Mean("raw", k):F0} | {Mean("sender", k):F0} | {Mean("sender", k) / Mean("raw", k):F3} |");
        }

        var bestRawK = inFlight.MaxBy(k => Mean("raw", k));
        var bestSenderK = inFlight.MaxBy(k => Mean("sender", k));
        Console.WriteLine();
        Console.WriteLine($"sender / best raw client (in flight {bestRawK} for both): {Mean("sender", bestRawK) / Mean("raw", bestRawK):F3} (target >= 0.9)");
        if (adaptive)
        {
            var defaults = results.Where(r => r.Client == "sender-default").Average(r => r.Rate);
            Console.WriteLine($"sender with default settings (adaptive in flight) / best fixed setting (in flight {bestSenderK}): {defaults / Mean("sender", bestSenderK):F3} (target >= 0.9)");
        }

        Console.WriteLine($"load average after: {LoadAverage()}");
        Console.WriteLine(clean ? "every run: nothing missing, no duplicate, no split visit" : "SOME RUN LOST, DUPLICATED OR SPLIT (see the table)");
        return clean ? 0 : 1;
    }

    private static bool Print(int round, BurstResult r)
    {
        var inFlight = r.InFlight == 0 ? "default" : r.InFlight.ToString(CultureInfo.InvariantCulture);
        Console.WriteLine($"| {round} | {r.Client} | {inFlight} | {r.Rate:F0} | {r.Stored} | {r.Missing} | {r.Duplicates} | {r.SplitVisits} | {r.Seconds:F2} | {r.Requests} | {r.SlowestAnswer:F2} | {r.Load} |");
        return r.Missing == 0 && r.Duplicates == 0 && r.SplitVisits == 0;
    }

    /// <summary>
    /// The raw client: the bodies a sender run sent, into a site of their own, posted from memory by
    /// <paramref name="inFlight"/> lanes.
    /// </summary>
    private static async Task<BurstResult> RawAsync(HttpClient http, BurstSettings settings, int inFlight, (string Tag, byte[][] Bodies) sent, string tag)
    {
        var site = await AddSiteAsync(http, settings, tag).ConfigureAwait(false);

        // A body's lane is its first visitor's lane: every entry of a body shares it.
        var lanes = sent.Bodies.Select(body => Rewrite(body, site, sent.Tag, tag)).GroupBy(b => LaneOf(b, inFlight)).Select(g => g.ToArray()).ToArray();
        var endpoint = new Uri(new Uri(settings.MatomoUrl), "matomo.php");
        var clock = Stopwatch.StartNew();
        long slowest = 0;
        await Task.WhenAll(lanes.Select(async bodies =>
        {
            foreach (var body in bodies)
            {
                var started = Stopwatch.GetTimestamp();
                using var content = new ByteArrayContent(body);
                content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
                using var response = await http.PostAsync(endpoint, content).ConfigureAwait(false);
                var answer = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
                if (response.StatusCode != HttpStatusCode.OK || !answer.Contains("\"success\"", StringComparison.Ordinal))
                {
                    Console.Error.WriteLine($"raw client: HTTP {(int)response.StatusCode} {answer[..Math.Min(200, answer.Length)]}");
                }

                InterlockedMax(ref slowest, Stopwatch.GetTimestamp() - started);
            }
        })).ConfigureAwait(false);
        var seconds = clock.Elapsed.TotalSeconds;
        return await CheckAsync(settings, site, "raw", inFlight, seconds).ConfigureAwait(false) with { Requests = lanes.Sum(l => l.Length), SlowestAnswer = Stopwatch.GetElapsedTime(0, slowest).TotalSeconds };
    }

    /// <summary>
    /// The library's real sender (<c>PiwikSender</c>, <c>MatomoClient</c>), fed the whole burst at once; with the bodies
    /// Matomo accepted, in the order they were sent.
    /// </summary>
    private static async Task<(BurstResult Result, byte[][] Bodies)> SenderAsync(HttpClient http, BurstSettings settings, int inFlight, bool fixedLimit, string tag)
    {
        var site = await AddSiteAsync(http, settings, tag).ConfigureAwait(false);
        double seconds;
        var requests = new BodyCapture();
        await using (var host = await StartHostAsync(settings, site, inFlight, fixedLimit, requests).ConfigureAwait(false))
        {
            var clock = Stopwatch.StartNew();
            Feed(host.Services, settings, tag);
            await WaitAccountedAsync(host.Services, settings.Events).ConfigureAwait(false);
            seconds = clock.Elapsed.TotalSeconds;
            await host.StopAsync().ConfigureAwait(false);
        }

        var result = await CheckAsync(settings, site, fixedLimit ? "sender" : "sender-default", inFlight, seconds).ConfigureAwait(false);
        if (requests.Failures.Count > 0)
        {
            Console.Error.WriteLine($"  {tag}: {string.Join(", ", requests.Failures)}");
        }

        return (result with { Requests = requests.Count, SlowestAnswer = requests.Slowest.TotalSeconds }, requests.Accepted);
    }

    private static async Task<HostHandle> StartHostAsync(BurstSettings settings, int site, int inFlight, bool fixedLimit, BodyCapture requests)
    {
        var builder = Host.CreateApplicationBuilder();
        builder.Logging.ClearProviders();
        var client = builder.Services.AddPiwikTracking(options =>
        {
            options.Url = settings.MatomoUrl;
            options.AllowInsecureHttp = true;
            options.SiteId = site;
            options.VisitorIdSecret = "burst-secret-0123456789abcdef";
            options.ApplicationUrl = AppUrl;
            options.BatchSize = settings.BatchSize;
            options.QueueCapacity = Math.Max(10_000, settings.Events);
            options.FlushInterval = TimeSpan.FromMilliseconds(200); // the tail of the burst
            options.ShutdownTimeout = TimeSpan.FromSeconds(30);
            ConfigureInFlight(options, inFlight, fixedLimit);
        });
        client.AddHttpMessageHandler(() => new CapturingHandler(requests)); // the bulk requests the sender made

        var host = builder.Build();
        await host.StartAsync().ConfigureAwait(false);
        return new HostHandle(host);
    }

    /// <summary>A fixed number of requests in flight, or the library's defaults.</summary>
    private static void ConfigureInFlight(PiwikOptions options, int inFlight, bool fixedLimit)
    {
        if (fixedLimit)
        {
            options.MaxConcurrentBatches = inFlight;
            options.AdaptiveConcurrency = false;
        }
    }

    /// <summary>Queues the whole burst at once: every event a name of its own, visitors round-robin.</summary>
    private static void Feed(IServiceProvider services, BurstSettings settings, string tag)
    {
        var tracker = services.GetRequiredService<IPiwikTracker>();
        for (var i = 0; i < settings.Events; i++)
        {
            var user = "user-" + (i % settings.Visitors).ToString(CultureInfo.InvariantCulture);
            if (!tracker.TrackEvent("burst", "favorite", name: tag + "-" + i.ToString(CultureInfo.InvariantCulture), value: i % 500, userId: user))
            {
                throw new InvalidOperationException("the queue refused an event: raise QueueCapacity");
            }
        }
    }

    private static async Task WaitAccountedAsync(IServiceProvider services, int events)
    {
        var metrics = services.GetRequiredService<PiwikMetrics>();
        while (metrics.Sent + metrics.Rejected + metrics.Dropped < events)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }

        if (metrics.Rejected + metrics.Dropped + metrics.Retries + metrics.Ambiguous > 0)
        {
            Console.Error.WriteLine($"  sender: {metrics.Rejected} rejected, {metrics.Dropped} dropped, {metrics.Retries} retries, {metrics.Ambiguous} events of unknown outcome");
        }
    }

    /// <summary>
    /// A body with every entry's site changed to <paramref name="site"/>, and its event names to names of the raw run's own
    /// (<paramref name="tag"/> for <paramref name="sentTag"/>): Matomo keeps names in one table for every site, and a name it
    /// already holds costs it a lookup, not an insert, so replaying the sender's names would give the raw client less work.
    /// </summary>
    private static byte[] Rewrite(byte[] body, int site, string sentTag, string tag) =>
        System.Text.Encoding.UTF8.GetBytes(System.Text.RegularExpressions.Regex.Replace(
            System.Text.Encoding.UTF8.GetString(body), "\\?idsite=[0-9]+&", "?idsite=" + site.ToString(CultureInfo.InvariantCulture) + "&")
            .Replace(sentTag + "-", tag + "-", StringComparison.Ordinal));

    private static void InterlockedMax(ref long target, long value)
    {
        long seen;
        while (value > (seen = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, seen) != seen)
        {
        }
    }

    private static int LaneOf(byte[] body, int lanes)
    {
        var text = System.Text.Encoding.ASCII.GetString(body);
        var at = text.IndexOf("&cid=", StringComparison.Ordinal) + 5;
        var cid = text.Substring(at, 16);
        var hash = 2166136261u; // the sender's lane hash (FNV-1a over the visitor id)
        foreach (var c in cid)
        {
            hash = (hash ^ c) * 16777619u;
        }

        return (int)(hash & int.MaxValue) % lanes;
    }

    private static async Task<int> AddSiteAsync(HttpClient http, BurstSettings settings, string tag)
    {
        using var form = new FormUrlEncodedContent(new Dictionary<string, string>
        {
            ["module"] = "API",
            ["format"] = "json",
            ["method"] = "SitesManager.addSite",
            ["siteName"] = "burst " + tag + " " + DateTime.UtcNow.ToString("HHmmss", CultureInfo.InvariantCulture),
            ["urls"] = AppUrl,
            ["timezone"] = "UTC",
            ["token_auth"] = settings.Token,
        });
        using var response = await http.PostAsync(new Uri(new Uri(settings.MatomoUrl), "index.php"), form).ConfigureAwait(false);
        var text = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        using var json = JsonDocument.Parse(text);
        return json.RootElement.GetProperty("value").GetInt32();
    }

    private static async Task<BurstResult> CheckAsync(BurstSettings settings, int site, string client, int inFlight, double seconds)
    {
        // Names, not idaction ids: two requests storing the same new name at once can give it two log_action rows.
        var load = LoadAverage();
        var counts = (await QueryAsync(settings, $"SELECT COUNT(*), COUNT(DISTINCT a.name) FROM matomo_log_link_visit_action l JOIN matomo_log_action a ON a.idaction = l.idaction_name WHERE l.idsite = {site}").ConfigureAwait(false)).Split('\t');
        var stored = long.Parse(counts[0], CultureInfo.InvariantCulture);
        var distinct = long.Parse(counts[1], CultureInfo.InvariantCulture);
        var split = long.Parse(await QueryAsync(settings, $"SELECT COUNT(*) FROM (SELECT idvisitor FROM matomo_log_visit WHERE idsite = {site} GROUP BY idvisitor HAVING COUNT(*) > 1) s").ConfigureAwait(false), CultureInfo.InvariantCulture);
        // The rate counts each event once: a copy stored twice is no throughput.
        return new BurstResult(0, client, inFlight, distinct / seconds, stored, settings.Events - distinct, stored - distinct, split, seconds, load);
    }

    private static async Task<string> QueryAsync(BurstSettings settings, string sql)
    {
        var start = new ProcessStartInfo("bash") { RedirectStandardOutput = true, UseShellExecute = false };
        start.ArgumentList.Add("-c");
        start.ArgumentList.Add(settings.Database + " -N -B -e \"$0\"");
        start.ArgumentList.Add(sql);
        using var process = Process.Start(start)!;
        var output = await process.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
        await process.WaitForExitAsync().ConfigureAwait(false);
        return process.ExitCode == 0 ? output.Trim() : throw new InvalidOperationException("query failed: " + sql);
    }

    private static string LoadAverage() => string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3));

    private sealed record BurstSettings(string MatomoUrl, string Token, string Database, int Events, int Visitors, int BatchSize);

    private sealed record BurstResult(int Round, string Client, int InFlight, double Rate, long Stored, long Missing, long Duplicates, long SplitVisits, double Seconds, string Load, int Requests = 0, double SlowestAnswer = 0);

    /// <summary>Keeps every body the sender hands over, and answers that Matomo tracked it all.</summary>
    /// <summary>The bulk requests a sender run made, and the bodies Matomo accepted (HTTP 200), in the order sent.</summary>
    private sealed class BodyCapture
    {
        private readonly List<byte[]> _accepted = [];
        private int _count;

        public int Count => Volatile.Read(ref _count);

        public byte[][] Accepted
        {
            get
            {
                lock (_accepted)
                {
                    return [.. _accepted];
                }
            }
        }

        private readonly List<string> _failures = [];
        private long _slowest;

        /// <summary>The requests not answered 200, and how: status, or exception, and when the answer came (seconds).</summary>
        public IReadOnlyList<string> Failures
        {
            get
            {
                lock (_failures)
                {
                    return [.. _failures];
                }
            }
        }

        public TimeSpan Slowest => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _slowest));

        public void NoteAnswer(long ticks, string? failure)
        {
            InterlockedMax(ref _slowest, ticks);
            if (failure is not null)
            {
                lock (_failures)
                {
                    _failures.Add($"{failure} after {Stopwatch.GetElapsedTime(0, ticks).TotalSeconds:F2} s");
                }
            }
        }

        public void Add(byte[] body, bool accepted)
        {
            Interlocked.Increment(ref _count);
            if (accepted)
            {
                lock (_accepted)
                {
                    _accepted.Add(body);
                }
            }
        }
    }

    private sealed class CapturingHandler(BodyCapture capture) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var body = await request.Content!.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
            var started = Stopwatch.GetTimestamp();
            HttpResponseMessage response;
            try
            {
                response = await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                capture.NoteAnswer(Stopwatch.GetTimestamp() - started, ex.GetType().Name);
                throw;
            }

            // Headers only: the sender reads the answer after this (a 200 whose answer says otherwise is not seen here).
            capture.NoteAnswer(Stopwatch.GetTimestamp() - started, response.StatusCode == HttpStatusCode.OK ? null : "HTTP " + (int)response.StatusCode);
            capture.Add(body, response.StatusCode == HttpStatusCode.OK);
            return response;
        }
    }

    private sealed class HostHandle(IHost host) : IAsyncDisposable
    {
        public IServiceProvider Services => host.Services;

        public Task StopAsync() => host.StopAsync();

        public ValueTask DisposeAsync()
        {
            host.Dispose();
            return ValueTask.CompletedTask;
        }
    }
}
