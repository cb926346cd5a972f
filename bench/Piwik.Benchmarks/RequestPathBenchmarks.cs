using System.Net;
using Microsoft.AspNetCore.Http.Features;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Piwik.Capture;
using Piwik.Testing;

namespace Piwik.Benchmarks;

/// <summary>
/// The request path: the same endpoint with and without <see cref="TrackAsAttribute"/>, each invoked through the
/// <see cref="RequestDelegate"/> the Request Delegate Generator built for it (taken from the app's endpoint data sources
/// after <c>UsePiwikTracking()</c>), on one <see cref="DefaultHttpContext"/> with a browser's headers. The queue is
/// drained by a background reader, as the sender does, so it never fills. The difference of the two is what tracking
/// adds to a request.
/// </summary>
public class RequestPathBenchmarks
{
    private WebApplication _app = null!;
    private RequestDelegate _plain = null!;
    private RequestDelegate _tracked = null!;
    private RequestDelegate _filtered = null!;
    private RequestDelegate _noName = null!;
    private RequestDelegate _withFailure = null!;
    private RequestDelegate _argument = null!;
    private RequestDelegate _plainArgument = null!;
    private RequestDelegate _plainBody = null!;
    private RequestDelegate _body = null!;
    private RequestDelegate _filteredBody = null!;
    private DefaultHttpContext _filteredBodyContext = null!;
    private DefaultHttpContext _plainBodyContext = null!;
    private DefaultHttpContext _bodyContext = null!;
    private DefaultHttpContext _plainArgumentContext = null!;
    private DefaultHttpContext _argumentContext = null!;
    private DefaultHttpContext _noNameContext = null!;
    private DefaultHttpContext _withFailureContext = null!;
    private DefaultHttpContext _filteredContext = null!;
    private DefaultHttpContext _plainContext = null!;
    private DefaultHttpContext _trackedContext = null!;
    private CancellationTokenSource _stop = null!;
    private Task _drain = null!;
    private EventQueue _queue = null!;
    private long _drained;

    /// <summary>
    /// Who takes the events off the queue: <c>Sender</c>, a background task reading through the queue's reader as the
    /// real sender does (woken once 100 events are queued); <c>Inline</c>, a
    /// <c>TryRead</c> right after each request on the same thread (the queue stays at one event, its cost is counted).
    /// </summary>
    [ParamsSource(nameof(Drains))]
    public string Drain { get; set; } = "Sender";

    /// <summary>Both drains, or only the one named by <c>PIWIK_BDN_DRAIN</c> (a shorter run).</summary>
    public static IEnumerable<string> Drains() =>
        Environment.GetEnvironmentVariable("PIWIK_BDN_DRAIN") is { Length: > 0 } only ? [only] : ["Sender", "Inline"];

    /// <summary>
    /// The request's header collection: <c>HeaderDictionary</c>, <see cref="DefaultHttpContext"/>'s own (a dictionary
    /// lookup per header), or <c>Kestrel</c>, the collection Kestrel hands a real request (its
    /// <c>HttpRequestHeaders</c>, where the known headers are fields), set on the same <see cref="DefaultHttpContext"/>.
    /// </summary>
    [Params("HeaderDictionary", "Kestrel")]
    public string Headers { get; set; } = "HeaderDictionary";

    [GlobalSetup]
    public void Setup()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddPiwikTracking(options =>
        {
            options.VisitorIdSecret = "benchmark-secret-0123456789";
            if (Environment.GetEnvironmentVariable("PIWIK_BENCH_QUEUE") is { } queue)
            {
                options.QueueCapacity = int.Parse(queue, System.Globalization.CultureInfo.InvariantCulture);
            }
        });
        var app = builder.Build();

