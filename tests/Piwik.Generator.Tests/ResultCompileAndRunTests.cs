extern alias generator;
using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using generator::Piwik.Generator;
using Piwik.Testing;

namespace Piwik.Generator.Tests;

/// <summary>
/// Templates that read the handler's result (<c>{result}</c>, <c>{result.Id}</c>) and order lines (<c>Items</c>),
/// through generated code compiled with and without the Request Delegate Generator, over Kestrel, into the stand-in
/// Matomo: every result shape the filter pipeline hands over, sync and async; nothing recorded when the response fails
/// after the handler returned a 2xx result. Both builds load into this process with the same type names, so a handler
/// must be matched to its own assembly's registration (whose accessors test for its own result types).
/// </summary>
public sealed class ResultCompileAndRunTests
{
    private const string Source = """
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Http.HttpResults;
        using Microsoft.AspNetCore.Routing;
        using Piwik;

        namespace ResultApp;

        public sealed record NewGroup(string Name);
        public sealed record GroupCreated(int Id, string Name);
        public readonly record struct Page(int Count);
        public sealed record CartLine(string Sku, string Title, decimal Price, int Quantity);
        public sealed record Cart(string Plan, List<CartLine> Lines);
        public sealed record Receipt(string OrderId, decimal Total, PiwikOrderItem[] Items);
        public sealed class Node
        {
            public string Id { get; set; } = "";
            public Node? Self { get; set; }
        }

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

                app.MapPost("/groups",
                    [TrackAs("group_created", Category = "groups", Name = "{result.Id}", FailureAction = "group_create_failed")]
                    Results<Created<GroupCreated>, NotFound, BadRequest> (NewGroup group) =>
                        group.Name == "missing" ? TypedResults.NotFound() : TypedResults.Created("/groups/7", new GroupCreated(7, group.Name)));
                app.MapGet("/pages", [TrackAs("paged", Category = "groups", Value = "{result.Count}")] async Task<Ok<Page>> (string q) =>
                {
                    await Task.Yield();
                    return TypedResults.Ok(new Page(q.Length));
                });
                app.MapGet("/count", [TrackAs("counted", Category = "groups", Value = "{result}")] () => 42);
                app.MapGet("/dto", [TrackAs("dto", Category = "groups", Name = "{result.Name}")] async ValueTask<GroupCreated> () =>
                {
                    await Task.Delay(1);
                    return new GroupCreated(5, "plain");
                });
                app.MapGet("/json", [TrackAs("json", Category = "groups", Name = "{result.Name}")] () => TypedResults.Json(new GroupCreated(3, "as-json")));
                app.MapGet("/accepted", [TrackAs("accepted", Category = "groups", Name = "{result.Id}")] () => TypedResults.Accepted("/jobs/9", new GroupCreated(9, "job")));
                app.MapGet("/groups/{id}", [DoNotTrack] (int id) => TypedResults.Ok(new GroupCreated(id, "any"))).WithName("group");
                app.MapPost("/routed", [TrackAs("routed", Category = "groups", Name = "{result.Id}")] () =>
                    TypedResults.CreatedAtRoute(new GroupCreated(11, "routed"), "group", new RouteValueDictionary { ["id"] = 11 }));
                app.MapGet("/search", [TrackSearch(Keyword = "{q}", Count = "{result.Count}")] Results<Ok<Page>, BadRequest> (string q) =>
                    q == "bad" ? TypedResults.BadRequest() : TypedResults.Ok(new Page(q.Length * 10)));
                app.MapPost("/checkout",
                    [TrackOrder(Id = "{result.OrderId}", Revenue = "{result.Total}", Items = "{cart.Lines}")]
                    Created<Receipt> (Cart cart) => TypedResults.Created("/orders/O-1", new Receipt("O-" + cart.Plan, cart.Lines.Sum(l => l.Price * l.Quantity), [])));
                app.MapPost("/receipt",
                    [TrackOrder(Id = "{result.OrderId}", Revenue = "{result.Total}", Items = "{result.Items}")]
                    async Task<Ok<Receipt>> (Cart cart) =>
                    {
                        await Task.Yield();
                        return TypedResults.Ok(new Receipt("R-" + cart.Plan, 12m, [new PiwikOrderItem { Sku = "seat", Name = "Seat", Category = "plans", Price = 6m, Quantity = 2 }]));
                    });
                app.MapGet("/cycle", [TrackAs("cycle", Category = "groups", Name = "{result.Id}"), TrackOrder(Id = "{result.Id}", Revenue = "1")] Ok<Node> () =>
                {
                    var node = new Node { Id = "loop" };
                    node.Self = node;
                    return TypedResults.Ok(node);
                });

                app.UsePiwikTracking();
                return app;
            }
        }
        """;

