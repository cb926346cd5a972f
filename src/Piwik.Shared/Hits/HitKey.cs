using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;

namespace Piwik.Shared;

/// <summary>
/// The templates of a handler's <c>[TrackOrder]</c>, <c>[TrackSearch]</c> and <c>[TrackDimension]</c> attributes in one
/// fixed layout of slots, and as one text key: the generator registers a handler's accessors under the key it computes
/// from the attributes' syntax, and the runtime finds them under the key it computes from the attributes' instances.
/// </summary>
internal static class HitKey
{
    /// <summary>Order slots: Id, Revenue, Subtotal, Tax, Shipping, Discount, Items (the lines: an accessor of its own, not a value).</summary>
    public const int OrderId = 0, Revenue = 1, Subtotal = 2, Tax = 3, Shipping = 4, Discount = 5, Items = 6;

    /// <summary>The number of order slots.</summary>
    public const int OrderSlots = 7;

    /// <summary>Search slots: Keyword, Category, Count.</summary>
    public const int Keyword = 7, SearchCategory = 8, Count = 9;

    /// <summary>The first dimension's value; dimensions follow in ascending id order.</summary>
    public const int FirstDimension = 10;

    /// <summary>The slots that must bind to a number.</summary>
    public static bool IsNumeric(int slot) => slot is Revenue or Subtotal or Tax or Shipping or Discount or Count;

    /// <summary>The slots (templates) in their layout; an absent attribute or property is null.</summary>
    /// <param name="order">The order's templates in slot order, or null without <c>[TrackOrder]</c>.</param>
    /// <param name="search">The search's templates in slot order, or null without <c>[TrackSearch]</c>.</param>
    /// <param name="dimensions">The dimensions in ascending id order (see <see cref="Sort"/>).</param>
    public static string?[] Slots(string?[]? order, string?[]? search, IReadOnlyList<KeyValuePair<int, string?>> dimensions)
    {
        var slots = new string?[FirstDimension + dimensions.Count];
        if (order is not null)
        {
            Array.Copy(order, 0, slots, OrderId, OrderSlots);
        }

        if (search is not null)
        {
            Array.Copy(search, 0, slots, Keyword, 3);
        }

        for (var i = 0; i < dimensions.Count; i++)
        {
            slots[FirstDimension + i] = dimensions[i].Value;
        }

        return slots;
    }

    /// <summary>Dimensions by ascending id (then value, so both sides agree on repeated ids).</summary>
    public static List<KeyValuePair<int, string?>> Sort(IEnumerable<KeyValuePair<int, string?>> dimensions) =>
        dimensions.OrderBy(static d => d.Key).ThenBy(static d => d.Value, StringComparer.Ordinal).ToList();

    /// <summary>The key: which attributes there are, and every template and dimension id, each delimited.</summary>
    public static string Build(bool hasOrder, bool hasSearch, IReadOnlyList<KeyValuePair<int, string?>> dimensions, string?[] slots)
    {
        var key = new StringBuilder();
        key.Append(hasOrder ? 'o' : '-').Append(hasSearch ? 's' : '-');
        foreach (var dimension in dimensions)
        {
            key.Append('d').Append(dimension.Key);
        }

        foreach (var slot in slots)
        {
            // Length-prefixed: no template text can be read as a delimiter.
            key.Append('|');
            if (slot is null)
            {
                key.Append('~');
            }
            else
            {
                key.Append(slot.Length).Append(':').Append(slot);
            }
        }

        return key.ToString();
    }
}
