using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Piwik.Diagnostics;
using Piwik.Testing;
using static Piwik.Matomo.Tests.VocabularyFixtures;

namespace Piwik.Matomo.Tests;

/// <summary>What a real Matomo 5.1.2 stores for the hits <see cref="IPiwikTracker"/> records beyond events.</summary>
[Collection(MatomoTestGroup.Name)]
public class TrackerVocabularyTests
{
    private static readonly PiwikOrder Upgrade = new()
    {
        Id = "order-1001",
        Revenue = 119.9m,
        Subtotal = 100m,
        Tax = 19.9m,
        Shipping = 5.25m,
        Discount = 5.25m,
        Items =
        [
            new PiwikOrderItem { Sku = "plan-pro", Name = "Pro plan", Category = "plans", Price = 49.95m, Quantity = 2 },
            new PiwikOrderItem { Sku = "seat", Name = "Extra \"seat\"", Category = "add-ons", Price = 0.125m },
        ],
    };

    [Fact]
    public async Task An_order_is_stored_with_its_amounts_and_lines_beside_an_event_of_the_same_bulk()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(An_order_is_stored_with_its_amounts_and_lines_beside_an_event_of_the_same_bulk), ecommerce: true);
        await using var app = await TrackingApp.StartAsync(matomo, site, o => o.FlushInterval = TimeSpan.FromSeconds(1), map: a =>
            a.MapPost("/buy", [DoNotTrack] (HttpContext context, IPiwikTracker tracker) =>
                tracker.TrackOrder(context, Upgrade) && tracker.TrackEvent(context, "billing", "upgrade") ? Results.Ok() : Results.StatusCode(500)));

        (await app.Client.PostAsync("/buy", null)).EnsureSuccessStatusCode();
        await app.SettledAsync(2);

        // One bulk request (no ca=1 on the order, which would fail all of it with HTTP 500): both stored.
        Assert.Equal(2, app.Metrics.Sent);
        Assert.Equal("order-1001|119.9|100|19.9|5.25|5.25|3", Row(Assert.Single(await matomo.QueryAsync(Orders(site)))));
        var lines = await matomo.QueryAsync(OrderLines(site));
        Assert.Equal(["order-1001|plan-pro|Pro plan|plans|49.95|2", "order-1001|seat|Extra \"seat\"|add-ons|0.13|1"], lines.Select(Row));
        Assert.Equal("billing|upgrade", Row(Assert.Single(await matomo.QueryAsync(Events(site)))));
    }

    [Fact]
    public async Task A_repeated_order_id_is_rejected_by_matomo_and_counted_so()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(A_repeated_order_id_is_rejected_by_matomo_and_counted_so), ecommerce: true);
        await using var app = await TrackingApp.StartAsync(matomo, site);
        var tracker = app.App.Services.GetRequiredService<IPiwikTracker>();

        Assert.True(tracker.TrackOrder(new PiwikOrder { Id = "same", Revenue = 10m }, userId: "user-1"));
        await app.SettledAsync(1);
        Assert.True(tracker.TrackOrder(new PiwikOrder { Id = "same", Revenue = 20m }, userId: "user-1"));
        await app.SettledAsync(2);

        Assert.Equal(1, app.Metrics.Sent);
        Assert.Equal(1, app.Metrics.Rejected);
        Assert.Equal("same|10|||||0", Row(Assert.Single(await matomo.QueryAsync(Orders(site)))));
    }

    [Fact]
    public async Task Manual_goal_conversions_are_stored_with_their_revenue_from_a_request_and_without_one()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Manual_goal_conversions_are_stored_with_their_revenue_from_a_request_and_without_one));
        var goal = await matomo.AddManualGoalAsync(site, "Paid");
        await using var app = await TrackingApp.StartAsync(matomo, site, map: a =>
            a.MapPost("/convert", [DoNotTrack] (HttpContext context, IPiwikTracker tracker, int goal) =>
                tracker.TrackGoal(context, goal, 12.345m) ? Results.Ok() : Results.StatusCode(500)));
        var tracker = app.App.Services.GetRequiredService<IPiwikTracker>();

        (await app.Client.PostAsync($"/convert?goal={goal}", null)).EnsureSuccessStatusCode();
        Assert.True(tracker.TrackGoal(goal, 7m, userId: "user-7"));
        Assert.False(tracker.TrackGoal(0, 7m)); // no such goal id: refused at once, nothing queued
        await app.SettledAsync(2);

        var rows = await matomo.QueryAsync(Conversions(site));
        Assert.Equal([$"{goal}|7", $"{goal}|12.35"], rows.Select(Row)); // two decimals, rounded half away from zero as Matomo does
        Assert.Equal(2, app.Metrics.Sent);
    }

    [Fact]
    public async Task A_site_search_is_stored_with_its_category_and_result_count()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(A_site_search_is_stored_with_its_category_and_result_count), siteSearch: true);
        await using var app = await TrackingApp.StartAsync(matomo, site, map: a =>
        {
            a.MapGet("/search", [DoNotTrack] (HttpContext context, IPiwikTracker tracker, string q) =>
                tracker.TrackSearch(context, q, "groups", 3) ? Results.Ok() : Results.StatusCode(500));
            a.MapGet("/find", [DoNotTrack] (HttpContext context, IPiwikTracker tracker, string q) =>
                tracker.TrackSearch(context, q) ? Results.Ok() : Results.StatusCode(500));
        });

        (await app.Client.GetAsync("/search?q=book%20club")).EnsureSuccessStatusCode();
        (await app.Client.GetAsync("/find?q=chess")).EnsureSuccessStatusCode();
        await app.SettledAsync(2);

        var rows = await matomo.QueryAsync(Searches(site));
        Assert.Equal(["book club|groups|3", "chess||"], rows.Select(Row));
    }

    [Fact]
    public async Task Hit_dimensions_are_stored_on_the_action_and_the_visit_beside_the_app_wide_ones()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Hit_dimensions_are_stored_on_the_action_and_the_visit_beside_the_app_wide_ones));
        var plan = await matomo.AddDimensionAsync(site, "plan", "action");
        var region = await matomo.AddDimensionAsync(site, "region", "visit");
        var release = await matomo.AddDimensionAsync(site, "release", "action");
        await using var app = await TrackingApp.StartAsync(matomo, site,
            o =>
            {
                o.CustomDimensions[release.Id] = "2026.12";
                o.CustomDimensions[plan.Id] = "app-wide plan, replaced by the hit's";
            },
            a => a.MapPost("/upgrade", [DoNotTrack] (HttpContext context, IPiwikTracker tracker) =>
                tracker.TrackEvent(context, "billing", "upgrade", dimensions: [new(plan.Id, "pro"), new(region.Id, "eu-west")])
                    ? Results.Ok() : Results.StatusCode(500)));

        (await app.Client.PostAsync("/upgrade", null)).EnsureSuccessStatusCode();
        await app.SettledAsync(1);

        var action = await matomo.QueryAsync($"SELECT {plan.Column}, {release.Column} FROM matomo_log_link_visit_action WHERE idsite = {site}");
        Assert.Equal("pro|2026.12", Row(Assert.Single(action)));
        var visit = await matomo.QueryAsync($"SELECT {region.Column} FROM matomo_log_visit WHERE idsite = {site}");
        Assert.Equal("eu-west", Row(Assert.Single(visit)));
    }

    [Fact]
    public async Task Page_views_carry_the_server_time_from_the_tracker_and_from_the_page_view_option()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Page_views_carry_the_server_time_from_the_tracker_and_from_the_page_view_option));
        await using var app = await TrackingApp.StartAsync(matomo, site, o => o.TrackUntrackedEndpointsAsPageViews = true, a =>
        {
            a.MapGet("/manual", [DoNotTrack] (HttpContext context, IPiwikTracker tracker) =>
                tracker.TrackPageView(context, "reports/manual", TimeSpan.FromMilliseconds(42.4)) ? Results.Ok() : Results.StatusCode(500));
#pragma warning disable PIWIK001 // untracked on purpose: the page-view option records it
            a.MapGet("/slow", async () =>
            {
                await Task.Delay(120);
                return Results.Ok();
            });
#pragma warning restore PIWIK001
        });

        (await app.Client.GetAsync("/manual")).EnsureSuccessStatusCode();
        (await app.Client.GetAsync("/slow")).EnsureSuccessStatusCode();
        await app.SettledAsync(2);

        var rows = await matomo.QueryAsync(
            $"""
            SELECT t.name, l.time_server FROM matomo_log_link_visit_action l
            JOIN matomo_log_action t ON t.idaction = l.idaction_name AND t.type = 4
            WHERE l.idsite = {site} ORDER BY t.name
            """);
        Assert.Equal(2, rows.Count);
        Assert.Equal("GET /slow", rows[0][0]);
        Assert.InRange(int.Parse(rows[0][1]!, System.Globalization.CultureInfo.InvariantCulture), 110, 60_000); // the handler's own delay (120 ms; timers may fire a ms early, and pf_srv is whole ms)
        Assert.Equal("reports/manual|42", Row(rows[1]));
    }

    [Fact]
    public async Task Negative_amounts_are_never_sent_and_are_counted_as_dropped()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Negative_amounts_are_never_sent_and_are_counted_as_dropped), ecommerce: true);
        var goal = await matomo.AddManualGoalAsync(site, "Refund");
        await using var app = await TrackingApp.StartAsync(matomo, site);
        var tracker = app.App.Services.GetRequiredService<IPiwikTracker>();

        Assert.True(tracker.TrackOrder(new PiwikOrder { Id = "refund-1", Revenue = -10m }, userId: "u"));
        Assert.True(tracker.TrackOrder(new PiwikOrder { Id = "bad-line", Revenue = 10m, Items = [new PiwikOrderItem { Sku = "x", Price = 1m, Quantity = -2 }] }, userId: "u"));
        Assert.True(tracker.TrackGoal(goal, -1m, userId: "u"));
        Assert.True(tracker.TrackOrder(new PiwikOrder { Id = "fine", Revenue = 10m }, userId: "u"));
        await app.SettledAsync(4);

        Assert.Equal(3, app.Metrics.DroppedFor(DropReason.InvalidNumber));
        Assert.Equal(1, app.Metrics.Sent);
        Assert.Equal(app.Metrics.Enqueued, app.Metrics.Accounted);
        Assert.Equal("fine|10|||||0", Row(Assert.Single(await matomo.QueryAsync(Orders(site)))));
        Assert.Empty(await matomo.QueryAsync(Conversions(site)));
    }
}