        // The same handler twice; only the second is tracked. Route value bound as an int, as an app would.
        app.MapPost("/plain/{id}/favorite", (int id) => id > 0 ? TypedResults.NoContent() : (IResult)TypedResults.NotFound());
        app.MapPost("/items/{id}/favorite", [TrackAs("favorite", Category = "items", Name = "{id}")] (int id) => id > 0 ? TypedResults.NoContent() : (IResult)TypedResults.NotFound());
        // The floor of any filter-based design under RDG: the same endpoint with an endpoint filter that does nothing.
        app.MapPost("/filtered/{id}/favorite", (int id) => id > 0 ? TypedResults.NoContent() : (IResult)TypedResults.NotFound())
            .AddEndpointFilter((context, next) => next(context));
        app.MapPost("/noname/{id}/favorite", [TrackAs("bookmark", Category = "items")] (int id) => id > 0 ? TypedResults.NoContent() : (IResult)TypedResults.NotFound());
        // A failure action needs to know the handler ran (a 4xx from a failed binding records nothing): the filter path.
        app.MapPost("/failure/{id}/favorite", [TrackAs("favorite", Category = "items", Name = "{id}", FailureAction = "favorite-failed")] (int id) => id > 0 ? TypedResults.NoContent() : (IResult)TypedResults.NotFound());
        // A template that reads an argument the route does not hold (a query value): read from the parsed query once the
        // response is done, no filter (the filter path before 7 December).
        app.MapPost("/plainarg/{id}/favorite", (int id, [Microsoft.AspNetCore.Mvc.FromQuery] string? list) => id > 0 ? TypedResults.NoContent() : (IResult)TypedResults.NotFound());
        app.MapPost("/argument/{id}/favorite", [TrackAs("add-to-list", Category = "items", Name = "{list}")] (int id, [Microsoft.AspNetCore.Mvc.FromQuery] string? list) => id > 0 ? TypedResults.NoContent() : (IResult)TypedResults.NotFound());
        // A template that reads the JSON body (the sample's sign-up): RDG's filtered path, the argument read through the
        // invocation context; its baseline binds the same body.
        app.MapPost("/plainbody", (Signup signup) => TypedResults.NoContent());
        app.MapPost("/filteredbody", (Signup signup) => TypedResults.NoContent()).AddEndpointFilter((context, next) => next(context));
        app.MapPost("/body", [TrackAs("signup", Category = "account", Name = "{signup.Plan}")] (Signup signup) => TypedResults.NoContent());
        app.UsePiwikTracking();

        var endpoints = ((IEndpointRouteBuilder)app).DataSources.SelectMany(source => source.Endpoints).OfType<RouteEndpoint>().ToList();
        _plain = endpoints.Single(e => e.RoutePattern.RawText == "/plain/{id}/favorite").RequestDelegate!;
        _filtered = endpoints.Single(e => e.RoutePattern.RawText == "/filtered/{id}/favorite").RequestDelegate!;
        _noName = endpoints.Single(e => e.RoutePattern.RawText == "/noname/{id}/favorite").RequestDelegate!;
        _withFailure = endpoints.Single(e => e.RoutePattern.RawText == "/failure/{id}/favorite").RequestDelegate!;
        _argument = endpoints.Single(e => e.RoutePattern.RawText == "/argument/{id}/favorite").RequestDelegate!;
        _plainArgument = endpoints.Single(e => e.RoutePattern.RawText == "/plainarg/{id}/favorite").RequestDelegate!;
        _plainBody = endpoints.Single(e => e.RoutePattern.RawText == "/plainbody").RequestDelegate!;
        _body = endpoints.Single(e => e.RoutePattern.RawText == "/body").RequestDelegate!;
        _filteredBody = endpoints.Single(e => e.RoutePattern.RawText == "/filteredbody").RequestDelegate!;
        var tracked = endpoints.Single(e => e.RoutePattern.RawText == "/items/{id}/favorite");
        _tracked = tracked.RequestDelegate!;
        if (ReferenceEquals(_plain, _tracked) || tracked.Metadata.GetMetadata<TrackAsAttribute>() is null)
        {
            throw new InvalidOperationException("The tracked endpoint was not set up.");
        }

