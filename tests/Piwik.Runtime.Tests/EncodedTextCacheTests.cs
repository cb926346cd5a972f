using System.Buffers;
using Piwik.Capture;
using Piwik.Encoding;

namespace Piwik.Runtime.Tests;

/// <summary>
/// The sender keeps the encoded form of repeating request values (User-Agent, Accept-Language, referrer): an entry
/// written from the cache must be byte for byte the entry a fresh encoder writes, and the cache must stay bounded.
/// </summary>
public class EncodedTextCacheTests
{
    private static readonly string[] UserAgents =
    [
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148",
        "curl/8.5.0",
        "Ünïcödé-Agent/1.0 (\uD83D\uDE00; line\r\nbreak)",
        new string('a', EncodedTextCache.LongestCached) + " (just over the longest kept)",
        new string('x', 100_000), // cut to Matomo's limit, never kept
    ];

    private static readonly string?[] Referrers =
    [
        "https://app.example.com/items/42",
        "https://r.example/reset?token=s3cr3t&email=a%40b.example&utm_source=news",
        "https://bücher.example/ä",
        "javascript:alert(1)", // encodes to nothing: no urlref at all
        "/relative/path",
        null,
    ];

    private static readonly string?[] Languages = ["fr-CH, en;q=0.8", "en-GB,en;q=0.9", "", null];

    // The page URL's origin is kept too (the last one): hosts that change between events, ports, a hostile Host header.
    private static readonly string[] Hosts = ["app.example.com", "app.example.com:8443", "b.example", "[::1]:5000", "évil host/x", ""];

    [Theory]
    [InlineData(null)]
    [InlineData("https://pinned.example/base")]
    public void An_encoder_that_has_seen_a_value_writes_the_entry_a_fresh_encoder_writes(string? applicationUrl)
    {
        var options = new PiwikOptions { VisitorIdSecret = "0123456789abcdef-secret", QueryString = QueryStringMode.Redact, ApplicationUrl = applicationUrl };
        var warm = new EntryEncoder(options);
        for (var round = 0; round < 3; round++)
        {
            for (var i = 0; i < UserAgents.Length * Referrers.Length; i++)
            {
                var e = EncodingTests.Event(
                    userAgent: UserAgents[i % UserAgents.Length],
                    referrer: Referrers[i % Referrers.Length],
                    language: Languages[i % Languages.Length],
                    host: Hosts[(i / 2) % Hosts.Length]);
                Assert.Equal(Entry(new EntryEncoder(options), e), Entry(warm, e));
            }
        }
    }

    [Fact]
    public void The_cache_keeps_at_most_its_capacity_and_no_long_value()
    {
        var encodes = 0;
        var cache = new EncodedTextCache((value, output) =>
        {
            encodes++;
            new PercentEncoder(output, 1024).Append(value);
        });
        var output = new ArrayBufferWriter<byte>();
        for (var i = 0; i < EncodedTextCache.Capacity + 100; i++)
        {
            cache.Write(output, "&ua="u8, "agent " + i);
            Assert.InRange(cache.Count, 1, EncodedTextCache.Capacity);
        }

        var before = encodes;
        cache.Write(output, "&ua="u8, "agent 1100");
        Assert.Equal(before, encodes); // a value still kept is not encoded again

        var count = cache.Count;
        cache.Write(output, "&ua="u8, new string('y', EncodedTextCache.LongestCached + 1));
        cache.Write(output, "&ua="u8, new string('y', EncodedTextCache.LongestCached + 1));
        Assert.Equal(before + 2, encodes);
        Assert.Equal(count, cache.Count);
    }

    [Fact]
    public void A_warmed_encoder_allocates_nothing_per_event()
    {
        // What the sender does for every event of a returning visitor: its visitor id, then its entry (with cip).
        var encoder = new EntryEncoder(new PiwikOptions { VisitorIdSecret = "0123456789abcdef-secret", TokenAuth = "0123456789abcdef0123456789abcdef" });
        var events = Enumerable.Range(0, 200)
            .Select(i => EncodingTests.Event(
                name: TrackedValue.FromText("item " + (i % 7)),
                value: TrackedValue.FromNumber(i),
                userAgent: UserAgents[i % 3],
                referrer: Referrers[i % 3],
                path: "/items/" + i,
                ip: new System.Net.IPAddress([198, 51, 100, (byte)(i % 50)])))
            .ToArray();
        var output = new ArrayBufferWriter<byte>(64 * 1024);
        void EncodeAll()
        {
            foreach (var e in events)
            {
                output.ResetWrittenCount();
                encoder.Encode(e, encoder.VisitorId(e), includeIp: true, output);
            }
        }

        EncodeAll();
        var before = GC.GetAllocatedBytesForCurrentThread();
        EncodeAll();
        Assert.Equal(0, GC.GetAllocatedBytesForCurrentThread() - before);
    }

    private static string Entry(EntryEncoder encoder, TrackedEvent e)
    {
        var buffer = new ArrayBufferWriter<byte>();
        encoder.Encode(e, encoder.VisitorId(e), includeIp: true, buffer);
        return System.Text.Encoding.ASCII.GetString(buffer.WrittenSpan);
    }
}
