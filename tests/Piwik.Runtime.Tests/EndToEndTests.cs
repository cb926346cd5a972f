using System.Net;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Piwik.Endpoints;
using Piwik.Testing;

namespace Piwik.Runtime.Tests;

/// <summary>Real HTTP over Kestrel on 127.0.0.1: app → sender → stand-in Matomo.</summary>
public class EndToEndTests
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(15);
    private const string Token = "0123456789abcdef0123456789abcdef";

    [Fact]
    public async Task Events_reach_matomo_with_the_visitors_request_data()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.FlushInterval = TimeSpan.FromMilliseconds(100);
            o.VisitorIdSecret = "an-adequately-long-secret";
        });

        using var request = new HttpRequestMessage(HttpMethod.Get, "/track?c=account&a=signup&n=pro&v=3.5&secret=dont-send");
        request.Headers.UserAgent.ParseAdd("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0");
        request.Headers.AcceptLanguage.ParseAdd("de-CH");
        request.Headers.Referrer = new Uri("https://ref.example/page");
        (await app.Client.SendAsync(request)).EnsureSuccessStatusCode();

        var entry = Assert.Single(await matomo.WaitForTrackedAsync(1, Wait));
        Assert.Equal("account", entry["e_c"]);
        Assert.Equal("signup", entry["e_a"]);
        Assert.Equal("pro", entry["e_n"]);
        Assert.Equal("3.5", entry["e_v"]);
        Assert.Equal("1", entry["ca"]);
        Assert.Equal(app.Client.BaseAddress + "track", entry["url"]);
        Assert.Equal("Mozilla/5.0 (X11; Linux x86_64) Firefox/140.0", entry["ua"]);
        Assert.Equal("de-CH", entry["lang"]);
        Assert.Equal("https://ref.example/page", entry["urlref"]);
        Assert.Matches("^[0-9a-f]{16}$", entry["cid"]);
        Assert.InRange(long.Parse(entry["cdt"]), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds());
        Assert.False(entry.Has("cip"));
        Assert.DoesNotContain("dont-send", entry.Raw, StringComparison.Ordinal);
        var call = Assert.Single(matomo.BulkCalls);
        Assert.Equal("/matomo.php", call.PathAndQuery);
        Assert.StartsWith("application/json", call.ContentType, StringComparison.Ordinal);
        await Eventually.HoldsAsync(() => app.Metrics.Sent == 1);

        // Nothing logged per bulk request: not by the sender, not by the HTTP client factory's own loggers.
        Assert.DoesNotContain(app.Logs.Entries, e => e.Category.StartsWith("System.Net.Http.HttpClient", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_response_the_output_cache_serves_is_recorded_as_the_endpoint_s_own()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(
            o => { o.Url = matomo.BaseUrl; o.FlushInterval = TimeSpan.FromMilliseconds(50); o.TrackUntrackedEndpointsAsPageViews = true; },
            services: s => s.AddOutputCache(),
            map: app =>
            {
                app.UseOutputCache();
                app.MapGet("/catalog/{shelf}", [TrackAs("list", Category = "catalog", Name = "{shelf}")] (string shelf) => Results.Ok("items on " + shelf)).CacheOutput();
                app.MapGet("/about", () => Results.Ok("about")).CacheOutput(); // a page view
                app.MapGet("/deal/{id}", [TrackAs("deal", Category = "catalog", FailureAction = "deal-failed")] (string id) => Results.Ok(id)).CacheOutput();
                app.MapGet("/fresh/{shelf}", [TrackAs("fresh", Category = "catalog", Name = "{shelf}")] (string shelf) => Results.Ok(shelf)); // not cached
                app.UsePiwikTracking();
            });

        foreach (var path in (string[])["/catalog/books", "/catalog/books", "/catalog/toys", "/catalog/books", "/about", "/about", "/deal/7", "/deal/7", "/fresh/a", "/fresh/a"])
        {
            (await app.Client.GetAsync(path)).EnsureSuccessStatusCode();
        }

        await app.StopAsync();

        // Every answered request once, whether the endpoint or the cache answered it, the route template read from the
        // request; but a cached endpoint whose filter reads the handler's arguments (a failure action) counts only the
        // requests that ran it (a known limit, docs/reliability.md).
        Assert.Equal(
            ["catalog/list/books", "catalog/list/books", "catalog/list/toys", "catalog/list/books", "page GET /about", "page GET /about", "catalog/deal/", "catalog/fresh/a", "catalog/fresh/a"],
            matomo.Tracked.Select(e => e.Has("action_name") ? "page " + e["action_name"] : e["e_c"] + "/" + e["e_a"] + "/" + e.Get("e_n")));
        await app.AssertBalancedAsync();
    }

    [Fact]
    public async Task Use_piwik_tracking_on_a_group_and_on_the_app_records_each_request_once()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(
            o => { o.Url = matomo.BaseUrl; o.FlushInterval = TimeSpan.FromMilliseconds(50); },
            map: app =>
            {
                var group = app.MapGroup("/g");
                group.MapGet("/check/{ok}", [TrackAs("check", Category = "g", FailureAction = "check-failed")] (bool ok) =>
                    ok ? Results.Ok() : Results.Conflict());
                group.MapGet("/plain", [TrackAs("plain", Category = "g")] () => Results.Ok());
                group.UsePiwikTracking();
                app.UsePiwikTracking();
                app.UsePiwikTracking();
            });

        // Attached once: one marker (and so one filter, one wrapper) per endpoint, however many calls reached it.
        var tracked = app.App.Services.GetRequiredService<EndpointDataSource>().Endpoints.Where(e => e.Metadata.GetMetadata<TrackAsAttribute>() is not null).ToList();
        Assert.Equal(2, tracked.Count);
        Assert.All(tracked, e => Assert.Single(e.Metadata.GetOrderedMetadata<TrackingEndpointMetadata>()));

        (await app.Client.GetAsync("/g/check/true")).EnsureSuccessStatusCode();
        Assert.Equal(HttpStatusCode.Conflict, (await app.Client.GetAsync("/g/check/false")).StatusCode);
        (await app.Client.GetAsync("/g/plain")).EnsureSuccessStatusCode();
        await app.App.StopAsync(); // flushes: everything recorded has been delivered

        Assert.Equal(["g/check", "g/check-failed", "g/plain"], matomo.Tracked.Select(e => e["e_c"] + "/" + e["e_a"]));
        Assert.Equal(3, app.Metrics.Enqueued);
    }

    [Fact]
    public async Task Same_visitor_keeps_one_id_and_different_visitors_get_different_ids()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o => { o.Url = matomo.BaseUrl; o.FlushInterval = TimeSpan.FromMilliseconds(100); });
        foreach (var ua in new[] { "Browser A", "Browser A", "Browser B" })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/track");
            request.Headers.TryAddWithoutValidation("User-Agent", ua);
            (await app.Client.SendAsync(request)).EnsureSuccessStatusCode();
        }

        var entries = await matomo.WaitForTrackedAsync(3, Wait);
        var a = entries.Where(e => e["ua"] == "Browser A").Select(e => e["cid"]).ToArray();
        var b = Assert.Single(entries, e => e["ua"] == "Browser B")["cid"];
        Assert.Equal(2, a.Length);
        Assert.Equal(a[0], a[1]);
        Assert.NotEqual(a[0], b);
    }

    [Theory]
    [InlineData("DNT", "1")]
    [InlineData("Sec-GPC", "1")]
    public async Task Do_not_track_and_global_privacy_control_are_honoured(string header, string value)
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o => { o.Url = matomo.BaseUrl; o.FlushInterval = TimeSpan.FromMilliseconds(50); });

        using (var optedOut = new HttpRequestMessage(HttpMethod.Get, "/track?a=opted-out"))
        {
            optedOut.Headers.TryAddWithoutValidation(header, value);
            Assert.Equal(HttpStatusCode.Accepted, (await app.Client.SendAsync(optedOut)).StatusCode);
        }

        using (var zero = new HttpRequestMessage(HttpMethod.Get, "/track?a=zero"))
        {
            zero.Headers.TryAddWithoutValidation(header, "0");
            Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(zero)).StatusCode);
        }

        var entry = Assert.Single(await matomo.WaitForTrackedAsync(1, Wait));
        Assert.Equal("zero", entry["e_a"]);
        Assert.Equal(1, app.Metrics.Enqueued); // an opted-out request is not even counted
    }

    [Fact]
    public async Task Opt_out_headers_can_be_ignored_when_the_app_decides_so()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
            o.HonorDoNotTrack = false;
        });
        using var request = new HttpRequestMessage(HttpMethod.Get, "/track");
        request.Headers.TryAddWithoutValidation("DNT", "1");
        Assert.Equal(HttpStatusCode.OK, (await app.Client.SendAsync(request)).StatusCode);
        Assert.Single(await matomo.WaitForTrackedAsync(1, Wait));
    }

    [Fact]
    public async Task The_consent_hook_can_refuse_and_a_throwing_hook_counts_as_no_consent()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
            o.ShouldTrack = context => context.Request.Query["a"] == "throw"
                ? throw new InvalidOperationException("hook failure")
                : context.Request.Cookies["consent"] != "no";
        });
        using (var refused = new HttpRequestMessage(HttpMethod.Get, "/track?a=refused"))
        {
            refused.Headers.Add("Cookie", "consent=no");
            Assert.Equal(HttpStatusCode.Accepted, (await app.Client.SendAsync(refused)).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.GetAsync("/track?a=throw")).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await app.Client.GetAsync("/track?a=given")).StatusCode);
        var entry = Assert.Single(await matomo.WaitForTrackedAsync(1, Wait));
        Assert.Equal("given", entry["e_a"]);
    }

    [Fact]
    public async Task With_a_token_the_anonymised_ip_is_sent_and_the_token_only_in_the_body()
    {
        await using var matomo = await StandInMatomo.StartAsync(tokenAuth: Token);
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.TokenAuth = Token;
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
        });
        (await app.Client.GetAsync("/track")).EnsureSuccessStatusCode();

        var entry = Assert.Single(await matomo.WaitForTrackedAsync(1, Wait));
        Assert.Equal("127.0.0.0", entry["cip"]); // 127.0.0.1 with 2 bytes masked
        var call = Assert.Single(matomo.BulkCalls);
        Assert.DoesNotContain(Token, call.PathAndQuery, StringComparison.Ordinal);
        Assert.Contains($"\"token_auth\":\"{Token}\"", call.Body, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, app.Logs.AllText, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, entry.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Hostile_request_data_arrives_cleaned_truncated_and_cannot_inject()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o => { o.Url = matomo.BaseUrl; o.FlushInterval = TimeSpan.FromMilliseconds(50); });
        var hugeUa = "Evil/1.0 " + new string('x', 100 * 1024);
        using var request = new HttpRequestMessage(HttpMethod.Get, "/track?n=" + Uri.EscapeDataString("x&idsite=2&e_c=hijack\u00e9"));
        request.Headers.TryAddWithoutValidation("User-Agent", hugeUa);
        request.Headers.TryAddWithoutValidation("Accept-Language", "en\u0001\u007f");
        (await app.Client.SendAsync(request)).EnsureSuccessStatusCode();

        var entry = Assert.Single(await matomo.WaitForTrackedAsync(1, Wait));
        Assert.Equal("1", entry["idsite"]);
        Assert.Equal("cat", entry["e_c"]);
        Assert.Equal("x&idsite=2&e_c=hijack\u00e9", entry["e_n"]);
        Assert.Equal(1024, entry["ua"].Length);
        Assert.StartsWith("Evil/1.0 xxx", entry["ua"], StringComparison.Ordinal);
        Assert.DoesNotContain(entry["lang"], char.IsControl);
    }

    [Fact]
    public async Task Without_a_url_batches_are_logged_with_the_token_redacted()
    {
        await using var app = await TestApp.StartAsync(o =>
        {
            o.TokenAuth = Token;
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
        });
        (await app.Client.GetAsync("/track?c=account&a=signup")).EnsureSuccessStatusCode();

        var deadline = DateTime.UtcNow + Wait;
        while (!app.Logs.Entries.Any(e => e.Id.Id == 1100) && DateTime.UtcNow < deadline)
        {
            await Task.Delay(20);
        }

        var logged = Assert.Single(app.Logs.Entries, e => e.Id.Id == 1100);
        Assert.Contains("e_c=account", logged.Message, StringComparison.Ordinal);
        Assert.Contains("e_a=signup", logged.Message, StringComparison.Ordinal);
        Assert.Contains("[redacted]", logged.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, app.Logs.AllText, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Disabled_tracking_records_nothing()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o => { o.Url = matomo.BaseUrl; o.Enabled = false; o.FlushInterval = TimeSpan.FromMilliseconds(20); });
        Assert.Equal(HttpStatusCode.Accepted, (await app.Client.GetAsync("/track")).StatusCode);
        Assert.False(app.Tracker.TrackEvent("jobs", "run"));
        Assert.Equal(0, app.Metrics.Enqueued);
    }

    [Fact]
    public async Task The_manual_tracker_records_events_outside_requests()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        await using var app = await TestApp.StartAsync(o =>
        {
            o.Url = matomo.BaseUrl;
            o.FlushInterval = TimeSpan.FromMilliseconds(50);
            o.ApplicationUrl = "https://api.example.com/";
        });
        Assert.True(app.Tracker.TrackEvent("billing", "invoice-sent", "monthly", 49.9, userId: "user-42"));
        Assert.False(app.Tracker.TrackEvent(" ", "empty-category"));

        var entry = Assert.Single(await matomo.WaitForTrackedAsync(1, Wait));
        Assert.Equal("billing", entry["e_c"]);
        Assert.Equal("invoice-sent", entry["e_a"]);
        Assert.Equal("monthly", entry["e_n"]);
        Assert.Equal("49.9", entry["e_v"]);
        Assert.Equal("https://api.example.com/", entry["url"]);
        Assert.Matches("^[0-9a-f]{32}$", entry["uid"]);
    }
}
