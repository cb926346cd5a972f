namespace Piwik;

/// <summary>
/// An ecommerce order for <see cref="IPiwikTracker.TrackOrder(Microsoft.AspNetCore.Http.HttpContext, PiwikOrder, IReadOnlyList{PiwikDimension}?)"/>:
/// Matomo stores it as a conversion with <c>idgoal = 0</c> and its lines as order items. Amounts are in the site's
/// currency and are sent with two decimals, as Matomo stores them.
/// </summary>
/// <remarks>
/// Matomo keeps one order per <see cref="Id"/> and site: an order sent again with the same id is answered as invalid and
/// not stored. An order with a negative amount or quantity is not sent at all (dropped, reason <c>invalid_number</c>).
/// </remarks>
public sealed class PiwikOrder
{
    /// <summary>The order id (<c>ec_id</c>), unique per site; at most 100 characters are kept.</summary>
    public required string Id { get; init; }

    /// <summary>The grand total (<c>revenue</c>).</summary>
    public required decimal Revenue { get; init; }

    /// <summary>The total before tax, shipping and discount (<c>ec_st</c>); optional.</summary>
    public decimal? Subtotal { get; init; }

    /// <summary>The tax (<c>ec_tx</c>); optional.</summary>
    public decimal? Tax { get; init; }

    /// <summary>The shipping cost (<c>ec_sh</c>); optional.</summary>
    public decimal? Shipping { get; init; }

    /// <summary>The discount granted (<c>ec_dt</c>), a positive amount; optional.</summary>
    public decimal? Discount { get; init; }

    /// <summary>The order lines (<c>ec_items</c>). Default: none (Matomo stores an order without lines too).</summary>
    public IReadOnlyList<PiwikOrderItem> Items { get; init; } = [];
}

/// <summary>One line of a <see cref="PiwikOrder"/>: a product, its price and quantity.</summary>
public sealed class PiwikOrderItem
{
    /// <summary>The product's SKU, not empty: Matomo skips a line without one, and merges lines with the same SKU.</summary>
    public required string Sku { get; init; }

    /// <summary>The product name; optional.</summary>
    public string? Name { get; init; }

    /// <summary>The product category; optional.</summary>
    public string? Category { get; init; }

    /// <summary>The unit price. Default: 0.</summary>
    public decimal Price { get; init; }

    /// <summary>The quantity. Default: 1.</summary>
    public int Quantity { get; init; } = 1;
}
