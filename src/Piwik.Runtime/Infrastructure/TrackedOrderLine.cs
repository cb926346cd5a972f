using System.ComponentModel;
using Piwik.Capture;

namespace Piwik.Infrastructure;

/// <summary>What an order line template read (<see cref="TrackOrderAttribute.Items"/>), before it is checked.</summary>
/// <remarks>Infrastructure for generated code; not meant to be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct TrackedOrderLine
{
    /// <summary>Creates a line from the element's members.</summary>
    /// <param name="sku">The SKU's text; a line without one is left out.</param>
    /// <param name="name">The product name's text, or null.</param>
    /// <param name="category">The category's text, or null.</param>
    /// <param name="price">The unit price, or null (0).</param>
    /// <param name="quantity">The quantity, or null (1).</param>
    public TrackedOrderLine(string? sku, string? name, string? category, double? price, double? quantity)
    {
        Sku = sku;
        Name = name;
        Category = category;
        Price = price;
        Quantity = quantity;
    }

    internal string? Sku { get; }

    internal string? Name { get; }

    internal string? Category { get; }

    internal double? Price { get; }

    internal double? Quantity { get; }

    /// <summary>
    /// The lines as the encoder writes them: lines without a SKU left out, price 0 and quantity 1 by default. A
    /// negative, fractional or non-finite quantity becomes 0, which the sender drops with the order (<c>invalid_number</c>),
    /// as it drops a negative or non-finite price.
    /// </summary>
    internal static OrderLine[]? ToOrderLines(TrackedOrderLine[]? lines)
    {
        if (lines is null || lines.Length == 0)
        {
            return null;
        }

        var result = new List<OrderLine>(lines.Length);
        foreach (var line in lines)
        {
            if (string.IsNullOrWhiteSpace(line.Sku))
            {
                continue;
            }

            var quantity = line.Quantity switch
            {
                null => 1,
                { } q when double.IsFinite(q) && q >= 1 && q <= int.MaxValue && q == Math.Floor(q) => (int)q,
                _ => 0,
            };
            result.Add(new OrderLine(line.Sku, line.Name, line.Category, line.Price ?? 0, quantity));
        }

        return result.Count == 0 ? null : [.. result];
    }
}
