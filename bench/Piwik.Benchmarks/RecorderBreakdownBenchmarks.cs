using BenchmarkDotNet.Attributes;
using Piwik.Capture;

namespace Piwik.Benchmarks;

/// <summary>Where the request path's time goes: admission, the clock, and a record whose queue has no waiting reader.</summary>
public class RecorderBreakdownBenchmarks
{
    private WebApplication _app = null!;
    private RequestRecorder _recorder = null!;
    private EventQueue _queue = null!;
    private DefaultHttpContext _context = null!;
    private RequestSnapshot _snapshot;

    [GlobalSetup]
    public void Setup()
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.Services.AddPiwikTracking(options => options.VisitorIdSecret = "benchmark-secret-0123456789");
        _app = builder.Build();
        _recorder = _app.Services.GetRequiredService<RequestRecorder>();
        _queue = _app.Services.GetRequiredService<EventQueue>();
        _context = RequestPathBenchmarks.NewContext(_app.Services, "/items/42/favorite");
    }

    [GlobalCleanup]
    public void Cleanup() => _app.DisposeAsync().AsTask().GetAwaiter().GetResult();

    [Benchmark(Description = "admission (DNT, GPC)")]
    public bool Admission() => _recorder.IsAllowed(_context);

    [Benchmark(Description = "clock (TimeProvider.System.GetUtcNow)")]
    public long Clock() => TimeProvider.System.GetUtcNow().UtcTicks;

    [Benchmark(Description = "clock (Environment.TickCount64)")]
    public long TickCount() => Environment.TickCount64;

    [Benchmark(Description = "clock (Stopwatch.GetTimestamp)")]
    public long Timestamp() => System.Diagnostics.Stopwatch.GetTimestamp();

    [Benchmark(Description = "request snapshot (Host, path, UA, language, referrer, IP)")]
    public string? Snapshot()
    {
        var request = _context.Request;
        var headers = request.Headers;
        _snapshot = new RequestSnapshot(request.IsHttps, headers.Host, request.PathBase.Value, request.Path.Value, null, headers.UserAgent, headers.AcceptLanguage, headers.Referer, _context.Connection.RemoteIpAddress);
        return _snapshot.Host;
    }

    [Benchmark(Description = "TryRecord + TryRead, same thread (no reader to wake)")]
    public bool RecordNoWake() => _recorder.TryRecord(_context, TrackedEventKind.Event, "items", "favorite", TrackedValue.FromNumber(42), TrackedValue.None) && _queue.Reader.TryRead(out _);
}
