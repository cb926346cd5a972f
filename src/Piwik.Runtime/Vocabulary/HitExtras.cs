namespace Piwik.Capture;

/// <summary>
/// What a goal conversion, an order or a hit's own custom dimensions add to a <see cref="TrackedEvent"/>. Amounts are
/// kept as given (negative or not finite too): the sender drops such a hit with a reason, so the request path checks
/// nothing and the accounting stays exact.
/// </summary>
internal sealed class HitExtras
{
    /// <summary>The goal id (<c>idgoal</c>) of a goal conversion; 0 for an order.</summary>
    public int GoalId { get; init; }

    /// <summary>The revenue: required for an order, optional for a goal.</summary>
    public double? Revenue { get; init; }

    /// <summary>The order id (<c>ec_id</c>).</summary>
    public string? OrderId { get; init; }

    public double? Subtotal { get; init; }

    public double? Tax { get; init; }

    public double? Shipping { get; init; }

    public double? Discount { get; init; }

    /// <summary>The order lines, or null.</summary>
    public OrderLine[]? Lines { get; init; }

    /// <summary>The hit's own dimensions, by ascending id, each id once; null for none.</summary>
    public PiwikDimension[]? Dimensions { get; init; }

    /// <summary>Extras carrying only dimensions, or null when there are none (the common case costs nothing).</summary>
    public static HitExtras? ForDimensions(PiwikDimension[]? dimensions) =>
        dimensions is { Length: > 0 } ? new HitExtras { Dimensions = dimensions } : null;

    /// <summary>
    /// Copies caller-given dimensions, sorted by id with the last value of a repeated id winning; false when an id is not
    /// greater than 0.
    /// </summary>
    public static bool TryNormalize(IReadOnlyList<PiwikDimension>? dimensions, out PiwikDimension[]? normalized)
    {
        normalized = null;
        if (dimensions is null || dimensions.Count == 0)
        {
            return true;
        }

        var byId = new SortedDictionary<int, PiwikDimension>();
        foreach (var dimension in dimensions)
        {
            if (dimension.Id <= 0)
            {
                return false;
            }

            byId[dimension.Id] = dimension;
        }

        normalized = [.. byId.Values];
        return true;
    }
}

/// <summary>One order line, as the encoder writes it into <c>ec_items</c>.</summary>
internal readonly record struct OrderLine(string Sku, string? Name, string? Category, double Price, int Quantity);
