using System.Buffers;
using System.Text;
using Piwik.Capture;

namespace Piwik.Encoding;

/// <summary>
/// The parameters of the hits beyond events: site searches, goal conversions, ecommerce orders, the server time of page
/// views and a hit's own custom dimensions. Called by <see cref="EntryEncoder"/>, on the background sender only.
/// </summary>
/// <remarks>
/// What Matomo needs, checked on Matomo 5.1.2: none of these carries <c>ca=1</c> (an order with it fails the whole bulk
/// request with HTTP 500); amounts are rounded to two decimals as Matomo's <c>GoalManager::getRevenue</c> does
/// (half away from zero, like PHP's <c>round</c>), in invariant culture.
/// </remarks>
internal static class HitEncoder
{
    /// <summary>Matomo ignores a larger <c>pf_srv</c> (it is stored in a 24-bit column).</summary>
    public const long MaxServerTimeMs = 16_777_215;

    /// <summary>
    /// Whether every amount, count and quantity of the hit is a finite number that is not negative (a quantity also
    /// at least 1). A hit that fails is not sent: the sender drops it with <c>invalid_number</c>.
    /// </summary>
    public static bool HasValidNumbers(in TrackedEvent e)
    {
        switch (e.Kind)
        {
            case TrackedEventKind.PageView:
            case TrackedEventKind.Search:
                return !e.Value.IsNumber || IsAmount(e.Value.Number);
            case TrackedEventKind.Goal:
                return e.Extras is { } goal && IsOptionalAmount(goal.Revenue);
            case TrackedEventKind.Order:
                if (e.Extras is not { Revenue: { } revenue } order
                    || !IsAmount(revenue)
                    || !IsOptionalAmount(order.Subtotal)
                    || !IsOptionalAmount(order.Tax)
                    || !IsOptionalAmount(order.Shipping)
                    || !IsOptionalAmount(order.Discount))
                {
                    return false;
                }

                foreach (var line in order.Lines ?? [])
                {
                    if (!IsAmount(line.Price) || line.Quantity < 1)
                    {
                        return false;
                    }
                }

                return true;
            default:
                return true;
        }
    }

    /// <summary>Writes what a search, goal or order carries (never <c>ca=1</c>).</summary>
    public static void EncodeAction(in TrackedEvent e, ArrayBufferWriter<byte> output)
    {
        switch (e.Kind)
        {
            case TrackedEventKind.Search:
                EntryEncoder.Text(output, "&search="u8, e.Action, MatomoLimits.ActionName, TextMeasure.EscapedUtf8Bytes); // stored escaped, as titles are
                EntryEncoder.Text(output, "&search_cat="u8, e.Category, MatomoLimits.SearchCategory);
                if (e.Value.IsNumber)
                {
                    EntryEncoder.Raw(output, "&search_count="u8);
                    EntryEncoder.Integer(output, (long)e.Value.Number);
                }

                break;
            case TrackedEventKind.Goal when e.Extras is { } goal:
                EntryEncoder.Raw(output, "&idgoal="u8);
                EntryEncoder.Integer(output, goal.GoalId);
                Money(output, "&revenue="u8, goal.Revenue);
                break;
            case TrackedEventKind.Order when e.Extras is { } order:
                EntryEncoder.Raw(output, "&idgoal=0"u8);
                EntryEncoder.Text(output, "&ec_id="u8, order.OrderId, MatomoLimits.OrderId);
                Money(output, "&revenue="u8, order.Revenue);
                Money(output, "&ec_st="u8, order.Subtotal);
                Money(output, "&ec_tx="u8, order.Tax);
                Money(output, "&ec_sh="u8, order.Shipping);
                Money(output, "&ec_dt="u8, order.Discount);
                if (order.Lines is { Length: > 0 } lines)
                {
                    EntryEncoder.Raw(output, "&ec_items="u8);
                    var items = new PercentEncoder(output, int.MaxValue / 4);
                    items.Append(ItemsJson(lines));
                }

                break;
        }
    }

