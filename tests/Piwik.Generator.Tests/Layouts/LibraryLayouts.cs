namespace Piwik.Generator.Tests.Layouts;

/// <summary>
/// Routes mapped through the libraries real apps use, each compiled against the real package: API versioning
/// (<c>Asp.Versioning.Http</c>: a versioned API set, one group per version filled with the same routes) and Carter
/// modules (<c>ICarterModule</c>s, one with a group of its own, mapped by <c>MapCarter</c>).
/// </summary>
internal static class LibraryLayouts
{
    public const string Versioned = """
        using Asp.Versioning;
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Routing;

        namespace Versioned.Api;

        public sealed record NewOrder(string Sku, int Quantity);

        public static class Program
        {
            public static WebApplication Build(string matomoUrl)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Services.AddApiVersioning(o => o.ApiVersionReader = new UrlSegmentApiVersionReader());
                builder.Services.AddPiwikTracking(o =>
                {
                    o.Url = matomoUrl;
                    o.AllowInsecureHttp = true;
                    o.FlushInterval = TimeSpan.FromMilliseconds(50);
                });
                var app = builder.Build();
                app.MapOrdersApi();

                // Asp.Versioning's own shape: the version set and its group made on the application itself.
                var history = app.NewVersionedApi("History");
                var v1 = history.MapGroup("/api/v{version:apiVersion}/history").HasApiVersion(1.0);
                v1.MapGet("/{day}", [TrackAs("history-view", Category = "orders", Name = "{version}: {day}")] (string day) => TypedResults.Ok(day));
                app.UsePiwikTracking();
                return app;
            }
        }

        public static class OrdersApi
        {
            public static IEndpointRouteBuilder MapOrdersApi(this IEndpointRouteBuilder app)
            {
                var orders = app.NewVersionedApi("Orders");
                orders.MapGroup("/api/v{version:apiVersion}/orders").HasApiVersion(1.0).MapOrdersV1();
                orders.MapGroup("/api/v{version:apiVersion}/orders").HasApiVersion(2.0).MapOrdersV2();
                return app;
            }

            private static RouteGroupBuilder MapOrdersV1(this RouteGroupBuilder v1)
            {
                v1.MapGet("/{id:int}", [TrackAs("order-view", Category = "orders", Name = "v1 {id}")] (int id) => TypedResults.Ok(id));
                return v1;
            }

            private static RouteGroupBuilder MapOrdersV2(this RouteGroupBuilder v2)
            {
                v2.MapGet("/{id:int}", [TrackAs("order-view", Category = "orders", Name = "v2 {id}")] (int id) => TypedResults.Ok(id * 2));
                v2.MapPost("/", [TrackAs("order-create", Category = "orders", Name = "{order.Sku}", Value = "{order.Quantity}")] (NewOrder order) => TypedResults.Created("/api/v2/orders/1"));
                return v2;
            }
        }
        """;

    public const string Carter = """
        using Carter;
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Routing;

        namespace Carter.Api;

        public sealed record SignupRequest(string Email, string Plan);

        public sealed class AccountModule : ICarterModule
        {
            public void AddRoutes(IEndpointRouteBuilder app)
            {
                app.MapPost("/accounts", [TrackAs("signup", Category = "account", Name = "{request.Plan}")] (SignupRequest request) => TypedResults.Created("/accounts/1"));
                app.MapGet("/accounts/{id:int}", ViewAccount);
            }

            [TrackAs("account-view", Category = "account", Name = "{id}")]
            private static Ok<int> ViewAccount(int id) => TypedResults.Ok(id);
        }

        public sealed class GroupsModule : ICarterModule
        {
            public void AddRoutes(IEndpointRouteBuilder app)
            {
                var groups = app.MapGroup("/groups").WithTags("groups");
                groups.MapGet("/{groupId}/members", [TrackAs("group-members", Category = "groups", Name = "{groupId}")] (string groupId) => TypedResults.Ok(groupId.Length));
            }
        }

        public static class Program
        {
            public static WebApplication Build(string matomoUrl)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Services.AddCarter(configurator: c => c.WithModule<AccountModule>().WithModule<GroupsModule>());
                builder.Services.AddPiwikTracking(o =>
                {
                    o.Url = matomoUrl;
                    o.AllowInsecureHttp = true;
                    o.FlushInterval = TimeSpan.FromMilliseconds(50);
                });
                var app = builder.Build();
                app.MapCarter();
                app.UsePiwikTracking();
                return app;
            }
        }
        """;

