using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Piwik.Diagnostics;
using Piwik.Testing;

namespace Piwik.Generator.Tests;

/// <summary>
/// A redirect records nothing, unless the endpoint's <c>[TrackAs(RedirectIsSuccess = true)]</c> says a redirect is how it
/// answers a success (Post/Redirect/Get): then a 3xx records its action, order and search like a 2xx, on the filtered
/// path (a failure action, an order) and the unfiltered one. A redirect made before the endpoint ran records nothing
/// either way. A real app compiled with the generator (RDG on and off), served over Kestrel.
/// </summary>
public sealed class RedirectOutcomeTests
{
    private const string App = """
        using Microsoft.AspNetCore.Hosting;

        namespace RedirectApp;

        public sealed record Credentials(string User, string Password);

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
                    o.DefaultCategory = "app";
                });
                var app = builder.Build();

                // A middleware that redirects before any endpoint runs (as an authentication challenge to a login page does).
                app.Use(async (HttpContext context, RequestDelegate next) =>
                {
                    if (context.Request.Headers.ContainsKey("X-Redirect-First"))
                    {
                        context.Response.Redirect("/login");
                        return;
                    }

                    await next(context);
                });

                // A sign-in that redirects when it succeeds and refuses with 401: the filtered path (a failure action).
                app.MapPost("/login", [TrackAs("login", Category = "account", FailureAction = "login-failed", RedirectIsSuccess = true)] IResult (Credentials credentials) =>
                    credentials.Password == "right" ? TypedResults.LocalRedirect("/home") : TypedResults.Unauthorized());

                // The unfiltered path: nothing to read but the route.
                app.MapPost("/logout", [TrackAs("logout", Category = "account", RedirectIsSuccess = true)] () => TypedResults.Redirect("/"));
                app.MapGet("/go/{slug}", [TrackAs("go", Name = "{slug}", RedirectIsSuccess = true)] (string slug) => TypedResults.Redirect("https://example.org/" + slug));

                // An order answered with a redirect to its confirmation page.
                app.MapPost("/checkout/{id}", [TrackAs("checkout", RedirectIsSuccess = true), TrackOrder(Id = "{id}", Revenue = "12.5")] (string id) =>
                    TypedResults.Redirect("/thanks/" + id));

                // Without the opt-in a redirect is not a success: nothing, on both paths.
                app.MapGet("/moved", [TrackAs("moved")] () => TypedResults.Redirect("/new", permanent: true));
                app.MapGet("/moved/{slug}", [TrackAs("moved-with-failure", FailureAction = "moved-failed")] IResult (string slug) =>
                    slug == "gone" ? TypedResults.NotFound() : TypedResults.Redirect("/new/" + slug));

                app.UsePiwikTracking();
                return app;
            }
        }
        """;

    private static readonly Lazy<Assembly> RdgOff = new(() => GeneratorHarness.BuildApp("RedirectAppRdgOff", App, withRequestDelegateGenerator: false));
    private static readonly Lazy<Assembly> RdgOn = new(() => GeneratorHarness.BuildApp("RedirectAppRdgOn", App, withRequestDelegateGenerator: true));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task A_redirect_records_only_where_the_endpoint_says_it_is_its_success(bool withRdg)
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var app = (WebApplication)(withRdg ? RdgOn : RdgOff).Value.GetType("RedirectApp.Program")!.GetMethod("Build")!.Invoke(null, [matomo.BaseUrl])!;
        PiwikMetrics metrics;
        await using (app)
        {
            await app.StartAsync();
            using (var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(app.Urls.First()) })
            {
                await CompileAndRunTests.Expect(client, HttpMethod.Post, "/login", """{"user":"ann","password":"right"}""", HttpStatusCode.Redirect);
                await CompileAndRunTests.Expect(client, HttpMethod.Post, "/login", """{"user":"ann","password":"wrong"}""", HttpStatusCode.Unauthorized);
                await CompileAndRunTests.Expect(client, HttpMethod.Post, "/logout", null, HttpStatusCode.Redirect);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/go/docs", null, HttpStatusCode.Redirect);
                await CompileAndRunTests.Expect(client, HttpMethod.Post, "/checkout/C-7", null, HttpStatusCode.Redirect);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/moved", null, HttpStatusCode.MovedPermanently);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/moved/a", null, HttpStatusCode.Redirect);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/moved/gone", null, HttpStatusCode.NotFound);

                using var first = new HttpRequestMessage(HttpMethod.Post, "/logout");
                first.Headers.Add("X-Redirect-First", "1");
                using var redirected = await client.SendAsync(first);
                Assert.Equal(HttpStatusCode.Redirect, redirected.StatusCode);
            }

            await app.StopAsync();
            metrics = app.Services.GetRequiredService<PiwikMetrics>();
        }

        Assert.Equal(
            ["account/login//", "account/login-failed//", "account/logout//", "app/go/docs/", "app/checkout//", "app/moved-failed//"],
            matomo.Tracked.Where(e => e.Has("e_a")).Select(CompileAndRunTests.Describe));
        var order = Assert.Single(matomo.Tracked, e => e.Has("ec_id"));
        Assert.Equal(("C-7", "12.5"), (order["ec_id"], order["revenue"]));
        Assert.Empty(matomo.Invalid);
        Assert.Equal(7, metrics.Enqueued);
        Assert.Equal(metrics.Enqueued, metrics.Sent + metrics.Rejected + metrics.Dropped + metrics.Spooled);
    }
}
