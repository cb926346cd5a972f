using System.Net;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Primitives;
using Piwik.Capture;
using Piwik.Diagnostics;
using Piwik.Testing;

namespace Piwik.Runtime.Tests;

/// <summary>
/// The recorder reads a plain <see cref="HeaderDictionary"/> in one pass and any other collection header by header.
/// Both must admit and capture exactly the same: each case is recorded through both and the events compared.
/// </summary>
public class HeaderCaptureTests
{
    public static TheoryData<string> Cases => new()
    {
        "",
        "User-Agent: Firefox|Accept-Language: fr|Referer: https://r.example/|Host: app.example:8443",
        "user-agent: lower|ACCEPT-LANGUAGE: upper|referer: r|host: h",
        "DNT: 1|User-Agent: ua",
        "dnt:  1 |User-Agent: ua",
        "DNT: 0|User-Agent: ua",
        "Sec-GPC: 1|Referer: r",
        "sec-gpc: 1",
        "Sec-GPC: 0|Accept-Language: de",
        "DNT: |Sec-GPC: ",
        "User-Agent: first,second",
        "Accept-Encoding: gzip|Accept-Language: en|Accept: */*|Cookie: c=1|Referrer: misspelt-is-not-referer|Hosts: no",
        "DNT: 1|" + Many(25),
        Many(25) + "|User-Agent: many|Referer: many-r",
        Many(15) + "|User-Agent: at the limit",
        Many(16) + "|User-Agent: one over the limit",
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_header_dictionary_is_read_as_any_other_collection(string headers)
    {
        foreach (var (dnt, gpc) in new[] { (true, true), (false, false), (true, false) })
        {
            var (scanned, scannedEvent) = Record(headers, wrap: false, dnt, gpc);
            var (looked, lookedEvent) = Record(headers, wrap: true, dnt, gpc);
            Assert.Equal(looked, scanned);
            var a = scannedEvent.Request;
            var b = lookedEvent.Request;
            Assert.Equal((b.Host, b.UserAgent, b.AcceptLanguage, b.Referrer, b.Path, b.RemoteIp), (a.Host, a.UserAgent, a.AcceptLanguage, a.Referrer, a.Path, a.RemoteIp));
        }
    }

    [Fact]
    public void The_one_pass_read_takes_the_visit_headers_and_honours_both_signals()
    {
        var (admitted, recorded) = Record("user-agent: ua|accept-language: fr|referer: r|host: h:1|accept: x", wrap: false, true, true);
        Assert.True(admitted);
        Assert.Equal(("h:1", "ua", "fr", "r"), (recorded.Request.Host, recorded.Request.UserAgent, recorded.Request.AcceptLanguage, recorded.Request.Referrer));
        Assert.False(Record("dnt: 1|user-agent: ua", wrap: false, true, true).Admitted);
        Assert.False(Record("SEC-GPC: 1|user-agent: ua", wrap: false, true, true).Admitted);
        Assert.True(Record("SEC-GPC: 1|dnt: 1", wrap: false, false, false).Admitted);
    }

    private static string Many(int count) => string.Join('|', Enumerable.Range(0, count).Select(i => $"X-Filler-{i}: {i}"));

    private static (bool Admitted, TrackedEvent Event) Record(string headers, bool wrap, bool honorDnt, bool honorGpc)
    {
        var options = Options.Create(new PiwikOptions { Url = "https://matomo.example/", SiteId = 1, HonorDoNotTrack = honorDnt, HonorGlobalPrivacyControl = honorGpc });
        using var metrics = new PiwikMetrics(new ServiceCollection().AddMetrics().BuildServiceProvider().GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        var queue = new EventQueue(options, metrics, NullLogger<EventQueue>.Instance, TimeProvider.System);
        var recorder = new RequestRecorder(queue, metrics, options, TimeProvider.System);

        var context = new DefaultHttpContext();
        context.Request.Path = "/p";
        context.Connection.RemoteIpAddress = IPAddress.Parse("203.0.113.9");
        foreach (var line in headers.Split('|', StringSplitOptions.RemoveEmptyEntries))
        {
            var colon = line.IndexOf(':');
            var value = line[(colon + 1)..].TrimStart();
            context.Request.Headers[line[..colon]] = value.Contains(',') ? new StringValues(value.Split(',')) : new StringValues(value);
        }

        if (wrap)
        {
            var feature = context.Features.Get<Microsoft.AspNetCore.Http.Features.IHttpRequestFeature>()!;
            feature.Headers = new PassThroughHeaders(feature.Headers);
        }

        Assert.Equal(wrap, context.Request.Headers.GetType() != typeof(HeaderDictionary));
        var admitted = recorder.TryRecord(context, TrackedEventKind.Event, "c", "a", default, default);
        Assert.Equal(admitted, queue.Reader.TryRead(out var recorded));
        return (admitted, recorded);
    }
}
