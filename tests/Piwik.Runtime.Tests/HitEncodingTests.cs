using System.Globalization;
using System.Net;
using Piwik.Capture;
using Piwik.Encoding;

namespace Piwik.Runtime.Tests;

/// <summary>The Matomo parameters of searches, goals, orders, page-view server time and hit dimensions.</summary>
public class HitEncodingTests
{
    private static readonly long Now = new DateTime(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc).Ticks;

    private static readonly RequestSnapshot Request = new(true, "app.example.com", "", "/buy", null, "Mozilla/5.0", "en", null, IPAddress.Parse("203.0.113.77"));

    private static TrackedEvent Hit(TrackedEventKind kind, string? category = null, string action = "", TrackedValue value = default, HitExtras? extras = null) =>
        new(kind, Now, category, action, default, value, Request, null, extras);

    private static HitExtras Order(double revenue = 119.9, OrderLine[]? lines = null, double? tax = 19.9) => new()
    {
        OrderId = "order-1&2",
        Revenue = revenue,
        Subtotal = 100,
        Tax = tax,
        Lines = lines,
    };

    [Fact]
    public void An_order_is_goal_zero_with_its_id_amounts_and_lines_and_never_a_custom_action()
    {
        var entry = EncodingTests.Encode(Hit(TrackedEventKind.Order, extras: Order(lines:
        [
            new OrderLine("plan-pro", "Pro \"plan\"\n", "plans", 49.955, 2),
            new OrderLine("seat", null, null, 3, 1),
        ])));

        Assert.Equal("0", entry["idgoal"]);
        Assert.Equal("order-1&2", entry["ec_id"]);
        Assert.Equal("119.9", entry["revenue"]);
        Assert.Equal("100", entry["ec_st"]);
        Assert.Equal("19.9", entry["ec_tx"]);
        Assert.False(entry.Has("ec_sh"));
        Assert.False(entry.Has("ec_dt"));
        Assert.Equal("""[["plan-pro","Pro \"plan\" ","plans",49.96,2],["seat","","",3,1]]""", entry["ec_items"]);
        Assert.False(entry.Has("ca")); // Matomo answers 500 for the whole bulk when an order carries ca=1
        Assert.False(entry.Has("e_c"));
        Assert.False(entry.Has("action_name"));
    }

    [Theory]
    [InlineData("de-DE")]
    [InlineData("ar-SA")]
    public void Amounts_are_rounded_to_two_decimals_half_away_from_zero_in_invariant_culture(string culture)
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo(culture);
        try
        {
            var entry = EncodingTests.Encode(Hit(TrackedEventKind.Goal, extras: new HitExtras { GoalId = 4, Revenue = 1234.565 }));
            Assert.Equal("4", entry["idgoal"]);
            Assert.Equal("1234.57", entry["revenue"]);
            Assert.False(entry.Has("ca"));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }

    [Fact]
    public void A_search_has_its_keyword_category_and_count_and_no_default_category()
    {
        var entry = EncodingTests.Encode(Hit(TrackedEventKind.Search, "groups", "book club", TrackedValue.FromNumber(3)));
        Assert.Equal("book club", entry["search"]);
        Assert.Equal("groups", entry["search_cat"]);
        Assert.Equal("3", entry["search_count"]);
        Assert.False(entry.Has("ca"));

        var bare = EncodingTests.Encode(Hit(TrackedEventKind.Search, null, "chess"));
        Assert.False(bare.Has("search_cat"));
        Assert.False(bare.Has("search_count"));
    }

    [Fact]
    public void A_page_view_carries_its_server_time_in_whole_milliseconds_within_what_matomo_keeps()
    {
        Assert.Equal("43", EncodingTests.Encode(Hit(TrackedEventKind.PageView, action: "GET /x", value: TrackedValue.FromNumber(42.5)))["pf_srv"]);
        Assert.False(EncodingTests.Encode(Hit(TrackedEventKind.PageView, action: "GET /x")).Has("pf_srv"));
        Assert.False(EncodingTests.Encode(Hit(TrackedEventKind.PageView, action: "GET /x", value: TrackedValue.FromNumber(16_777_216))).Has("pf_srv"));
    }

    [Fact]
    public void Hit_dimensions_replace_app_wide_ones_of_the_same_id_and_keep_the_others()
    {
        var options = new PiwikOptions { VisitorIdSecret = "0123456789abcdef-secret" };
        options.CustomDimensions[1] = "app-1";
        options.CustomDimensions[3] = "app-3";
        options.CustomDimensions[5] = "app-5";
        var extras = HitExtras.TryNormalize([new(3, "hit-3"), new(2, "hit-2"), new(5, ""), new(2, "hit-2-last")], out var dimensions)
            ? HitExtras.ForDimensions(dimensions)
            : null;

        var entry = EncodingTests.Encode(new TrackedEvent(TrackedEventKind.Event, Now, "c", "a", default, default, Request, null, extras), options);

        Assert.Equal("app-1", entry["dimension1"]);
        Assert.Equal("hit-2-last", entry["dimension2"]);
        Assert.Equal("hit-3", entry["dimension3"]);
        Assert.False(entry.Has("dimension5")); // an empty hit value sends nothing for that id
        Assert.False(HitExtras.TryNormalize([new(0, "x")], out _));
    }

    [Theory]
    [InlineData(-0.01, 1, 1, true)]
    [InlineData(double.NaN, 1, 1, true)]
    [InlineData(10, -1, 1, true)]
    [InlineData(10, double.PositiveInfinity, 1, true)]
    [InlineData(10, 1, 0, true)]
    [InlineData(10, 1, -3, true)]
    [InlineData(0, 0, 1, false)]
    public void Negative_or_non_finite_amounts_and_quantities_make_a_hit_invalid(double revenue, double price, int quantity, bool invalid)
    {
        var order = Hit(TrackedEventKind.Order, extras: Order(revenue, [new OrderLine("sku", null, null, price, quantity)]));
        Assert.Equal(!invalid, HitEncoder.HasValidNumbers(order));
    }

    [Fact]
    public void Searches_goals_and_page_views_with_negative_numbers_are_invalid_events_never()
    {
        Assert.False(HitEncoder.HasValidNumbers(Hit(TrackedEventKind.Search, action: "k", value: TrackedValue.FromNumber(-1))));
        Assert.False(HitEncoder.HasValidNumbers(Hit(TrackedEventKind.Goal, extras: new HitExtras { GoalId = 1, Revenue = -5 })));
        Assert.False(HitEncoder.HasValidNumbers(Hit(TrackedEventKind.PageView, action: "p", value: TrackedValue.FromNumber(-1))));
        Assert.False(HitEncoder.HasValidNumbers(Hit(TrackedEventKind.Order, extras: new HitExtras { OrderId = "o" }))); // no revenue
        Assert.True(HitEncoder.HasValidNumbers(Hit(TrackedEventKind.Goal, extras: new HitExtras { GoalId = 1 })));
        Assert.True(HitEncoder.HasValidNumbers(new TrackedEvent(TrackedEventKind.Event, Now, "c", "a", default, TrackedValue.FromNumber(-5), Request, null)));
    }
}
