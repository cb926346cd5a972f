using BenchmarkDotNet.Attributes;
using Microsoft.AspNetCore.Http.Features;
using Piwik.Capture;
using Piwik.Testing;

namespace Piwik.Benchmarks;

/// <summary>
/// Where the one-pass read of a plain <see cref="HeaderDictionary"/> stops paying: the same record (admission and
/// capture, then a read off the queue) from a <see cref="HeaderDictionary"/> of <see cref="Headers"/> entries, read in
/// one pass up to the recorder's limit, against the same dictionary behind a pass-through collection, which the
/// recorder reads by six lookups (each through one more interface call than a bare lookup: ~1 ns in the lookups' favour
/// lost).
/// </summary>
public class HeaderReadBenchmarks
{
    private WebApplication _app = null!;
    private RequestRecorder _recorder = null!;
    private EventQueue _queue = null!;
    private DefaultHttpContext _onePass = null!;
    private DefaultHttpContext _lookups = null!;

    /// <summary>Headers in the request: a browser's seven, then fillers (Sec-Fetch-*, client hints and the like).</summary>
    [Params(7, 12, 16, 18, 20)]
    public int Headers { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddPiwikTracking(options => options.VisitorIdSecret = "benchmark-secret-0123456789");
        _app = builder.Build();
        _recorder = _app.Services.GetRequiredService<RequestRecorder>();
        _queue = _app.Services.GetRequiredService<EventQueue>();
        _onePass = NewContext(Headers);
        _lookups = NewContext(Headers);
        var feature = _lookups.Features.Get<IHttpRequestFeature>()!;
        feature.Headers = new PassThroughHeaders(feature.Headers);
    }

    [GlobalCleanup]
    public void Cleanup() => _app.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Baseline = true, Description = "six lookups")]
    public bool Lookups() => Record(_lookups);

    [Benchmark(Description = "one pass")]
    public bool OnePass() => Record(_onePass);

    private bool Record(HttpContext context) =>
        _recorder.TryRecord(context, TrackedEventKind.Event, "items", "favorite", TrackedValue.FromNumber(42), TrackedValue.None) && _queue.Reader.TryRead(out _);

    private DefaultHttpContext NewContext(int count)
    {
        var context = RequestPathBenchmarks.NewContext(_app.Services, "/items/42/favorite");
        for (var i = context.Request.Headers.Count; i < count; i++)
        {
            context.Request.Headers["Sec-Filler-" + i] = "?1";
        }

        return context;
    }
}
