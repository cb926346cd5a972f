using System.Buffers;
using BenchmarkDotNet.Attributes;
using Piwik.Capture;
using Piwik.Encoding;
using Piwik.Sending;

namespace Piwik.Benchmarks;

/// <summary>Where the sender's time per event goes: the visitor id, the entry, the bulk JSON body.</summary>
public class EncodingBreakdownBenchmarks
{
    private const int N = EncodingBenchmarks.EventsPerInvoke;
    private EntryEncoder _encoder = null!;
    private TrackedEvent[] _events = null!;
    private string[] _visitorIds = null!;
    private readonly ArrayBufferWriter<byte> _output = new(1 << 20);
    private readonly Batch _batch = new();
    private readonly BulkRequestWriter _writer = new();

    [GlobalSetup]
    public void Setup()
    {
        _encoder = new EntryEncoder(new PiwikOptions { VisitorIdSecret = "benchmark-secret-0123456789", SiteId = 3 });
        _events = EncodingBenchmarks.SampleEvents(N, 1_000);
        _visitorIds = _events.Select(e => _encoder.VisitorId(e)).ToArray();
        for (var i = 0; i < 100; i++)
        {
            _encoder.Encode(_events[i], _visitorIds[i], false, _batch.Writer);
            _batch.EndEntry(_events[i].TimestampTicks);
        }
    }

    [Benchmark(OperationsPerInvoke = N, Description = "visitor id (cached)")]
    public int VisitorId()
    {
        var total = 0;
        foreach (ref readonly var e in _events.AsSpan())
        {
            total += _encoder.VisitorId(e).Length;
        }

        return total;
    }

    [Benchmark(OperationsPerInvoke = N, Description = "entry (query string)")]
    public int Entry()
    {
        _output.ResetWrittenCount();
        for (var i = 0; i < _events.Length; i++)
        {
            if (_output.FreeCapacity < 4096)
            {
                _output.ResetWrittenCount();
            }

            _encoder.Encode(_events[i], _visitorIds[i], false, _output);
        }

        return _output.WrittenCount;
    }

    [Benchmark(OperationsPerInvoke = 100, Description = "bulk JSON body, per entry")]
    public int Body() => _writer.Write(_batch, 0, _batch.Count, null).Length;

    /// <summary>
    /// Encodes entries in a loop for <c>--seconds</c> (10) or <c>--events</c>, for a profiler (<c>perf record</c> with
    /// <c>DOTNET_PerfMapEnabled=1</c>): the per-event work of the sender's read loop without the queue or the lanes.
    /// </summary>
    internal static int Loop(Arguments args)
    {
        var benchmarks = new EncodingBreakdownBenchmarks();
        benchmarks.Setup();
        var seconds = args.Number("seconds", 10);
        var events = (long)args.Number("events", 0); // a fixed count instead, for `perf stat -e instructions`
        var watch = System.Diagnostics.Stopwatch.StartNew();
        long count = 0;
        while (events > 0 ? count < events : watch.Elapsed.TotalSeconds < seconds)
        {
            benchmarks.VisitorId();
            benchmarks.Entry();
            count += N;
        }

        Console.WriteLine($"{count} events, {watch.Elapsed.TotalNanoseconds / count:F1} ns each (visitor id and entry)");
        return 0;
    }
}
