using Piwik.Testing;

namespace Piwik.Runtime.Tests;

/// <summary>
/// What the recorder reads from Kestrel's own header collection (the only one a real app hands it): the visit's
/// headers whatever their case, the opt-out signals, and the client hints only when the browser sent them.
/// </summary>
public class HeaderCaptureTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);

    [Fact]
    public async Task Kestrels_headers_are_read_whatever_their_case_and_opt_outs_are_honoured()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o => { o.Url = matomo.BaseUrl; o.FlushInterval = TimeSpan.FromMilliseconds(100); });

        await Send(app, "n=opted-out-dnt", ("dnt", " 1 "), ("User-Agent", "ua"));
        await Send(app, "n=opted-out-gpc", ("SEC-GPC", "1"));
        await Send(app, "n=kept-dnt-0", ("DNT", "0"), ("user-agent", "lower"), ("ACCEPT-LANGUAGE", "upper"), ("referer", "https://r.example/x"));
        await Send(app, "n=first-value", ("User-Agent", "first"), ("User-Agent", "second"), ("Sec-GPC", "0"));
        await Send(app, "n=filler", Enumerable.Range(0, 30).Select(i => ($"X-Filler-{i}", i.ToString())).Append(("User-Agent", "among many")).ToArray());

        var entries = (await matomo.WaitForTrackedAsync(3, Wait)).ToDictionary(e => e["e_n"]);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 3);
        Assert.Equal(["filler", "first-value", "kept-dnt-0"], entries.Keys.Order());
        Assert.Equal(("lower", "upper", "https://r.example/x"), (entries["kept-dnt-0"]["ua"], entries["kept-dnt-0"]["lang"], entries["kept-dnt-0"]["urlref"]));
        Assert.StartsWith("first", entries["first-value"]["ua"], StringComparison.Ordinal);
        Assert.Equal("among many", entries["filler"]["ua"]);
        Assert.All(entries.Values, e => Assert.False(e.Has("uadata")));

        // The opt-outs and client hints were read from Kestrel's dictionary of other headers directly, not through its
        // indexer (which compares the name with every known one first): the path production takes, proved above.
        Assert.True(Piwik.Capture.OtherHeaders.ReadsKestrelDirectly);
    }

    [Fact]
    public async Task Client_hints_are_sent_as_uadata_only_when_the_browser_sent_them()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o => { o.Url = matomo.BaseUrl; o.FlushInterval = TimeSpan.FromMilliseconds(100); });

        await Send(app, "n=firefox", ("User-Agent", "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"));
        await Send(app, "n=chrome-default",
            ("sec-ch-ua", "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\""),
            ("Sec-CH-UA-Mobile", "?0"),
            ("Sec-CH-UA-Platform", "\"Windows\""));
        await Send(app, "n=pixel",
            ("Sec-CH-UA", "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\""),
            ("Sec-CH-UA-Mobile", "?1"),
            ("Sec-CH-UA-Platform", "\"Android\""),
            ("Sec-CH-UA-Platform-Version", "\"14.0.0\""),
            ("Sec-CH-UA-Model", "\"Pixel 8\""),
            ("Sec-CH-UA-Full-Version-List", "\"Chromium\";v=\"124.0.6367.82\", \"Google Chrome\";v=\"124.0.6367.82\""),
            ("Sec-CH-UA-Form-Factors", "\"Mobile\""));

        var entries = (await matomo.WaitForTrackedAsync(3, Wait)).ToDictionary(e => e["e_n"]);
        Assert.False(entries["firefox"].Has("uadata"));
        Assert.Equal(
            """{"brands":[{"brand":"Chromium","version":"124"},{"brand":"Google Chrome","version":"124"},{"brand":"Not-A.Brand","version":"99"}],"mobile":false,"platform":"Windows"}""",
            entries["chrome-default"]["uadata"]);
        Assert.Equal(
            """{"fullVersionList":[{"brand":"Chromium","version":"124.0.6367.82"},{"brand":"Google Chrome","version":"124.0.6367.82"}],"mobile":true,"platform":"Android","platformVersion":"14.0.0","model":"Pixel 8","formFactors":["Mobile"]}""",
            entries["pixel"]["uadata"]);
    }

    private static async Task Send(TestApp app, string query, params (string Name, string Value)[] headers)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/track?" + query);
        foreach (var (name, value) in headers)
        {
            request.Headers.TryAddWithoutValidation(name, value);
        }

        (await app.Client.SendAsync(request)).EnsureSuccessStatusCode();
    }
}
