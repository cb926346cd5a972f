using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Piwik.Endpoints;
using Piwik.Testing;

namespace Piwik.Generator.Tests;

/// <summary>
/// <see cref="TrackAsAttribute"/> handlers with no Name or Value template and no FailureAction are tracked by wrapping
/// the endpoint's request delegate, with no endpoint filter. A real app compiled with the generator (RDG on and off)
/// is served over Kestrel: each outcome records what the filter path would record, and only handlers that need it
/// get a filter.
/// </summary>
public sealed class UnfilteredPathTests
{
    private const string App = """
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Mvc;
        using Microsoft.AspNetCore.Routing;

        namespace WrapApp;

        public sealed record Note(string Text);

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

                // No template, no failure action: unfiltered.
                app.MapGet("/text", [TrackAs("text")] () => "a string result: no status on the result, 200 on the response");
                app.MapPost("/created", [TrackAs("created", Category = "notes")] async (Note note) =>
                {
                    await Task.Yield(); // completes asynchronously: the wrapper's awaiting path
                    return TypedResults.Created("/notes/1", note);
                });
                app.MapGet("/refused", [TrackAs("refused")] () => TypedResults.Conflict());
                app.MapGet("/teapot", [TrackAs("teapot")] (HttpContext context) => { context.Response.StatusCode = 418; });
                app.MapGet("/moved", [TrackAs("moved")] () => TypedResults.Redirect("/text"));
                app.MapGet("/throws", [TrackAs("throws")] string () => throw new InvalidOperationException("user code failed"));
                var outer = app.MapGroup("/outer");
                outer.MapGroup("/inner").MapGet("/nested", [TrackAs("nested")] () => TypedResults.NoContent());

                // Templates that read only route values: unfiltered too, with what the arguments would have given.
                app.MapGet("/named/{id:int}", [TrackAs("named", Name = "{id}")] (int id) => TypedResults.Ok(id));
                app.MapGet("/label/{id:int}/{slug}", [TrackAs("label", Name = "item {id} {slug}")] (int id, string slug) => TypedResults.Ok());
                app.MapGet("/amount/{cents:long}", [TrackAs("amount", Value = "{cents}")] (long cents) => TypedResults.Ok());
                app.MapGet("/maybe/{id?}", [TrackAs("maybe", Name = "{id}")] (int? id) => TypedResults.Ok());
                app.MapGroup("/orgs/{org}").MapGet("/home", [TrackAs("org", Name = "{org}")] () => TypedResults.Ok());

                // Templates that read query values: unfiltered too. Each has a twin that keeps the filter (a failure
                // action), so the two must record the same name for the same query.
                app.MapGet("/search", [TrackAs("search", Name = "{q}")] ([FromQuery] string q) => TypedResults.Ok());
                app.MapGet("/search-f", [TrackAs("search", Name = "{q}", FailureAction = "x")] ([FromQuery] string q) => TypedResults.Ok());
                app.MapGet("/find", [TrackAs("find", Name = "{term}")] (string? term) => TypedResults.Ok());
                app.MapGet("/find-f", [TrackAs("find", Name = "{term}", FailureAction = "x")] (string? term) => TypedResults.Ok());
                app.MapGet("/page/{id}", [TrackAs("page", Name = "{id} p{page}", Value = "{page}")] (string id, [FromQuery] int? page) => TypedResults.Ok());
                app.MapGet("/page-f/{id}", [TrackAs("page", Name = "{id} p{page}", Value = "{page}", FailureAction = "x")] (string id, [FromQuery] int? page) => TypedResults.Ok());

                // Templates that read more than route and query values, a default value only the argument holds, or a
                // failure action: the filter.
                app.MapGet("/sorted", [TrackAs("sorted", Name = "{order}")] (string order = "newest") => TypedResults.Ok());
                app.MapGet("/shelf/{n?}", [TrackAs("shelf", Name = "{n}")] (int n = 5) => TypedResults.Ok());
                app.MapGet("/aliased", [TrackAs("aliased", Name = "{q}")] ([FromQuery(Name = "query")] string q) => TypedResults.Ok());
                app.MapGet("/renamed/{key}", [TrackAs("renamed", Name = "{id}")] ([FromRoute(Name = "key")] string id) => TypedResults.Ok());
                app.MapPost("/body/{id}", [TrackAs("body", Name = "{note.Text}")] (string id, Note note) => TypedResults.Ok());
                app.MapPost("/checked", [TrackAs("checked", FailureAction = "check-failed")] (Note note) =>
                    note.Text.Length > 0 ? Results.Ok() : Results.BadRequest());

                app.UsePiwikTracking();
                return app;
            }
        }
        """;

    private static readonly Lazy<Assembly> RdgOff = new(() => Build("WrapAppRdgOff", withRdg: false));
    private static readonly Lazy<Assembly> RdgOn = new(() => Build("WrapAppRdgOn", withRdg: true));

    private static Assembly Build(string name, bool withRdg) => GeneratorHarness.BuildApp(name, App, withRdg);

