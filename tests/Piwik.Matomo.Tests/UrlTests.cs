using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Piwik.Testing;

// Untracked endpoints on purpose: they are recorded as page views (TrackUntrackedEndpointsAsPageViews).
#pragma warning disable PIWIK001

namespace Piwik.Matomo.Tests;

/// <summary>
/// The URLs Matomo keeps (issue 15, items 1, 2, 5 and 6): the page's URL as the client sent it, its host as punycode and
/// pinned by ApplicationUrl, the referrer under the query policy, and the campaign parameters Matomo attributes from.
/// </summary>
[Collection(MatomoTestGroup.Name)]
public class UrlTests
{
    [Fact]
    public async Task Page_views_keep_the_path_as_the_client_sent_it_and_the_route_as_title()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Page_views_keep_the_path_as_the_client_sent_it_and_the_route_as_title));
        await using var app = await TrackingApp.StartAsync(matomo, site, o => o.TrackUntrackedEndpointsAsPageViews = true, a =>
            a.MapGet("/files/{name}", (string name) => TypedResults.Ok(name)));
        var authority = app.Client.BaseAddress!.Authority;

        // Before: the decoded path went out, so Matomo stored "files/a?b" (a fake query, the fragment lost), a raw space
        // for "a%20b+c", and the accented and CJK names decoded (a second URL for the page JavaScript tracks).
        string[] sent = ["/files/a%3Fb%23c", "/files/r%C3%A9sum%C3%A9.pdf", "/files/a%20b+c", "/files/%E6%97%A5%E6%9C%AC"];
        foreach (var path in sent)
        {
            await app.SendAsync(HttpMethod.Get, path);
        }

        await app.SettledAsync(sent.Length);
        var rows = await Stored.PageViewsAsync(matomo, site);
        Assert.Equal(sent.Select(p => $"{authority}{p}|0|GET /files/{{name}}"), rows.Select(r => string.Join("|", r)));
    }

    [Fact]
    public async Task The_host_is_stored_in_punycode_and_pinned_by_the_application_url()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(The_host_is_stored_in_punycode_and_pinned_by_the_application_url));
        await using (var app = await TrackingApp.StartAsync(matomo, site))
        {
            // Before: the IDN was decoded, and Matomo stored "bücher.example/...".
            await app.SendAsync(HttpMethod.Get, "/track?n=idn", ("Host", "xn--bcher-kva.example"));
            await app.SendAsync(HttpMethod.Get, "/track?n=hostile", ("Host", "attacker.example:8080"));
            await app.SettledAsync(2);
            Assert.Contains(app.Logs.Entries, e => e.Id.Id == 1030); // no ApplicationUrl: warned at start-up
            Assert.Single(app.Logs.Entries, e => e.Id.Id == 1031); // the host varied: warned once
        }

        await using (var pinned = await TrackingApp.StartAsync(matomo, site, o => o.ApplicationUrl = "https://app.example.com/"))
        {
            await pinned.SendAsync(HttpMethod.Get, "/track?n=pinned", ("Host", "attacker.example"));
            await pinned.SettledAsync(1);
            Assert.DoesNotContain(pinned.Logs.Entries, e => e.Id.Id is 1030 or 1031);
        }

        var rows = await Stored.EventsAsync(matomo, site);
        Assert.Equal(
            ["idn|xn--bcher-kva.example/track", "hostile|attacker.example:8080/track", "pinned|app.example.com/track"],
            rows.Select(r => r[2] + "|" + r[4]));
    }

    [Fact]
    public async Task The_referrer_keeps_no_query_string_and_no_script_url()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(The_referrer_keeps_no_query_string_and_no_script_url));
        await using var app = await TrackingApp.StartAsync(matomo, site);

        // Before: Matomo stored the referrer with "?token=s3cr3t&email=...", and the javascript: URL.
        await app.SendAsync(HttpMethod.Get, "/track?n=reset", ("User-Agent", "Client A"), ("Referer", "https://mail.example/reset?token=s3cr3t&email=a%40b.example"));
        await app.SendAsync(HttpMethod.Get, "/track?n=script", ("User-Agent", "Client B"), ("Referer", "javascript:alert(document.cookie)"));
        await app.SettledAsync(2);

        var visits = await Stored.VisitsAsync(matomo, site, "referer_type, referer_url");
        // Two visitors go out in lanes of their own, so Matomo may store the two visits in either order.
        Assert.Equal(new[] { "3|https://mail.example/reset", "1|" }.Order(StringComparer.Ordinal), visits.Select(v => string.Join("|", v)).Order(StringComparer.Ordinal));
        var all = await matomo.QueryAsync($"SELECT COUNT(*) FROM matomo_log_visit WHERE idsite = {site} AND referer_url LIKE '%s3cr3t%'");
        Assert.Equal("0", all[0][0]);
    }

    [Fact]
    public async Task Campaign_parameters_are_kept_so_matomo_attributes_the_campaign()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Campaign_parameters_are_kept_so_matomo_attributes_the_campaign));
        await using var app = await TrackingApp.StartAsync(matomo, site, o => o.TrackUntrackedEndpointsAsPageViews = true, a =>
            a.MapGet("/landing", () => TypedResults.Ok()));

        // Before: the query string was omitted whole, and the visit was "direct entry" (referer_type 1).
        await app.SendAsync(HttpMethod.Get, "/landing?mtm_campaign=spring-sale&mtm_kwd=shoes&session=s3cr3t", ("User-Agent", "Client A"));
        await app.SendAsync(HttpMethod.Get, "/landing?utm_source=newsletter&utm_medium=email&utm_term=boots", ("User-Agent", "Client B"));
        await app.SettledAsync(2);

        var visits = await Stored.VisitsAsync(matomo, site, "referer_type, referer_name, referer_keyword");
        // Two visitors go out in lanes of their own, so Matomo may store the two visits in either order.
        Assert.Equal(new[] { "6|spring-sale|shoes", "6|newsletter|boots" }.Order(StringComparer.Ordinal), visits.Select(v => string.Join("|", v)).Order(StringComparer.Ordinal));
        var leaked = await matomo.QueryAsync("SELECT COUNT(*) FROM matomo_log_action WHERE name LIKE '%s3cr3t%'");
        Assert.Equal("0", leaked[0][0]);
    }
}