        var kestrel = Headers == "Kestrel";
        _plainContext = NewContext(app.Services, "/plain/42/favorite", kestrel);
        _filteredContext = NewContext(app.Services, "/filtered/42/favorite", kestrel);
        _noNameContext = NewContext(app.Services, "/noname/42/favorite", kestrel);
        _withFailureContext = NewContext(app.Services, "/failure/42/favorite", kestrel);
        _argumentContext = NewContext(app.Services, "/argument/42/favorite", kestrel);
        _argumentContext.Request.QueryString = new QueryString("?list=wishlist");
        _plainArgumentContext = NewContext(app.Services, "/plainarg/42/favorite", kestrel);
        _plainArgumentContext.Request.QueryString = new QueryString("?list=wishlist");
        _trackedContext = NewContext(app.Services, "/items/42/favorite", kestrel);
        _plainBodyContext = NewBodyContext(app.Services, "/plainbody", kestrel);
        _filteredBodyContext = NewBodyContext(app.Services, "/filteredbody", kestrel);
        _bodyContext = NewBodyContext(app.Services, "/body", kestrel);
        _queue = app.Services.GetRequiredService<EventQueue>();
        _stop = new CancellationTokenSource();
        _drain = Drain == "Sender" ? Task.Run(DrainAsync) : Task.CompletedTask;
        _app = app;

        // Prove each tracked delegate records one event (and the plain one none) before measuring, and which path each
        // takes: a route-value or query-value template or none needs no filter, a failure action does.
        var metrics = app.Services.GetRequiredService<Diagnostics.PiwikMetrics>();
        var before = metrics.Enqueued;
        Tracked().GetAwaiter().GetResult();
        TrackedNoName().GetAwaiter().GetResult();
        TrackedWithFailureAction().GetAwaiter().GetResult();
        TrackedArgument().GetAwaiter().GetResult();
        TrackedBody().GetAwaiter().GetResult();
        Plain().GetAwaiter().GetResult();
        PlainBody().GetAwaiter().GetResult();
        if (metrics.Enqueued - before != 5 || _bodyContext.Response.StatusCode != 204 || _plainBodyContext.Response.StatusCode != 204)
        {
            throw new InvalidOperationException($"Expected one event from each of five tracked requests, got {metrics.Enqueued - before} (body: {_bodyContext.Response.StatusCode}, {_plainBodyContext.Response.StatusCode}).");
        }

        if (_tracked.Target is not Endpoints.TrackedRequestDelegate || _noName.Target is not Endpoints.TrackedRequestDelegate
            || _withFailure.Target is not Endpoints.FilteredRequestDelegate || _argument.Target is not Endpoints.TrackedRequestDelegate
            || _body.Target is not Endpoints.FilteredRequestDelegate)
        {
            throw new InvalidOperationException("The tracked endpoints did not take the expected paths.");
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _stop.Cancel();
        _queue.Close();
        _drain.GetAwaiter().GetResult();
        _app.DisposeAsync().AsTask().GetAwaiter().GetResult();
    }

    [Benchmark(Baseline = true, Description = "endpoint without [TrackAs]")]
    public Task Plain()
    {
        _plainContext.Response.StatusCode = 200;
        return Served(_plain(_plainContext), _plainContext);
    }

    [Benchmark(Description = "same endpoint with a no-op endpoint filter (floor of a filter)")]
    public Task NoOpFilter()
    {
        _filteredContext.Response.StatusCode = 200;
        return Served(_filtered(_filteredContext), _filteredContext);
    }

    [Benchmark(Description = "same endpoint with [TrackAs]")]
    public Task Tracked()
    {
        _trackedContext.Response.StatusCode = 200;
        var task = Served(_tracked(_trackedContext), _trackedContext);
        DrainInline();
        return task;
    }

    [Benchmark(Description = "[TrackAs] with a FailureAction (endpoint filter)")]
    public Task TrackedWithFailureAction()
    {
        _withFailureContext.Response.StatusCode = 200;
        var task = Served(_withFailure(_withFailureContext), _withFailureContext);
        DrainInline();
        return task;
    }

    [Benchmark(Description = "endpoint without [TrackAs] that binds a query value too (baseline of the next)")]
    public Task PlainArgument()
    {
        _plainArgumentContext.Response.StatusCode = 200;
        return Served(_plainArgument(_plainArgumentContext), _plainArgumentContext);
    }

    [Benchmark(Description = "[TrackAs] with a query template (endpoint filter)")]
    public Task TrackedArgument()
    {
        _argumentContext.Response.StatusCode = 200;
        var task = Served(_argument(_argumentContext), _argumentContext);
        DrainInline();
        return task;
    }

    [Benchmark(Description = "endpoint without [TrackAs] that binds a JSON body (baseline of the next)")]
    public Task PlainBody()
    {
        WithBody(_plainBodyContext);
        return Served(_plainBody(_plainBodyContext), _plainBodyContext);
    }