    private static WebApplication Start(bool withRdg, string matomoUrl) =>
        (WebApplication)(withRdg ? RdgOn : RdgOff).Value.GetType("WrapApp.Program")!.GetMethod("Build")!.Invoke(null, [matomoUrl])!;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Handlers_without_templates_or_failure_actions_record_on_2xx_only_without_a_filter(bool withRdg)
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var app = Start(withRdg, matomo.BaseUrl);
        await using (app)
        {
            await app.StartAsync();

            // Which endpoints are wrapped and which filtered: the delegate ASP.NET Core will call says so.
            var endpoints = ((IEndpointRouteBuilder)app).DataSources.SelectMany(s => s.Endpoints).Cast<RouteEndpoint>()
                .ToDictionary(e => e.RoutePattern.RawText!);
            foreach (var route in new[] { "/text", "/created", "/refused", "/teapot", "/moved", "/throws", "/outer/inner/nested", "/named/{id:int}", "/label/{id:int}/{slug}", "/amount/{cents:long}", "/maybe/{id?}", "/orgs/{org}/home", "/search", "/find", "/page/{id}" })
            {
                Assert.IsType<TrackedRequestDelegate>(endpoints[route].RequestDelegate!.Target);
                Assert.True(endpoints[route].Metadata.GetMetadata<TrackingEndpointMetadata>()!.FilterAttached);
            }

            foreach (var route in new[] { "/search-f", "/find-f", "/page-f/{id}", "/sorted", "/shelf/{n?}", "/aliased", "/renamed/{key}", "/body/{id}", "/checked" })
            {
                Assert.IsNotType<TrackedRequestDelegate>(endpoints[route].RequestDelegate!.Target);
                Assert.True(endpoints[route].Metadata.GetMetadata<TrackingEndpointMetadata>()!.FilterAttached);
            }

            using var client = new HttpClient(new HttpClientHandler { AllowAutoRedirect = false }) { BaseAddress = new Uri(app.Urls.First()) };
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/text", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/created", """{"text":"hi"}""", HttpStatusCode.Created);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/created", """{"text": not json""", HttpStatusCode.BadRequest); // binding failed: the handler never ran
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/refused", null, HttpStatusCode.Conflict);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/teapot", null, (HttpStatusCode)418);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/moved", null, HttpStatusCode.Redirect);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/throws", null, HttpStatusCode.InternalServerError);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/outer/inner/nested", null, HttpStatusCode.NoContent);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/named/005", null, HttpStatusCode.OK); // the int 5, as the argument is
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/label/-07/caf%C3%A9", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/amount/9007199254740993", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/maybe", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/maybe/12", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/maybe/x", null, HttpStatusCode.BadRequest); // binding failed: nothing
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/orgs/acme/home", null, HttpStatusCode.OK);
            foreach (var twin in new[] { "", "-f" })
            {
                await CompileAndRunTests.Expect(client, HttpMethod.Get, $"/search{twin}?q=shoes", null, HttpStatusCode.OK);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, $"/search{twin}?q=red&q=blue%20sky", null, HttpStatusCode.OK); // several values
                await CompileAndRunTests.Expect(client, HttpMethod.Get, $"/find{twin}?term=caf%C3%A9", null, HttpStatusCode.OK);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, $"/find{twin}", null, HttpStatusCode.OK); // absent: null
                await CompileAndRunTests.Expect(client, HttpMethod.Get, $"/page{twin}/a1?page=007", null, HttpStatusCode.OK);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, $"/page{twin}/a1", null, HttpStatusCode.OK);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, $"/page{twin}/a1?page=x", null, HttpStatusCode.BadRequest); // binding failed: nothing
            }

            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/sorted", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/shelf", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/renamed/k1", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/body/b1", """{"text":"from body"}""", HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/checked", """{"text":""}""", HttpStatusCode.BadRequest);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/checked", """{"text": not json""", HttpStatusCode.BadRequest); // filter not reached: nothing
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/checked", """{"text":"ok"}""", HttpStatusCode.OK);
            await app.StopAsync();
        }

        // Exactly one event per 2xx of a wrapped endpoint (one for the nested group: wrapped once, not per group);
        // the failure action only where the handler ran and answered 4xx. Query templates read without the filter
        // give what their filtered twins read from the arguments.
        string[] expected =
        [
            "app/text//",
            "notes/created//",
            "app/nested//",
            "app/named/5/",
            "app/label/item -7 café/",
            "app/amount//9007199254740992", // e_v is a double, as the generated accessor also makes it
            "app/maybe//",
            "app/maybe/12/",
            "app/org/acme/",
            "app/search/shoes/", "app/search/red,blue sky/", "app/find/café/", "app/find//", "app/page/a1 p7/7", "app/page/a1 p/",
            "app/search/shoes/", "app/search/red,blue sky/", "app/find/café/", "app/find//", "app/page/a1 p7/7", "app/page/a1 p/",
            "app/sorted/newest/",
            "app/shelf/5/", // the default value, which only the argument holds
            "app/renamed/k1/",
            "app/body/from body/",
            "app/check-failed//",
            "app/checked//",
        ];
        Assert.Equal(expected, matomo.Tracked.Select(CompileAndRunTests.Describe));
        Assert.Empty(matomo.Invalid);
    }
}
