namespace Piwik;

/// <summary>
/// Records an ecommerce order each time the handler succeeds (2xx), beside its <see cref="TrackAsAttribute"/> event if
/// it has one: Matomo stores it as a conversion with <c>idgoal = 0</c>, on a site with ecommerce on, once per order id.
/// </summary>
/// <remarks>
/// Every property is a template, as in <see cref="TrackAsAttribute.Name"/>: <c>{request.Plan}</c> reads a handler
/// parameter's member, <c>{orderId}</c> a route value or parameter. <see cref="Id"/> and <see cref="Revenue"/> are
/// required; the amounts must bind to numbers and are sent with two decimals. An order whose amount is negative or not a
/// finite number is not sent (dropped, reason <c>invalid_number</c>).
/// </remarks>
/// <example><code>app.MapPost("/orders/{orderId}/pay", [TrackOrder(Id = "{orderId}", Revenue = "{payment.Total}")] (string orderId, Payment payment) => ...);</code></example>
[AttributeUsage(AttributeTargets.Method, AllowMultiple = false, Inherited = false)]
public sealed class TrackOrderAttribute : Attribute
{
    /// <summary>The order id (<c>ec_id</c>), unique per site: a template. Required.</summary>
    public string? Id { get; set; }

    /// <summary>The grand total (<c>revenue</c>): a template that binds to a number. Required.</summary>
    public string? Revenue { get; set; }

    /// <summary>The subtotal (<c>ec_st</c>): a template that binds to a number; optional.</summary>
    public string? Subtotal { get; set; }

    /// <summary>The tax (<c>ec_tx</c>): a template that binds to a number; optional.</summary>
    public string? Tax { get; set; }

    /// <summary>The shipping cost (<c>ec_sh</c>): a template that binds to a number; optional.</summary>
    public string? Shipping { get; set; }

    /// <summary>The discount (<c>ec_dt</c>): a template that binds to a number; optional.</summary>
    public string? Discount { get; set; }

    /// <summary>
    /// The order lines (<c>ec_items</c>): one placeholder naming a collection (<c>{cart.Lines}</c>,
    /// <c>{result.Items}</c>); optional. Its element type's members are read by name, ignoring case: <c>Sku</c>
    /// (required, a scalar), <c>Name</c> and <c>Category</c> (scalars), <c>Price</c> and <c>Quantity</c> (numbers; a
    /// line without them is sent with price 0 and quantity 1). <see cref="PiwikOrderItem"/> fits as it is.
    /// </summary>
    public string? Items { get; set; }
}