    [Benchmark(Description = "the same with a no-op endpoint filter (floor of a filter on this shape)")]
    public Task NoOpFilterBody()
    {
        WithBody(_filteredBodyContext);
        return Served(_filteredBody(_filteredBodyContext), _filteredBodyContext);
    }

    [Benchmark(Description = "[TrackAs] with a template reading the JSON body (endpoint filter)")]
    public Task TrackedBody()
    {
        WithBody(_bodyContext);
        var task = Served(_body(_bodyContext), _bodyContext);
        DrainInline();
        return task;
    }

    /// <summary>
    /// The endpoint's work, then the response's completion callbacks, as the server runs them once the response is out
    /// (Kestrel: after the application's task, before the connection's next request). Tracking records from there.
    /// </summary>
    private static Task Served(Task pending, DefaultHttpContext context)
    {
        pending.GetAwaiter().GetResult();
        ((CompletingResponse)context.Features.Get<IHttpResponseFeature>()!).FireOnCompleted();
        return Task.CompletedTask;
    }

    /// <summary>A request that can have a body, as Kestrel's POST with a Content-Length says (RDG reads none otherwise).</summary>
    private static DefaultHttpContext NewBodyContext(IServiceProvider services, string path, bool kestrelHeaders)
    {
        var context = NewContext(services, path, kestrelHeaders);
        context.Features.Set<IHttpRequestBodyDetectionFeature>(HasBody.Instance);
        return context;
    }

    /// <summary>A new body for the next request (a read body's reader is at its end), as each request brings its own.</summary>
    private static void WithBody(DefaultHttpContext context)
    {
        context.Response.StatusCode = 200;
        context.Request.Body = new MemoryStream(SignupJson, writable: false);
        context.Request.ContentType = "application/json";
        context.Request.ContentLength = SignupJson.Length;
    }

    private static readonly byte[] SignupJson = """{"email":"ann@example.com","plan":"family"}"""u8.ToArray();

    public sealed record Signup(string Email, string Plan);

    private sealed class HasBody : IHttpRequestBodyDetectionFeature
    {
        public static readonly HasBody Instance = new();

        public bool CanHaveBody => true;
    }

    [Benchmark(Description = "[TrackAs] without a Name template")]
    public Task TrackedNoName()
    {
        _noNameContext.Response.StatusCode = 200;
        var task = Served(_noName(_noNameContext), _noNameContext);
        DrainInline();
        return task;
    }