    /// <summary>The generic host with a <c>Startup</c> class: routes mapped inside <c>UseEndpoints</c>, tracking attached there first.</summary>
    public const string Startup = """
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Routing;
        using Microsoft.Extensions.Configuration;
        using Microsoft.Extensions.Hosting;
        using Microsoft.Extensions.Logging;

        namespace Startup.Api;

        public sealed record Rating(int Stars);

        public sealed class Startup(IConfiguration configuration)
        {
            public void ConfigureServices(IServiceCollection services)
            {
                services.AddRouting();
                services.AddPiwikTracking(o =>
                {
                    o.Url = configuration["MatomoUrl"];
                    o.AllowInsecureHttp = true;
                    o.FlushInterval = TimeSpan.FromMilliseconds(50);
                });
            }

            public void Configure(IApplicationBuilder app)
            {
                app.UseRouting();
                app.UseEndpoints(endpoints =>
                {
                    endpoints.UsePiwikTracking(); // first, before the Map* calls (the test also runs it last)
                    endpoints.MapGet("/books/{id:int}", [TrackAs("book-view", Category = "books", Name = "{id}")] (int id) => TypedResults.Ok(id));
                    endpoints.MapGroup("/books").MapPost("/{id:int}/ratings", [TrackAs("book-rate", Category = "books", Name = "{id}", Value = "{rating.Stars}")] (int id, Rating rating) => TypedResults.NoContent());
                });
            }
        }

        public static class Program
        {
            public static IHost Build(string matomoUrl, ILoggerProvider logs) =>
                Host.CreateDefaultBuilder()
                    .ConfigureAppConfiguration(c => c.AddInMemoryCollection(new Dictionary<string, string?> { ["MatomoUrl"] = matomoUrl }))
                    .ConfigureLogging(l => l.AddProvider(logs))
                    .ConfigureWebHostDefaults(web => web.UseUrls("http://127.0.0.1:0").UseStartup<Startup>())
                    .Build();
        }
        """;

    /// <summary>
    /// .NET 10's minimal-API validation (<c>AddValidation()</c> and its generator): a body that fails validation answers
    /// 400 before the handler; and an endpoint filter of the app's own that answers 400 without calling the handler.
    /// </summary>
    public const string Validated = """
        using System.ComponentModel.DataAnnotations;
        using Microsoft.AspNetCore.Hosting;

        namespace Validated.Api;

        public sealed record SignupRequest([property: Required, EmailAddress] string Email, [property: Required] string Plan);

        public sealed record InviteRequest(string Email, string Plan);

        public static class Program
        {
            public static WebApplication Build(string matomoUrl)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Services.AddValidation();
                builder.Services.AddPiwikTracking(o =>
                {
                    o.Url = matomoUrl;
                    o.AllowInsecureHttp = true;
                    o.FlushInterval = TimeSpan.FromMilliseconds(50);
                });
                var app = builder.Build();
                app.MapPost("/signup", [TrackAs("signup", Category = "account", Name = "{request.Plan}", FailureAction = "signup-failed")] (SignupRequest request) =>
                    request.Plan == "sold-out" ? Results.Conflict() : Results.Created("/accounts/1", null));

                // The app's own validation filter (the FluentValidation shape): it answers 400 without calling the handler.
                app.MapPost("/invite", [TrackAs("invite", Category = "account", Name = "{invite.Plan}", FailureAction = "invite-failed")] (InviteRequest invite) => Results.NoContent())
                    .AddEndpointFilter(async (context, next) =>
                        context.GetArgument<InviteRequest>(0).Email.Contains('@') ? await next(context) : Results.ValidationProblem(new Dictionary<string, string[]> { ["Email"] = ["invalid"] }));
                app.UsePiwikTracking();
                return app;
            }
        }
        """;

    /// <summary>A form post (<c>[FromForm]</c>, a complex type bound from form fields) with antiforgery on, as a server-rendered app posts it.</summary>
    public const string Form = """
        using Microsoft.AspNetCore.Antiforgery;
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Mvc;

        namespace Form.Api;

        public sealed class ContactForm
        {
            public string Topic { get; set; } = "";
            public string Message { get; set; } = "";
        }

        public static class Program
        {
            public static WebApplication Build(string matomoUrl)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Services.AddAntiforgery();
                builder.Services.AddPiwikTracking(o =>
                {
                    o.Url = matomoUrl;
                    o.AllowInsecureHttp = true;
                    o.FlushInterval = TimeSpan.FromMilliseconds(50);
                });
                var app = builder.Build();
                app.UseAntiforgery();
                app.MapGet("/token", [DoNotTrack] (HttpContext context, IAntiforgery antiforgery) =>
                {
                    var tokens = antiforgery.GetAndStoreTokens(context);
                    return TypedResults.Ok(new[] { tokens.FormFieldName, tokens.RequestToken! });
                });
                app.MapPost("/contact", [TrackAs("contact", Category = "support", Name = "{form.Topic}")] ([FromForm] ContactForm form) => TypedResults.NoContent());
                app.UsePiwikTracking();
                return app;
            }
        }
        """;
}
