namespace Piwik.Generator.Tests.Layouts;

/// <summary>
/// A catalog service laid out like the open-source minimal APIs (eShop's Catalog.API, Aspire service defaults): every
/// route mapped in static extension methods on <c>IEndpointRouteBuilder</c> and <c>RouteGroupBuilder</c>, the same
/// <c>MapGroup("api/catalog")</c> three times with different metadata, each filled in another method, a static class of
/// method-group handlers, <c>[AsParameters]</c> class and record, <c>[FromServices]</c> and <c>[FromKeyedServices]</c>,
/// route constraints and optional values, <c>Results&lt;…&gt;</c> of three, a group made in one method (with a route
/// value) and filled in another, and <c>DoNotTrackRoutes</c> for the service-default endpoints.
/// </summary>
internal static class CatalogLayout
{
    public const string Source = """
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Http.HttpResults;
        using Microsoft.AspNetCore.Mvc;
        using Microsoft.AspNetCore.Routing;
        using Microsoft.Extensions.Logging;

        [assembly: DoNotTrackRoutes("/health", "/alive", "/metrics/*")]

        namespace Catalog.Api;

        public sealed record CatalogItem(int Id, string Name, decimal Price, string Brand);

        public sealed class PaginationRequest
        {
            public int PageSize { get; set; } = 10;
            public int PageIndex { get; set; }
        }

        public sealed record PriceQuery(int Id, [FromQuery] string Currency);

        public sealed class CatalogServices(ILogger<CatalogServices> logger)
        {
            public ILogger Logger { get; } = logger;
            public CatalogItem? Find(int id) => id < 50 ? new CatalogItem(id, "Mug " + id, 4.5m, "acme") : null;
        }

        public interface IPricing { decimal PriceOf(int id); }
        public sealed class RetailPricing : IPricing { public decimal PriceOf(int id) => id * 1.5m; }

        public static class Program
        {
            public static WebApplication Build(string matomoUrl, ILoggerProvider logs)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Logging.AddProvider(logs);
                builder.Services.AddSingleton<CatalogServices>();
                builder.Services.AddKeyedSingleton<IPricing, RetailPricing>("retail");
                builder.Services.AddPiwikTracking(o =>
                {
                    o.Url = matomoUrl;
                    o.AllowInsecureHttp = true;
                    o.FlushInterval = TimeSpan.FromMilliseconds(50);
                    o.DefaultCategory = "app";
                });
                var app = builder.Build();
                app.MapDefaultEndpoints();
                app.MapCatalogApi();
                app.MapGroup("/tenants/{tenant}").WithTags("files").MapFiles();
                app.UsePiwikTracking();
                return app;
            }
        }

        public static class ServiceDefaults
        {
            // Aspire's MapDefaultEndpoints: excluded app-wide by [assembly: DoNotTrackRoutes], no PIWIK001.
            public static IEndpointRouteBuilder MapDefaultEndpoints(this IEndpointRouteBuilder app)
            {
                app.MapGet("/health", () => "Healthy");
                app.MapGet("/alive", () => "Healthy");
                app.MapGroup("/metrics").MapGet("/cpu", () => 1);
                return app;
            }
        }

        public static class CatalogEndpoints
        {
            public static IEndpointRouteBuilder MapCatalogApi(this IEndpointRouteBuilder app)
            {
                app.MapGroup("api/catalog").WithTags("Catalog").WithGroupName("v1").MapItemsV1();
                app.MapGroup("api/catalog").WithTags("Catalog").WithGroupName("v2").MapItemsV2();
                app.MapGroup("api/catalog").WithTags("Pricing").MapPricing();
                return app;
            }

            public static RouteGroupBuilder MapItemsV1(this RouteGroupBuilder api)
            {
                api.MapGet("/items", CatalogApi.GetAllItemsV1);
                api.MapGet("/items/{id:int}", CatalogApi.GetItemById);
                api.MapGet("/items/by/{name:minlength(1)}/{brand?}", CatalogApi.GetItemsByName);
                return api;
            }

            public static RouteGroupBuilder MapItemsV2(this RouteGroupBuilder api)
            {
                api.MapPost("/v2/items", CatalogApi.CreateItem);
                return api;
            }

            public static RouteGroupBuilder MapPricing(this RouteGroupBuilder api)
            {
                api.MapGet("/items/{id:int}/price", CatalogApi.GetPrice);
                return api;
            }
        }

        public static class CatalogApi
        {
            [TrackAs("items-list", Category = "catalog", Name = "page {pagination.PageIndex}")]
            public static Ok<int> GetAllItemsV1([AsParameters] PaginationRequest pagination) => TypedResults.Ok(pagination.PageSize);

            [TrackAs("item-view", Category = "catalog", Name = "{id}", FailureAction = "item-missing")]
            public static Results<Ok<CatalogItem>, NotFound, BadRequest> GetItemById(int id, [FromServices] CatalogServices services) =>
                id <= 0 ? TypedResults.BadRequest() : services.Find(id) is { } item ? TypedResults.Ok(item) : TypedResults.NotFound();

            [TrackAs("items-by-name", Category = "catalog", Name = "{name}-{brand}")]
            public static Ok GetItemsByName(string name, string? brand) => TypedResults.Ok();

            [TrackAs("item-create", Category = "catalog", Name = "{item.Name}", Value = "{item.Price}")]
            public static Created CreateItem(CatalogItem item, CatalogServices services) => TypedResults.Created("/api/catalog/items/" + item.Id);

            [TrackAs("item-price", Category = "catalog", Name = "{query.Currency}", Value = "{query.Id}")]
            public static Ok<decimal> GetPrice([AsParameters] PriceQuery query, [FromKeyedServices("retail")] IPricing pricing) =>
                TypedResults.Ok(pricing.PriceOf(query.Id));
        }

        public static class FileEndpoints
        {
            // A group made in Program.Build (with the {tenant} route value) and filled here: the outer prefix is unseen.
            public static RouteGroupBuilder MapFiles(this RouteGroupBuilder files)
            {
                files.MapGet("/files/{fileId}", [TrackAs("file-download", Category = "files", Name = "{tenant}/{fileId}")] (string fileId) => TypedResults.Ok());
                files.MapGet("/files/{fileId}/meta", [TrackAs("file-meta", Category = "files", Name = "{fileid2}")] (string fileId) => TypedResults.Ok());
                return files;
            }
        }
        """;
}