    /// <summary>The server time of a page view (<c>pf_srv</c>), when it has one Matomo keeps.</summary>
    public static void ServerTime(in TrackedEvent e, ArrayBufferWriter<byte> output)
    {
        if (e.Value.IsNumber && e.Value.Number <= MaxServerTimeMs)
        {
            EntryEncoder.Raw(output, "&pf_srv="u8);
            EntryEncoder.Integer(output, (long)Math.Round(e.Value.Number, MidpointRounding.AwayFromZero));
        }
    }

    /// <summary>
    /// The app-wide dimensions (by ascending id) merged with the hit's own (by ascending id): for an id in both, the
    /// hit's value is sent; an empty value sends nothing for that id.
    /// </summary>
    public static void Dimensions(ArrayBufferWriter<byte> output, (int Id, byte[] Key, string Value)[] appWide, PiwikDimension[]? hit)
    {
        hit ??= [];
        int a = 0, h = 0;
        while (a < appWide.Length || h < hit.Length)
        {
            if (h == hit.Length || (a < appWide.Length && appWide[a].Id < hit[h].Id))
            {
                EntryEncoder.Text(output, appWide[a].Key, appWide[a].Value, MatomoLimits.Dimension);
                a++;
                continue;
            }

            if (a < appWide.Length && appWide[a].Id == hit[h].Id)
            {
                a++; // the hit's value replaces the app-wide one
            }

            if (hit[h].Value is { Length: > 0 } value)
            {
                EntryEncoder.Raw(output, "&dimension"u8);
                EntryEncoder.Integer(output, hit[h].Id);
                EntryEncoder.Raw(output, "="u8);
                var encoder = new PercentEncoder(output, MatomoLimits.Dimension);
                encoder.Append(value);
            }

            h++;
        }
    }

    /// <summary>Rounds as Matomo stores amounts: two decimals, half away from zero.</summary>
    internal static double RoundMoney(double amount) => Math.Round(amount, 2, MidpointRounding.AwayFromZero);

    private static void Money(ArrayBufferWriter<byte> output, ReadOnlySpan<byte> prefix, double? amount)
    {
        if (amount is { } value)
        {
            EntryEncoder.Raw(output, prefix);
            EntryEncoder.Number(output, RoundMoney(value));
        }
    }

    private static bool IsAmount(double value) => double.IsFinite(value) && value >= 0;

    private static bool IsOptionalAmount(double? value) => value is not { } v || IsAmount(v);

    /// <summary><c>[["sku","name","category",price,quantity],...]</c>, the layout Matomo's trackers send.</summary>
    private static string ItemsJson(OrderLine[] lines)
    {
        var json = new StringBuilder(64 * lines.Length).Append('[');
        for (var i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            json.Append(i == 0 ? "[" : ",[");
            JsonString(json, line.Sku);
            json.Append(',');
            JsonString(json, line.Name);
            json.Append(',');
            JsonString(json, line.Category);
            json.Append(',');
            var price = RoundMoney(line.Price);
            json.Append(price == Math.Floor(price) && price < 1e15
                ? ((long)price).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : price.ToString("R", System.Globalization.CultureInfo.InvariantCulture));
            json.Append(',').Append(line.Quantity.ToString(System.Globalization.CultureInfo.InvariantCulture)).Append(']');
        }

        return json.Append(']').ToString();
    }

    /// <summary>A JSON string cut to <see cref="MatomoLimits.ItemField"/> characters (never between a surrogate pair); control characters become spaces, as everywhere else.</summary>
    private static void JsonString(StringBuilder json, string? text)
    {
        text ??= "";
        var length = Math.Min(text.Length, MatomoLimits.ItemField);
        if (length < text.Length && length > 0 && char.IsHighSurrogate(text[length - 1]))
        {
            length--;
        }

        json.Append('"');
        foreach (var c in text.AsSpan(0, length))
        {
            switch (c)
            {
                case '"': json.Append("\\\""); break;
                case '\\': json.Append("\\\\"); break;
                default: json.Append(char.IsControl(c) ? ' ' : c); break;
            }
        }

        json.Append('"');
    }
}
