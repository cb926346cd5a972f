namespace Piwik.Generator.Tests.Layouts;

/// <summary>
/// A modular monolith: a module's routes live in a class library of their own (its own generator output, its own
/// Request Delegate Generator interceptors, its own registrations), mapped by the host through an extension method;
/// the host has a tracked route of its own.
/// </summary>
internal static class ModularLayout
{
    public const string Module = """
        using Microsoft.AspNetCore.Routing;

        namespace Shop.Orders;

        public sealed record PlaceOrder(string Sku, int Quantity);

        public static class OrdersModule
        {
            public static IEndpointRouteBuilder MapOrders(this IEndpointRouteBuilder app)
            {
                var orders = app.MapGroup("/orders");
                orders.MapPost("/", [TrackAs("order-place", Category = "orders", Name = "{order.Sku}", Value = "{order.Quantity}")] (PlaceOrder order) => TypedResults.Created("/orders/1"));
                orders.MapGet("/{id:int}", [TrackAs("order-view", Category = "orders", Name = "{id}", FailureAction = "order-missing")] (int id) =>
                    id < 100 ? Results.Ok(id) : Results.NotFound());
                return app;
            }
        }
        """;

    public const string Host = """
        using Microsoft.AspNetCore.Hosting;
        using Shop.Orders;

        namespace Shop.Host;

        public static class Program
        {
            public static WebApplication Build(string matomoUrl)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Services.AddPiwikTracking(o =>
                {
                    o.Url = matomoUrl;
                    o.AllowInsecureHttp = true;
                    o.FlushInterval = TimeSpan.FromMilliseconds(50);
                });
                var app = builder.Build();
                app.MapOrders();
                app.MapGet("/cart", [TrackAs("cart-view", Category = "cart")] () => TypedResults.Ok());
                app.UsePiwikTracking();
                return app;
            }
        }
        """;
}
