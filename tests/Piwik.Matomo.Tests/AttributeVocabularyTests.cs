using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using System.Net.Http.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Piwik.Testing;
using static Piwik.Matomo.Tests.VocabularyFixtures;

namespace Piwik.Matomo.Tests;

/// <summary>
/// What a real Matomo 5.1.2 stores for <see cref="TrackOrderAttribute"/>, <see cref="TrackSearchAttribute"/> and
/// <see cref="TrackDimensionAttribute"/> endpoints, through the generated accessors (this project references the generator).
/// </summary>
[Collection(MatomoTestGroup.Name)]
public class AttributeVocabularyTests
{
    public sealed record Upgrade(string Plan, decimal Total, decimal Tax);

    public sealed record CartLine(string Sku, string Name, string Category, decimal Price, int Quantity);

    public sealed record Cart(string Plan, CartLine[] Lines);

    public sealed record Receipt(string OrderId, decimal Total);

    public sealed record GroupCreated(int Id);

    public sealed record SearchPage(string[] Ids, int Count);

    [Fact]
    public async Task An_order_endpoint_with_an_event_and_a_dimension_stores_all_three_only_when_it_succeeds()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(An_order_endpoint_with_an_event_and_a_dimension_stores_all_three_only_when_it_succeeds), ecommerce: true);
        var plan = await matomo.AddDimensionAsync(site, "plan", "action");
        await using var app = await TrackingApp.StartAsync(matomo, site, o => o.FlushInterval = TimeSpan.FromSeconds(1), map: a =>
            a.MapPost("/orders/{orderId}",
                [TrackAs("upgrade", Category = "billing", Name = "{upgrade.Plan}")]
                [TrackOrder(Id = "{orderId}", Revenue = "{upgrade.Total}", Tax = "{upgrade.Tax}")]
                [TrackDimension(1, "{upgrade.Plan}")]
                (string orderId, Upgrade upgrade) => upgrade.Total > 0 ? Results.Ok() : Results.BadRequest()));
        // The dimension's id in Matomo is the attribute's: the test site's first dimension.
        Assert.Equal(1, plan.Id);

        (await app.Client.PostAsJsonAsync("/orders/A-17", new Upgrade("pro", 47.88m, 7.98m))).EnsureSuccessStatusCode();
        Assert.Equal(400, (int)(await app.Client.PostAsJsonAsync("/orders/A-18", new Upgrade("pro", 0m, 0m))).StatusCode);
        await app.SettledAsync(2);

        Assert.Equal("A-17|47.88||7.98|||0", Row(Assert.Single(await matomo.QueryAsync(Orders(site)))));
        Assert.Equal("billing|upgrade", Row(Assert.Single(await matomo.QueryAsync(Events(site)))));
        var dimensions = await matomo.QueryAsync($"SELECT {plan.Column} FROM matomo_log_link_visit_action WHERE idsite = {site}");
        Assert.Equal("pro", Row(Assert.Single(dimensions)));
        Assert.Equal(2, app.Metrics.Sent);
    }

    [Fact]
    public async Task A_search_endpoint_stores_its_keyword_category_and_count()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(A_search_endpoint_stores_its_keyword_category_and_count), siteSearch: true);
        string[] groups = ["book club", "chess club", "choir"];
        await using var app = await TrackingApp.StartAsync(matomo, site, map: a =>
            a.MapGet("/groups/search", [TrackSearch(Keyword = "{q}", Category = "groups", Count = "{limit}")]
                (string q, int limit) => TypedResults.Ok(groups.Where(g => g.Contains(q, StringComparison.Ordinal)).Take(limit).ToArray())));

        (await app.Client.GetAsync("/groups/search?q=club&limit=2")).EnsureSuccessStatusCode();
        await app.SettledAsync(1);

        Assert.Equal("club|groups|2", Row(Assert.Single(await matomo.QueryAsync(Searches(site)))));
    }

    [Fact]
    public async Task Values_read_from_the_handlers_result_and_order_lines_are_stored_as_matomo_stores_them()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(Values_read_from_the_handlers_result_and_order_lines_are_stored_as_matomo_stores_them), ecommerce: true, siteSearch: true);
        string[] groups = ["book club", "chess club", "choir"];
        await using var app = await TrackingApp.StartAsync(matomo, site, o => o.FlushInterval = TimeSpan.FromSeconds(1), map: a =>
        {
            a.MapPost("/groups", [TrackAs("create", Category = "groups", Name = "{result.Id}")] () => TypedResults.Created("/groups/42", new GroupCreated(42)));
            a.MapGet("/groups/search", [TrackSearch(Keyword = "{q}", Category = "groups", Count = "{result.Count}")] async Task<Ok<SearchPage>> (string q) =>
            {
                await Task.Yield();
                var ids = groups.Where(g => g.Contains(q, StringComparison.Ordinal)).ToArray();
                return TypedResults.Ok(new SearchPage(ids, ids.Length));
            });
            a.MapPost("/checkout", [TrackOrder(Id = "{result.OrderId}", Revenue = "{result.Total}", Items = "{cart.Lines}")] (Cart cart) =>
                TypedResults.Ok(new Receipt("C-" + cart.Plan, cart.Lines.Sum(l => l.Price * l.Quantity))));
        });

        (await app.Client.PostAsync("/groups", null)).EnsureSuccessStatusCode();
        (await app.Client.GetAsync("/groups/search?q=club")).EnsureSuccessStatusCode();
        (await app.Client.GetAsync("/groups/search?q=zzz")).EnsureSuccessStatusCode();
        var cart = new Cart("pro", [new CartLine("plan-pro", "Pro plan", "plans", 49.95m, 2), new CartLine("seat", "Seat", "add-ons", 5m, 3)]);
        (await app.Client.PostAsJsonAsync("/checkout", cart)).EnsureSuccessStatusCode();
        await app.SettledAsync(4);

        Assert.Equal("groups|create", Row(Assert.Single(await matomo.QueryAsync(Events(site)))));
        var names = await matomo.QueryAsync($"""
            SELECT n.name FROM matomo_log_link_visit_action l JOIN matomo_log_action n ON n.idaction = l.idaction_name
            WHERE l.idsite = {site} AND l.idaction_event_category IS NOT NULL
            """);
        Assert.Equal("42", Row(Assert.Single(names)));
        Assert.Equal(["club|groups|2", "zzz|groups|0"], (await matomo.QueryAsync(Searches(site))).Select(Row).Order(StringComparer.Ordinal));
        Assert.Equal("C-pro|114.9|||||5", Row(Assert.Single(await matomo.QueryAsync(Orders(site)))));
        Assert.Equal(["C-pro|plan-pro|Pro plan|plans|49.95|2", "C-pro|seat|Seat|add-ons|5|3"], (await matomo.QueryAsync(OrderLines(site))).Select(Row));
    }
}
