using System.Net;
using System.Threading.Channels;
using BenchmarkDotNet.Attributes;
using Piwik.Capture;
using Piwik.Encoding;
using Piwik.Sending;

namespace Piwik.Benchmarks;

/// <summary>
/// The sender's CPU work per event, on one thread: the visitor id, the entry encoded into its batch, and every 100
/// entries the bulk JSON body, as <c>PiwikSender</c> does (without the HTTP request). Events come from a realistic mix
/// of 1,000 visitors (browser User-Agent, language, referrer, IPv4), so visitor ids are mostly cached, as in steady state.
/// </summary>
public class EncodingBenchmarks
{
    public const int EventsPerInvoke = 10_000;
    private const int BatchSize = 100;

    private readonly Channel<TrackedEvent> _channel = Channel.CreateBounded<TrackedEvent>(new BoundedChannelOptions(10_000)
    {
        SingleReader = true,
        FullMode = BoundedChannelFullMode.Wait,
    });

    private EntryEncoder _encoder = null!;
    private Batch _batch = null!;
    private BulkRequestWriter _writer = null!;
    private TrackedEvent[] _events = null!;
    private long _bytes;

    [GlobalSetup]
    public void Setup()
    {
        _encoder = new EntryEncoder(new PiwikOptions { VisitorIdSecret = "benchmark-secret-0123456789", SiteId = 3, TokenAuth = "0123456789abcdef0123456789abcdef" });
        _batch = new Batch();
        _writer = new BulkRequestWriter();
        _events = SampleEvents(EventsPerInvoke, 1_000);
        EncodeOnly(); // warm the visitor-id cache, as a running sender has it
        EncodeWithIp();
    }

    /// <summary>Events already read: visitor id, entry, and the bulk body every 100 events.</summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke, Description = "encode event + bulk body (per event)")]
    public long EncodeOnly()
    {
        foreach (ref readonly var e in _events.AsSpan())
        {
            Add(e);
        }

        return _bytes;
    }

    /// <summary>The same with a token: each entry also carries the anonymised visitor IP (<c>cip</c>).</summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke, Description = "encode event with cip + bulk body (per event)")]
    public long EncodeWithIp()
    {
        foreach (ref readonly var e in _events.AsSpan())
        {
            Add(e, includeIp: true);
        }

        return _bytes;
    }

    /// <summary>The same, each event first written to and read from the bounded channel.</summary>
    [Benchmark(OperationsPerInvoke = EventsPerInvoke, Description = "channel -> encode -> bulk body (per event)")]
    public long FromChannel()
    {
        var writer = _channel.Writer;
        var reader = _channel.Reader;
        foreach (ref readonly var e in _events.AsSpan())
        {
            writer.TryWrite(e);
            reader.TryRead(out var read);
            Add(read);
        }

        return _bytes;
    }

    private void Add(in TrackedEvent e, bool includeIp = false)
    {
        var visitorId = _encoder.VisitorId(e);
        _encoder.Encode(e, visitorId, includeIp, _batch.Writer);
        _batch.EndEntry(e.TimestampTicks);
        if (_batch.Count == BatchSize)
        {
            _bytes += _writer.Write(_batch, 0, _batch.Count, tokenAuth: null).Length;
            _batch.Reset();
        }
    }

    internal static TrackedEvent[] SampleEvents(int count, int visitors)
    {
        string[] agents =
        [
            "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
            "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_7_1) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
            "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
            "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        ];
        var ips = Enumerable.Range(0, visitors).Select(i => new IPAddress(new byte[] { 198, 51, (byte)(i >> 8), (byte)i })).ToArray();
        var now = DateTime.UtcNow.Ticks;
        var events = new TrackedEvent[count];
        for (var i = 0; i < count; i++)
        {
            var visitor = i % visitors;
            var path = "/items/" + (i % 500) + "/favorite";
            var snapshot = new RequestSnapshot(true, "app.example.com", null, path, null, agents[visitor % agents.Length], "en-GB,en;q=0.9,fr;q=0.8", "https://app.example.com/items", ips[visitor]);
            events[i] = new TrackedEvent(TrackedEventKind.Event, now, "items", "favorite", TrackedValue.FromNumber(i % 500), TrackedValue.None, snapshot, null);
        }

        return events;
    }
}
