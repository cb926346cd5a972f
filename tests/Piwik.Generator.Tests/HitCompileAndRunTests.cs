extern alias generator;
using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using generator::Piwik.Generator;
using Piwik.Testing;

namespace Piwik.Generator.Tests;

/// <summary>
/// <c>[TrackOrder]</c>, <c>[TrackSearch]</c> and <c>[TrackDimension]</c> through generated code compiled with and without
/// the Request Delegate Generator, over Kestrel, into the stand-in Matomo; and the generated file as a snapshot.
/// </summary>
public sealed class HitCompileAndRunTests
{
    private const string Source = """
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Http.HttpResults;
        using Piwik;

        namespace HitApp;

        public sealed record Payment(string Plan, decimal Total, double? Tax);

        public static class Handlers
        {
            [TrackSearch(Keyword = "{team}", Category = "teams"), TrackDimension(4, "{team}")]
            public static string[] Members(string team) => [team + "-1", team + "-2"];
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
                    o.CustomDimensions[1] = "app";
                });
                var app = builder.Build();

                app.MapPost("/orders/{orderId}",
                    [TrackAs("pay", Category = "billing", FailureAction = "pay-failed", Name = "{payment.Plan}")]
                    [TrackOrder(Id = "{orderId}", Revenue = "{payment.Total}", Tax = "{payment.Tax}", Shipping = "4.5")]
                    [TrackDimension(2, "{payment.Plan}")]
                    Results<Ok, BadRequest> (string orderId, Payment payment) => payment.Total > 0 ? TypedResults.Ok() : TypedResults.BadRequest());
                app.MapGet("/search", [TrackSearch(Keyword = "{q}", Count = "{limit}")] async Task<IResult> (string q, int limit) =>
                {
                    await Task.Yield();
                    return Results.Ok(limit);
                });
                app.MapGet("/status", [TrackSearch(Keyword = "{q}")] (string q, HttpContext context) => { context.Response.StatusCode = q == "gone" ? 404 : 200; });
                app.MapGet("/teams/{team}/members", Handlers.Members);

                app.UsePiwikTracking();
                return app;
            }
        }
        """;

    private static readonly Lazy<Assembly> RdgOff = new(() => Build("HitAppRdgOff", withRdg: false));
    private static readonly Lazy<Assembly> RdgOn = new(() => Build("HitAppRdgOn", withRdg: true));

    private static Assembly Build(string name, bool withRdg)
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation(name, Source), withRdg);
        Assert.NotNull(HitOutput(run));
        return GeneratorHarness.EmitAndLoad(output);
    }

    private static string? HitOutput(Microsoft.CodeAnalysis.GeneratorDriverRunResult run) =>
        run.Results.SelectMany(r => r.GeneratedSources).Where(s => s.HintName == PiwikGenerator.HitEmitter.HintName).Select(s => s.SourceText.ToString()).SingleOrDefault();

    [Fact]
    public void Generated_accessors_snapshot()
    {
        var (_, run) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("Snapshot_Hits", Source));
        SnapshotTests.VerifyText(HitOutput(run)!, "Order_search_and_dimension_handlers");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Orders_searches_and_dimensions_are_recorded_only_on_success_each_as_its_own_request(bool withRdg)
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var build = (withRdg ? RdgOn.Value : RdgOff.Value).GetType("HitApp.Program")!.GetMethod("Build")!;
        var app = (WebApplication)build.Invoke(null, [matomo.BaseUrl])!;
        await using (app)
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/orders/A-1", """{"plan":"pro","total":47.885,"tax":7.98}""", HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/orders/A-2", """{"plan":"pro","total":0}""", HttpStatusCode.BadRequest);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/search?q=chess&limit=3", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/status?q=here", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/status?q=gone", null, HttpStatusCode.NotFound);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/teams/red/members", null, HttpStatusCode.OK);
            await app.StopAsync();
        }

        string[] expected =
        [
            "event billing/pay/pro d1=app d2=pro",
            "order A-1 47.89 tax 7.98 ship 4.5 ca= d1=app d2=pro",
            "event billing/pay-failed/pro d1=app d2=pro",
            "search chess/ 3 d1=app",
            "search here/  d1=app",
            "search red/teams  d1=app d4=red",
        ];
        Assert.Equal(expected, matomo.Tracked.Select(Describe));
        Assert.Empty(matomo.Invalid);
    }

    private static string Describe(TrackedEntry e)
    {
        var dimensions = string.Join(" ", e.Parameters.Where(p => p.Key.StartsWith("dimension", StringComparison.Ordinal)).OrderBy(p => p.Key, StringComparer.Ordinal).Select(p => "d" + p.Key["dimension".Length..] + "=" + p.Value));
        if (e.Has("ec_id"))
        {
            return $"order {e["ec_id"]} {e["revenue"]} tax {e.Get("ec_tx")} ship {e.Get("ec_sh")} ca={e.Get("ca")} {dimensions}";
        }

        return e.Has("search")
            ? $"search {e["search"]}/{e.Get("search_cat")} {e.Get("search_count")} {dimensions}"
            : $"event {e.Get("e_c")}/{e.Get("e_a")}/{e.Get("e_n")} {dimensions}";
    }
}