    /// <summary>
    /// The <c>Inline</c> request path in a plain loop, for a sampling profiler (<c>perf record</c> with
    /// <c>DOTNET_PerfMapEnabled=1</c>): prints the mean time per request. With <c>--variant all</c> it runs every
    /// variant in turn, in rounds of one million requests each, and prints each variant's best round by the process's
    /// CPU time per request (robust to other work on a shared machine, unlike wall time) and wall time, and what each
    /// adds to the baseline.
    /// </summary>
    internal static int Loop(Arguments args)
    {
        // --drain sender: the queue is read by a background task, as the sender reads it, and each variant is timed by
        // this thread's own CPU time: what the request's thread pays, without the reader's work (the sender's, in
        // production), with what a reader on another core costs the writer (the ring's cache lines, the wake-ups).
        var senderDrain = args.Get("drain", "inline") == "sender";
        var benchmarks = new RequestPathBenchmarks { Drain = senderDrain ? "Sender" : "Inline", Headers = args.Get("headers", "HeaderDictionary") };
        benchmarks.Setup();
        var variants = new (string Name, Func<Task> Request)[]
        {
            ("plain", benchmarks.Plain),
            ("filter", benchmarks.NoOpFilter),
            ("tracked", benchmarks.Tracked),
            ("noname", benchmarks.TrackedNoName),
            ("failure", benchmarks.TrackedWithFailureAction),
            ("plainarg", benchmarks.PlainArgument),
            ("argument", benchmarks.TrackedArgument),
            ("plainbody", benchmarks.PlainBody),
            ("filterbody", benchmarks.NoOpFilterBody),
            ("body", benchmarks.TrackedBody),
        };
        var chosen = args.Get("variant", "tracked");
        if (chosen != "all")
        {
            var request = variants.Single(v => v.Name == chosen).Request;
            var seconds = args.Number("seconds", 10);
            var watch = System.Diagnostics.Stopwatch.StartNew();
            long count = 0;
            while (watch.Elapsed.TotalSeconds < seconds)
            {
                Run(request, 100_000);
                count += 100_000;
            }

            Console.WriteLine($"{count} requests, {watch.Elapsed.TotalNanoseconds / count:F1} ns each");
            benchmarks.Cleanup();
            return 0;
        }

        const int PerRound = 1_000_000;
        var rounds = (int)args.Number("rounds", 12);
        var bestCpu = new double[variants.Length];
        var bestWall = new double[variants.Length];
        var allocated = new double[variants.Length];
        var roundCpu = new double[rounds, variants.Length];
        var collections = new int[variants.Length, 3];
        var paused = new TimeSpan[variants.Length];
        Array.Fill(bestCpu, double.MaxValue);
        Array.Fill(bestWall, double.MaxValue);
        var process = System.Diagnostics.Process.GetCurrentProcess();
        foreach (var (_, request) in variants)
        {
            Run(request, PerRound); // warm-up: tier-1 code before the first measured round
        }

        for (var round = 0; round < rounds; round++)
        {
            for (var v = 0; v < variants.Length; v++)
            {
                process.Refresh();
                var cpu = senderDrain ? ThreadCpu() : process.TotalProcessorTime;
                var wall = System.Diagnostics.Stopwatch.GetTimestamp();
                var bytes = GC.GetAllocatedBytesForCurrentThread();
                var gen0 = GC.CollectionCount(0);
                var gen1 = GC.CollectionCount(1);
                var gen2 = GC.CollectionCount(2);
                var pause = GC.GetTotalPauseDuration();
                Run(variants[v].Request, PerRound);
                paused[v] += GC.GetTotalPauseDuration() - pause;
                collections[v, 0] += GC.CollectionCount(0) - gen0;
                collections[v, 1] += GC.CollectionCount(1) - gen1;
                collections[v, 2] += GC.CollectionCount(2) - gen2;
                var wallNs = System.Diagnostics.Stopwatch.GetElapsedTime(wall).TotalNanoseconds / PerRound;
                allocated[v] = (double)(GC.GetAllocatedBytesForCurrentThread() - bytes) / PerRound;
                process.Refresh();
                var cpuNs = ((senderDrain ? ThreadCpu() : process.TotalProcessorTime) - cpu).TotalNanoseconds / PerRound;
                roundCpu[round, v] = cpuNs;
                bestCpu[v] = Math.Min(bestCpu[v], cpuNs);
                bestWall[v] = Math.Min(bestWall[v], wallNs);
            }
        }

        // The best rounds of two variants may come from different moments of a drifting machine; the median of the
        // differences within each round (the variants run one after the other, a second apart) is steadier.
        Console.WriteLine($"headers {benchmarks.Headers}, drain {(senderDrain ? "sender (CPU: this thread's)" : "inline (CPU: the process's)")}, {rounds} rounds of {PerRound:N0} requests per variant, best round; median of each round's difference to plain; collections (gen 0/1/2) over all rounds and their pauses per request:");
        for (var v = 0; v < variants.Length; v++)
        {
            var differences = new double[rounds];
            for (var round = 0; round < rounds; round++)
            {
                differences[round] = roundCpu[round, v] - roundCpu[round, 0];
            }

            Array.Sort(differences);
            var median = rounds % 2 == 1 ? differences[rounds / 2] : (differences[(rounds / 2) - 1] + differences[rounds / 2]) / 2;
            Console.WriteLine($"  {variants[v].Name,-10} CPU {bestCpu[v],7:F1} ns (+{bestCpu[v] - bestCpu[0],6:F1}; median +{median,6:F1})   wall {bestWall[v],7:F1} ns (+{bestWall[v] - bestWall[0],6:F1})   allocated {allocated[v],5:F1} B   GCs {collections[v, 0]}/{collections[v, 1]}/{collections[v, 2]} ({paused[v].TotalNanoseconds / (rounds * (double)PerRound):F1} ns paused)");
        }

        benchmarks.Cleanup();
        return 0;

        static void Run(Func<Task> request, int count)
        {
            for (var i = 0; i < count; i++)
            {
                request().GetAwaiter().GetResult();
            }
        }
    }

