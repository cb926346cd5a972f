using System.ComponentModel;

namespace Piwik;

/// <summary>
/// The <see cref="TrackOrderAttribute"/> of a tracking-plan row (<see cref="TrackedEndpointInfo.Order"/>): the ecommerce
/// order the endpoint records when it succeeds, as templates written in the attribute.
/// </summary>
public sealed class TrackedOrderInfo
{
    /// <summary>Creates the order's part of a row. Called by the runtime when it reads the generated plan.</summary>
    /// <param name="id">The <see cref="TrackOrderAttribute.Id"/> template, or <c>null</c>.</param>
    /// <param name="revenue">The <see cref="TrackOrderAttribute.Revenue"/> template, or <c>null</c>.</param>
    /// <param name="subtotal">The <see cref="TrackOrderAttribute.Subtotal"/> template, or <c>null</c>.</param>
    /// <param name="tax">The <see cref="TrackOrderAttribute.Tax"/> template, or <c>null</c>.</param>
    /// <param name="shipping">The <see cref="TrackOrderAttribute.Shipping"/> template, or <c>null</c>.</param>
    /// <param name="discount">The <see cref="TrackOrderAttribute.Discount"/> template, or <c>null</c>.</param>
    /// <param name="items">The <see cref="TrackOrderAttribute.Items"/> template, or <c>null</c>.</param>
    [EditorBrowsable(EditorBrowsableState.Never)]
    public TrackedOrderInfo(string? id, string? revenue, string? subtotal, string? tax, string? shipping, string? discount, string? items)
    {
        Id = id;
        Revenue = revenue;
        Subtotal = subtotal;
        Tax = tax;
        Shipping = shipping;
        Discount = discount;
        Items = items;
    }

    /// <summary>The order id template (<c>ec_id</c>), such as <c>{result.OrderId}</c>. Only null in code the analyzer rejects (PIWIK014).</summary>
    public string? Id { get; }

    /// <summary>The grand total template (<c>revenue</c>), such as <c>{result.Total}</c>. Only null in code the analyzer rejects (PIWIK014).</summary>
    public string? Revenue { get; }

    /// <summary>The subtotal template (<c>ec_st</c>), or <c>null</c>.</summary>
    public string? Subtotal { get; }

    /// <summary>The tax template (<c>ec_tx</c>), or <c>null</c>.</summary>
    public string? Tax { get; }

    /// <summary>The shipping cost template (<c>ec_sh</c>), or <c>null</c>.</summary>
    public string? Shipping { get; }

    /// <summary>The discount template (<c>ec_dt</c>), or <c>null</c>.</summary>
    public string? Discount { get; }

    /// <summary>The order lines' template (<c>ec_items</c>), one placeholder naming a collection such as <c>{result.Lines}</c>, or <c>null</c>.</summary>
    public string? Items { get; }

    /// <summary>The order as the plan prints it: <c>order {result.OrderId}</c>.</summary>
    /// <returns>The text.</returns>
    public override string ToString() => "order " + Id;
}