    private static readonly Lazy<Assembly> RdgOff = new(() => GeneratorHarness.BuildApp("ResultAppRdgOff", Source, withRequestDelegateGenerator: false));
    private static readonly Lazy<Assembly> RdgOn = new(() => GeneratorHarness.BuildApp("ResultAppRdgOn", Source, withRequestDelegateGenerator: true));

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Templates_read_the_value_each_result_shape_carries(bool withRdg)
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var build = (withRdg ? RdgOn.Value : RdgOff.Value).GetType("ResultApp.Program")!.GetMethod("Build")!;
        var app = (WebApplication)build.Invoke(null, [matomo.BaseUrl])!;
        await using (app)
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/groups", """{"name":"chess"}""", HttpStatusCode.Created);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/groups", """{"name":"missing"}""", HttpStatusCode.NotFound);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/pages?q=abcd", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/count", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/dto", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/json", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/accepted", null, HttpStatusCode.Accepted);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/routed", null, HttpStatusCode.Created);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/search?q=go", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/search?q=bad", null, HttpStatusCode.BadRequest);
            await CompileAndRunTests.Expect(
                client, HttpMethod.Post, "/checkout", """{"plan":"pro","lines":[{"sku":"pro-seat","title":"Pro seat","price":9.5,"quantity":3},{"sku":"addon","title":"Add-on","price":2,"quantity":1}]}""", HttpStatusCode.Created);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/receipt", """{"plan":"team","lines":[]}""", HttpStatusCode.OK);
            await SendIgnoringFailure(client, "/cycle"); // a 2xx result whose JSON fails as it is written: a 500 or an aborted response
            await app.StopAsync();
        }

        string[] expected =
        [
            "event groups/group_created/7 ",
            "event groups/group_create_failed/ ",
            "event groups/paged/ 4",
            "event groups/counted/ 42",
            "event groups/dto/plain ",
            "event groups/json/as-json ",
            "event groups/accepted/9 ",
            "event groups/routed/11 ",
            "search go 20",
            "order O-pro 30.5 [[\"pro-seat\",\"\",\"\",9.5,3],[\"addon\",\"\",\"\",2,1]]",
            "order R-team 12 [[\"seat\",\"Seat\",\"plans\",6,2]]",
        ];
        Assert.Equal(expected, matomo.Tracked.Select(Describe));
        Assert.Empty(matomo.Invalid);
    }

    [Fact]
    public void Generated_code_reads_results_and_lines_without_reflection()
    {
        var (_, run) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("Snapshot_Results", Source));
        var generated = string.Join("\n", run.Results.SelectMany(r => r.GeneratedSources).Select(s => s.SourceText.ToString()));
        Assert.Contains("global::Piwik.Infrastructure.TemplateValues.Result<global::ResultApp.GroupCreated>(context)?.Id", generated, StringComparison.Ordinal);
        Assert.Contains("global::Piwik.Infrastructure.TemplateValues.ResultValue<global::ResultApp.Page>(context)?.Count", generated, StringComparison.Ordinal);
        Assert.Contains("TemplateValues.Lines(((global::ResultApp.Cart?)context.Arguments[0])?.Lines, static item => new global::Piwik.Infrastructure.TrackedOrderLine(item.Sku, null, null, (double?)(item.Price), (double?)(item.Quantity)))", generated, StringComparison.Ordinal);
        Assert.Contains("readsResult: true", generated, StringComparison.Ordinal);
        Assert.Contains("x:Int32:Id", generated, StringComparison.Ordinal);
    }

    private static async Task SendIgnoringFailure(HttpClient client, string path)
    {
        try
        {
            using var response = await client.GetAsync(path);
            Assert.Equal(HttpStatusCode.InternalServerError, response.StatusCode);
        }
        catch (HttpRequestException)
        {
            // The server aborted the response after its headers: what a client sees of a body that failed to serialize.
        }
    }

    private static string Describe(TrackedEntry e)
    {
        if (e.Has("ec_id"))
        {
            return $"order {e["ec_id"]} {e["revenue"]} {e.Get("ec_items")}";
        }

        return e.Has("search")
            ? $"search {e["search"]} {e.Get("search_count")}"
            : $"event {e.Get("e_c")}/{e.Get("e_a")}/{e.Get("e_n")} {e.Get("e_v")}";
    }
}
