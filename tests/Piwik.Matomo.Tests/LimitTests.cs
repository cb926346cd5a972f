using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Piwik.Testing;

// Untracked endpoints on purpose: they are recorded as page views (TrackUntrackedEndpointsAsPageViews).
#pragma warning disable PIWIK001

namespace Piwik.Matomo.Tests;

/// <summary>
/// Each limit of MatomoLimits against what a real Matomo keeps (issue 15, item 3): event fields 4,096 characters once
/// HTML-escaped, page titles 1,024 bytes once escaped, URLs 1,024 characters.
/// </summary>
[Collection(MatomoTestGroup.Name)]
public class LimitTests
{
    [Fact]
    public async Task Event_fields_keep_4096_escaped_characters_and_a_name_of_ampersands_is_not_lost()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Event_fields_keep_4096_escaped_characters_and_a_name_of_ampersands_is_not_lost));
        await using var app = await TrackingApp.StartAsync(matomo, site, map: a =>
            a.MapPost("/long", [DoNotTrack] (HttpContext context, IPiwikTracker tracker, LongEvent e) =>
                tracker.TrackEvent(context, e.Category, e.Action, e.Name) ? Results.Ok() : Results.Accepted()));

        // Before: cut at 1,024 bytes (Matomo keeps 4,096 characters), and 820 "&" went out whole: escaped to 4,100
        // characters, the name was stored as no name at all.
        var longText = string.Concat(Enumerable.Repeat("0123456789", 500)); // 5,000 characters
        var emoji = string.Concat(Enumerable.Repeat("😀", 5000)); // 5,000 characters of 4 bytes
        await PostAsync(app, new LongEvent("amp", "820", new string('&', 820)));
        await PostAsync(app, new LongEvent(longText, longText, longText));
        await PostAsync(app, new LongEvent("emoji", "5000", emoji));
        await app.SettledAsync(3);

        var rows = await Stored.EventsAsync(matomo, site);
        Assert.Equal(3, rows.Count);
        Assert.Equal(string.Concat(Enumerable.Repeat("&amp;", 819)), rows[0][2]); // 4,095 characters stored
        Assert.Equal(new string?[] { longText[..4096], longText[..4096], longText[..4096] }, rows[1][..3]);
        Assert.Equal(string.Concat(Enumerable.Repeat("😀", 4096)), rows[2][2]);
        Assert.Equal(3, app.Metrics.Sent);
    }

    [Fact]
    public async Task Page_titles_keep_1024_escaped_bytes_and_urls_1024_characters()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Page_titles_keep_1024_escaped_bytes_and_urls_1024_characters));
        await using var app = await TrackingApp.StartAsync(matomo, site, o => o.TrackUntrackedEndpointsAsPageViews = true, a =>
        {
            a.MapGet("/amp/" + new string('&', 300), () => TypedResults.Ok());
            a.MapGet("/e/{*rest}", (string rest) => TypedResults.Ok());
        });
        var authority = app.Client.BaseAddress!.Authority;

        await app.SendAsync(HttpMethod.Get, "/amp/" + new string('&', 300));
        // A path of 1,000 "é" (6 characters each once percent-encoded): the cut falls inside an escape unless avoided.
        var path = "/e/" + string.Concat(Enumerable.Repeat("%C3%A9", 1000));
        await app.SendAsync(HttpMethod.Get, path);
        await app.SettledAsync(2);

        var rows = await Stored.PageViewsAsync(matomo, site);
        Assert.Equal(2, rows.Count);
        // Title "GET /amp/&&&...": escaped, 9 bytes of "GET /amp/" and 203 × "&amp;" make 1,024 bytes.
        Assert.Equal("GET /amp/" + string.Concat(Enumerable.Repeat("&amp;", 203)), rows[0][2]);
        // The URL: the longest run of whole characters within 1,024 (Matomo stores it without its scheme).
        var prefix = "http://" + authority + "/e/";
        Assert.Equal(prefix + string.Concat(Enumerable.Repeat("%C3%A9", (1024 - prefix.Length) / 6)), "http://" + rows[1][0]);
    }

    private static async Task PostAsync(KestrelTestApp app, LongEvent e) =>
        (await app.Client.PostAsync("/long", System.Net.Http.Json.JsonContent.Create(e))).EnsureSuccessStatusCode();

    public sealed record LongEvent(string Category, string Action, string Name);
}
