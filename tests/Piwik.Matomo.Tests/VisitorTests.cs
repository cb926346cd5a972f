using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.HttpOverrides;
using Microsoft.Extensions.DependencyInjection;
using Piwik.Testing;

namespace Piwik.Matomo.Tests;

/// <summary>Who Matomo thinks the visitor is, and when: visitor ids, the user id, the anonymised IP, the event time.</summary>
[Collection(MatomoTestGroup.Name)]
public class VisitorTests
{
    [Fact]
    public async Task One_visitor_per_client_and_two_clients_are_two_visitors()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(One_visitor_per_client_and_two_clients_are_two_visitors));
        await using var app = await TrackingApp.StartAsync(matomo, site, map: ForwardedFor);

        foreach (var (client, ip) in new[] { ("Client A", "198.51.100.7"), ("Client A", "198.51.100.7"), ("Client B", "198.51.100.7"), ("Client A", "192.0.2.9") })
        {
            await app.SendAsync(HttpMethod.Get, "/track", ("User-Agent", client), ("X-Forwarded-For", ip));
        }

        await app.SettledAsync(4);
        var visits = await Stored.VisitsAsync(matomo, site, "HEX(idvisitor), visit_total_events, config_id IS NOT NULL");
        Assert.Equal([1, 1, 2], visits.Select(v => int.Parse(v[1]!)).Order()); // the visits' order follows the lanes, not the requests
        Assert.Equal(3, visits.Select(v => v[0]).Distinct().Count());
    }

    [Fact]
    public async Task The_user_id_is_stored_hashed_and_makes_the_visitor_id()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(The_user_id_is_stored_hashed_and_makes_the_visitor_id));
        await using var app = await TrackingApp.StartAsync(matomo, site, o => o.UserIdClaim = "sub", a =>
            a.Use((context, next) =>
            {
                if (context.Request.Headers["X-User"] is [{ } user])
                {
                    context.User = new ClaimsPrincipal(new ClaimsIdentity([new Claim("sub", user)], "test"));
                }

                return next(context);
            }));

        await app.SendAsync(HttpMethod.Get, "/track?n=alice-phone", ("X-User", "alice@example.com"), ("User-Agent", "Phone"));
        await app.SendAsync(HttpMethod.Get, "/track?n=alice-laptop", ("X-User", "alice@example.com"), ("User-Agent", "Laptop"));
        await app.SendAsync(HttpMethod.Get, "/track?n=bob", ("X-User", "bob@example.com"), ("User-Agent", "Phone"));
        await app.SettledAsync(3);

        var visits = await Stored.VisitsAsync(matomo, site, "LOWER(HEX(idvisitor)), user_id, visit_total_events");
        Assert.Equal(2, visits.Count); // alice on two devices is one visitor
        foreach (var visit in visits)
        {
            Assert.Matches("^[0-9a-f]{32}$", visit[1]); // hashed: the address never reaches Matomo
            Assert.Equal(Convert.ToHexStringLower(SHA1.HashData(System.Text.Encoding.UTF8.GetBytes(visit[1]!)))[..16], visit[0]); // Matomo: visitor id = sha1(uid)
        }

        // Alice's two events in one visit, Bob's in another; which Matomo stored first depends on the lanes (each visitor
        // has one, sent concurrently), so not the order of the visits.
        Assert.Equal(["1", "2"], visits.Select(v => v[2]).Order());
        var stored = await matomo.QueryAsync("SELECT COUNT(*) FROM matomo_log_visit WHERE user_id LIKE '%example.com%'");
        Assert.Equal("0", stored[0][0]);
    }

    [Theory]
    [InlineData("203.0.113.77", "203.0.0.0")]
    [InlineData("2001:db8:85a3:8d3:1319:8a2e:370:7348", "2001:db8:85a3::")]
    public async Task The_visitor_ip_is_stored_anonymised(string ip, string stored)
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(The_visitor_ip_is_stored_anonymised) + ip);
        await using var app = await TrackingApp.StartAsync(matomo, site, map: ForwardedFor);

        await app.SendAsync(HttpMethod.Get, "/track", ("X-Forwarded-For", ip));
        await app.SettledAsync(1);

        var visits = await Stored.VisitsAsync(matomo, site, "INET6_NTOA(location_ip)");
        Assert.Equal(stored, Assert.Single(visits)[0]);
    }

    [Fact]
    public async Task Event_times_are_kept_recent_ones_and_with_the_token_older_than_24_hours()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Event_times_are_kept_recent_ones_and_with_the_token_older_than_24_hours));
        var twoDaysAgo = DateTimeOffset.UtcNow.AddDays(-2);
        await using (var app = await TrackingApp.StartAsync(matomo, site))
        {
            await app.SendAsync(HttpMethod.Get, "/track?n=recent", ("User-Agent", "Recent"));
            await app.SettledAsync(1);
        }

        await using (var old = await TrackingApp.StartAsync(matomo, site, services: s => s.AddSingleton<TimeProvider>(new ShiftedTime(twoDaysAgo - DateTimeOffset.UtcNow))))
        {
            await old.SendAsync(HttpMethod.Get, "/track?n=old", ("User-Agent", "Old"));
            await old.SettledAsync(1);
            Assert.Equal(1, old.Metrics.Sent);
        }

        var visits = await Stored.VisitsAsync(matomo, site, "UNIX_TIMESTAMP(visit_last_action_time)");
        Assert.Equal(2, visits.Count);
        Assert.InRange(long.Parse(visits[0][0]!), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 120, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 5);
        Assert.InRange(long.Parse(visits[1][0]!), twoDaysAgo.ToUnixTimeSeconds() - 5, twoDaysAgo.ToUnixTimeSeconds() + 120);
    }

    [Fact]
    public async Task Custom_dimensions_of_visit_and_action_scope_are_stored()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Custom_dimensions_of_visit_and_action_scope_are_stored));
        var visitDimension = await ConfigureDimensionAsync(matomo, site, "app-version", "visit");
        var actionDimension = await ConfigureDimensionAsync(matomo, site, "region", "action");
        await using var app = await TrackingApp.StartAsync(matomo, site, o =>
        {
            o.CustomDimensions[visitDimension.Id] = "v2.3.1";
            o.CustomDimensions[actionDimension.Id] = new string('r', 300); // Matomo keeps 250 characters
        });

        await app.SendAsync(HttpMethod.Get, "/track");
        await app.SettledAsync(1);

        var visit = await Stored.VisitsAsync(matomo, site, $"custom_dimension_{visitDimension.Index}");
        Assert.Equal("v2.3.1", Assert.Single(visit)[0]);
        var action = await matomo.QueryAsync($"SELECT custom_dimension_{actionDimension.Index} FROM matomo_log_link_visit_action WHERE idsite = {site}");
        Assert.Equal(new string('r', 250), Assert.Single(action)[0]);
    }

    [Fact]
    public async Task A_rejected_token_stores_nothing_trips_the_breaker_and_gets_no_ban()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(A_rejected_token_stores_nothing_trips_the_breaker_and_gets_no_ban));
        await matomo.ClearFailedLoginsAsync();
        try
        {
            await using var app = await TrackingApp.StartAsync(matomo, site, o => o.TokenAuth = "0123456789abcdef0123456789abcdef");
            for (var i = 0; i < 5; i++)
            {
                await app.SendAsync(HttpMethod.Get, $"/track?n=wrong-token-{i}", ("User-Agent", "Client " + i));
                await app.SettledAsync(i + 1); // a bulk request each
            }

            // Matomo answers each request with the token "invalid" (nothing of it stored) until the breaker trips after a
            // few refusals; requests after that go without the token (and without cip) and are stored.
            Assert.Contains(app.Logs.Entries, e => e.Id.Id == 1012); // the breaker tripped: the token is no longer sent
            Assert.InRange(app.Metrics.Rejected, 1, 5);
            Assert.Equal(5, app.Metrics.Rejected + app.Metrics.Sent);
            Assert.Equal(app.Metrics.Sent, (await Stored.EventsAsync(matomo, site)).Count);

            // Without the token (and cip), tracking goes on.
            await app.SendAsync(HttpMethod.Get, "/track?n=after", ("User-Agent", "After"));
            await app.SettledAsync(6);
            var events = await matomo.WaitForRowsAsync($"SELECT n.name FROM matomo_log_link_visit_action l JOIN matomo_log_action n ON n.idaction = l.idaction_name WHERE l.idsite = {site} AND n.name = 'after'", 1);
            Assert.Equal("after", Assert.Single(events)[0]);

            var failedLogins = await matomo.QueryAsync("SELECT COUNT(*) FROM matomo_brute_force_log");
            Assert.InRange(int.Parse(failedLogins[0][0]!), 1, 3); // far from the 20 an hour that block the IP
        }
        finally
        {
            await matomo.ClearFailedLoginsAsync();
        }
    }

    private static void ForwardedFor(WebApplication app)
    {
        // As behind a proxy on loopback: X-Forwarded-For sets the client's IP.
        var options = new ForwardedHeadersOptions { ForwardedHeaders = ForwardedHeaders.XForwardedFor };
        app.UseForwardedHeaders(options);
    }

    private static async Task<(int Id, int Index)> ConfigureDimensionAsync(RealMatomo matomo, int site, string name, string scope)
    {
        var id = (await matomo.ApiAsync("CustomDimensions.configureNewCustomDimension",
            ("idSite", site.ToString()), ("name", name), ("scope", scope), ("active", "1"))).GetProperty("value").GetInt32();
        var all = await matomo.ApiAsync("CustomDimensions.getConfiguredCustomDimensions", ("idSite", site.ToString()));
        var dimension = all.EnumerateArray().Single(d => d.GetProperty("idcustomdimension").ToString() == id.ToString());
        return (id, int.Parse(dimension.GetProperty("index").ToString()));
    }

    private sealed class ShiftedTime(TimeSpan offset) : TimeProvider
    {
        public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + offset;
    }
}