    /// <summary>This thread's CPU time (Linux, <c>CLOCK_THREAD_CPUTIME_ID</c>).</summary>
    private static TimeSpan ThreadCpu()
    {
        if (ClockGetTime(3, out var time) != 0)
        {
            throw new InvalidOperationException("clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed: --drain sender needs Linux.");
        }

        return TimeSpan.FromTicks((time.Seconds * TimeSpan.TicksPerSecond) + (time.Nanoseconds / 100));
    }

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "clock_gettime")]
    private static extern int ClockGetTime(int clock, out TimeSpec time);

    private struct TimeSpec
    {
        public long Seconds;
        public long Nanoseconds;
    }

    private void DrainInline()
    {
        if (_drain.IsCompleted)
        {
            _queue.Reader.TryRead(out _);
        }
    }

    private async Task DrainAsync()
    {
        // As the sender reads: woken once a batch's worth of events is queued (a threshold), not by every write.
        var reader = _queue.Reader;
        while (!_queue.IsClosed)
        {
            await _queue.WaitAsync(100, CancellationToken.None).ConfigureAwait(false);
            while (reader.TryRead(out _))
            {
                _drained++;
            }
        }
    }

    internal static DefaultHttpContext NewContext(IServiceProvider services, string path, bool kestrelHeaders = false)
    {
        var context = new DefaultHttpContext { RequestServices = services };
        context.Features.Set<IHttpResponseFeature>(new CompletingResponse());
        if (kestrelHeaders)
        {
            context.Features.Get<IHttpRequestFeature>()!.Headers = KestrelRequestHeaders();
        }

        var request = context.Request;
        request.Method = HttpMethods.Post;
        request.Scheme = "https";
        request.Host = new HostString("app.example.com");
        request.Path = path;
        request.RouteValues["id"] = "42";
        request.Headers.UserAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
        request.Headers.AcceptLanguage = "en-GB,en;q=0.9,fr;q=0.8";
        request.Headers.Referer = "https://app.example.com/items/42";
        request.Headers.Accept = "application/json";
        request.Headers.AcceptEncoding = "gzip, deflate, br";
        request.Headers.Cookie = "session=4f1d2c3b; theme=dark";
        context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.42");
        return context;
    }

    /// <summary>An empty instance of Kestrel's (internal) request header collection, as a real request has.</summary>
    [System.Diagnostics.CodeAnalysis.UnconditionalSuppressMessage("Trimming", "IL2026", Justification = "Benchmarks are not trimmed.")]
    private static IHeaderDictionary KestrelRequestHeaders()
    {
        var type = typeof(Microsoft.AspNetCore.Server.Kestrel.Core.KestrelServerOptions).Assembly
            .GetType("Microsoft.AspNetCore.Server.Kestrel.Core.Internal.Http.HttpRequestHeaders", throwOnError: true)!;
        return (IHeaderDictionary)Activator.CreateInstance(
            type,
            System.Reflection.BindingFlags.Instance | System.Reflection.BindingFlags.Public | System.Reflection.BindingFlags.NonPublic,
            binder: null,
            args: [true, null],
            culture: null)!;
    }
}

/// <summary>
/// The queue's floor for scale, on one thread: one bounded-channel <c>TryWrite</c> and <c>TryRead</c> of the event
/// struct (the queue before), against the same through <see cref="EventRing"/> (the queue now).
/// </summary>
public class ChannelFloorBenchmarks
{
    private readonly Channel<TrackedEvent> _channel = Channel.CreateBounded<TrackedEvent>(new BoundedChannelOptions(10_000)
    {
        SingleReader = true,
        SingleWriter = false,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private readonly TrackedEvent _event = EncodingBenchmarks.SampleEvents(1, 1)[0];

    private readonly EventRing _ring = new(10_000);

    [Benchmark(Baseline = true, Description = "bounded channel TryWrite + TryRead")]
    public bool WriteRead() => _channel.Writer.TryWrite(_event) && _channel.Reader.TryRead(out _);

    [Benchmark(Description = "EventRing TryWrite + TryRead")]
    public bool RingWriteRead() => _ring.TryWrite(_event) == EventRing.WriteResult.Accepted && _ring.TryRead(out _);
}
