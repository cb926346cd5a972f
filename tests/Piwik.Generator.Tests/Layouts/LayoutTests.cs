using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.Extensions.Logging;
using Piwik.Testing;

namespace Piwik.Generator.Tests.Layouts;

/// <summary>
/// App layouts of real projects, each built with the Request Delegate Generator on: exactly the expected analyzer
/// diagnostics, then served over Kestrel, exactly the expected events at the stand-in Matomo and start-up warnings.
/// </summary>
public sealed class LayoutTests
{
    private static readonly Lazy<(Assembly Assembly, IReadOnlyList<Diagnostic> Diagnostics)> Catalog = new(() => Build("Catalog.Api", CatalogLayout.Source));

    private static (Assembly, IReadOnlyList<Diagnostic>) Build(string project, string source)
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation(project, source), withRequestDelegateGenerator: true, rootNamespace: project);
        Assert.True(GeneratorHarness.Intercepted(run), "the Request Delegate Generator did not run");
        var diagnostics = GeneratorHarness.AnalyzeAsync(output).GetAwaiter().GetResult();
        return (GeneratorHarness.EmitAndLoad(output), diagnostics);
    }

    /// <summary>
    /// Starts a layout's app (its <c>Program.Build(matomoUrl)</c>, or <c>Build(matomoUrl, logs)</c>) on Kestrel with a
    /// stand-in Matomo, makes the requests, stops it; returns the events Matomo got (none of them invalid).
    /// </summary>
    private static async Task<string[]> ServeAsync(Assembly assembly, string program, Func<HttpClient, Task> requests, LogCapture? logs = null)
    {
        await using var matomo = await StandInMatomo.StartAsync();
        object[] arguments = logs is null ? [matomo.BaseUrl] : [matomo.BaseUrl, logs];
        var app = (WebApplication)assembly.GetType(program)!.GetMethod("Build")!.Invoke(null, arguments)!;
        await using (app)
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            await requests(client);
            await app.StopAsync();
        }

        Assert.Empty(matomo.Invalid);
        return [.. matomo.Tracked.Select(CompileAndRunTests.Describe)];
    }

    [Fact]
    public void Catalog_reports_exactly_the_placeholders_only_an_unseen_prefix_could_hold()
    {
        // {tenant} comes from the group Program.Build makes: a warning here, bound at run time. {fileid2} is a typo.
        // /health, /alive and /metrics/cpu are mapped in an extension method and excluded by DoNotTrackRoutes.
        Assert.Equal(
            [
                "PIWIK013: Placeholder '{tenant}' in the Name template is neither a parameter of the handler nor a route parameter of '\u2026/files/{fileId}'; only an outer group prefix the analyzer cannot see could hold it",
                "PIWIK013: Placeholder '{fileid2}' in the Name template is neither a parameter of the handler nor a route parameter of '\u2026/files/{fileId}/meta'; only an outer group prefix the analyzer cannot see could hold it",
            ],
            Catalog.Value.Diagnostics.Select(d => d.Id + ": " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Fact]
    public async Task Catalog_records_exactly_the_expected_events_and_warns_once_about_the_typo()
    {
        var logs = new LogCapture();
        var tracked = await ServeAsync(Catalog.Value.Assembly, "Catalog.Api.Program", async client =>
        {
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/health", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/metrics/cpu", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/api/catalog/items?PageSize=10&PageIndex=2", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/api/catalog/items/7", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/api/catalog/items/99", null, HttpStatusCode.NotFound);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/api/catalog/items/by/mug", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/api/catalog/items/by/mug/acme", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/api/catalog/v2/items", """{"id":5,"name":"Cup","price":3.5,"brand":"x"}""", HttpStatusCode.Created);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/api/catalog/items/4/price?currency=EUR", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/tenants/acme/files/f1", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/tenants/acme/files/f1/meta", null, HttpStatusCode.OK);
        }, logs);

        Assert.Equal(
            [
                "catalog/items-list/page 2/",
                "catalog/item-view/7/",
                "catalog/item-missing/99/",
                "catalog/items-by-name/mug-/",
                "catalog/items-by-name/mug-acme/",
                "catalog/item-create/Cup/3.5",
                "catalog/item-price/EUR/4",
                "files/file-download/acme/f1/",
                "files/file-meta//",
            ],
            tracked);

        // The typo is named once, with its endpoint; {tenant} is bound by the full pattern and not reported.
        var warning = Assert.Single(logs.Entries, e => e.Id.Id == 1304);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("/tenants/{tenant}/files/{fileId}/meta", warning.Message, StringComparison.Ordinal);
        Assert.Contains("'{fileid2}'", warning.Message, StringComparison.Ordinal);
        // Not 1303 (a table of another format version): that registry is process-wide, and another test of this
        // process registers such a table on purpose (PrivacyLayoutTests), so whether it shows here depends on order.
        Assert.DoesNotContain(logs.Entries, e => e.Id.Id is 1300 or 1301 or 1302);
    }

    [Fact]
    public async Task Routes_mapped_in_instance_methods_of_modules_are_checked_and_recorded()
    {
        var (assembly, diagnostics) = Build("Modules.Api", ModulesLayout.Source);
        // Only the untracked route; the placeholders of the capturing lambda, the instance method group and the local function bind.
        var untracked = Assert.Single(diagnostics);
        Assert.Equal("PIWIK001", untracked.Id);
        Assert.Contains("'DELETE \u2026/accounts/{id:int}'", untracked.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var logs = new LogCapture();
        var tracked = await ServeAsync(assembly, "Modules.Api.Program", async client =>
        {
                await CompileAndRunTests.Expect(client, HttpMethod.Post, "/accounts/", """{"email":"a@example.com","plan":"pro"}""", HttpStatusCode.Created);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/accounts/7", null, HttpStatusCode.OK);
                await CompileAndRunTests.Expect(client, HttpMethod.Post, "/accounts/7/login", null, HttpStatusCode.OK);
                await CompileAndRunTests.Expect(client, HttpMethod.Delete, "/accounts/7", null, HttpStatusCode.NoContent);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/groups/family/members", null, HttpStatusCode.OK);
        }, logs);

        Assert.Equal(["account/signup/pro/", "account/account-view/7/", "account/login/7/", "groups/group-members/family/"], tracked);
        // No endpoint named at start-up as untracked, unmatched or mistyped (1303 left out, as above).
        Assert.DoesNotContain(logs.Entries, e => e.Id.Id is 1300 or 1301 or 1302 or 1304 or 1305);
    }

    [Fact]
    public async Task A_module_s_routes_in_a_class_library_of_their_own_are_recorded_beside_the_host_s()
    {
        // Each project runs both generators over its own routes, as a build does; the host references the module's assembly.
        var (module, moduleRun) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("Shop.Orders", ModularLayout.Module), withRequestDelegateGenerator: true, rootNamespace: "Shop.Orders");
        Assert.True(GeneratorHarness.Intercepted(moduleRun), "the Request Delegate Generator did not run on the module");
        Assert.Empty(await GeneratorHarness.AnalyzeAsync(module));
        using var image = new MemoryStream();
        Assert.True(module.Emit(image).Success);
        System.Runtime.Loader.AssemblyLoadContext.Default.LoadFromStream(new MemoryStream(image.ToArray()));

        var (host, hostRun) = GeneratorHarness.Generate(
            GeneratorHarness.CreateCompilation("Shop.Host", ModularLayout.Host).AddReferences(MetadataReference.CreateFromImage(image.ToArray())),
            withRequestDelegateGenerator: true,
            rootNamespace: "Shop.Host");
        Assert.True(GeneratorHarness.Intercepted(hostRun), "the Request Delegate Generator did not run on the host");
        Assert.Empty(await GeneratorHarness.AnalyzeAsync(host));

        var tracked = await ServeAsync(GeneratorHarness.EmitAndLoad(host), "Shop.Host.Program", async client =>
        {
                await CompileAndRunTests.Expect(client, HttpMethod.Post, "/orders/", """{"sku":"mug-1","quantity":3}""", HttpStatusCode.Created);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/orders/7", null, HttpStatusCode.OK);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/orders/700", null, HttpStatusCode.NotFound);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/cart", null, HttpStatusCode.OK);
        });

        Assert.Equal(["orders/order-place/mug-1/3", "orders/order-view/7/", "orders/order-missing/700/", "cart/cart-view//"], tracked);
    }

    [Fact]
    public async Task Versioned_apis_record_each_version_s_own_event_and_nothing_for_a_version_without_the_route()
    {
        // A group of a version set made on the application has its whole route: a typo is an error naming it.
        var typo = await GeneratorHarness.AnalyzeAsync(GeneratorHarness.Generate(
            GeneratorHarness.CreateCompilation("Versioned.Typo", LibraryLayouts.Versioned.Replace("{version}: {day}", "{version}: {dayy}", StringComparison.Ordinal)),
            withRequestDelegateGenerator: true).Output);
        Assert.Contains(
            "PIWIK002: Placeholder '{dayy}' in the Name template is neither a route parameter of '/api/v{version:apiVersion}/history/{day}' nor a parameter of the handler",
            typo.Select(d => d.Id + ": " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));

        // The two versions' routes read the same (the version is a route value); their lambdas are told apart by line.
        // Each group is filled in a private method, whose one caller the analyzer follows to the group's prefix; that
        // caller is a public method of a library (the test compiles one), which code outside may call: '…' before it.
        var (assembly, diagnostics) = Build("Versioned.Api", LibraryLayouts.Versioned);
        Assert.Equal(
            ["PIWIK009: Event 'orders/order-view' of route 'GET \u2026/api/v{version:apiVersion}/orders/{id:int} (lambda at Source0.cs:52)' is also recorded by route 'GET \u2026/api/v{version:apiVersion}/orders/{id:int} (lambda at Source0.cs:46)', which has Name 'v1 {id}': use a distinct action or the same templates"],
            diagnostics.Select(d => d.Id + ": " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));

        var tracked = await ServeAsync(assembly, "Versioned.Api.Program", async client =>
        {
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/api/v1/orders/5", null, HttpStatusCode.OK);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/api/v2/orders/5", null, HttpStatusCode.OK);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/api/v3/orders/5", null, HttpStatusCode.NotFound);
                await CompileAndRunTests.Expect(client, HttpMethod.Post, "/api/v2/orders/", """{"sku":"mug-1","quantity":3}""", HttpStatusCode.Created);
                await CompileAndRunTests.Expect(client, HttpMethod.Post, "/api/v1/orders/", """{"sku":"mug-1","quantity":3}""", HttpStatusCode.NotFound);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/api/v1/history/mon", null, HttpStatusCode.OK);
        });

        Assert.Equal(["orders/order-view/v1 5/", "orders/order-view/v2 5/", "orders/order-create/mug-1/3", "orders/history-view/1: mon/"], tracked);
    }

    [Fact]
    public async Task Carter_modules_are_checked_and_recorded()
    {
        var (assembly, diagnostics) = Build("Carter.Api", LibraryLayouts.Carter);
        Assert.Empty(diagnostics);

        var tracked = await ServeAsync(assembly, "Carter.Api.Program", async client =>
        {
                await CompileAndRunTests.Expect(client, HttpMethod.Post, "/accounts", """{"email":"a@example.com","plan":"pro"}""", HttpStatusCode.Created);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/accounts/7", null, HttpStatusCode.OK);
                await CompileAndRunTests.Expect(client, HttpMethod.Get, "/groups/family/members", null, HttpStatusCode.OK);
        });

        Assert.Equal(["account/signup/pro/", "account/account-view/7/", "groups/group-members/family/"], tracked);
    }

    [Theory]
    [InlineData("first")]
    [InlineData("last")]
    public async Task A_generic_host_with_a_startup_class_records_routes_mapped_in_UseEndpoints(string call)
    {
        // UsePiwikTracking() called in the UseEndpoints callback before its Map* calls, or after them.
        var source = call == "first"
            ? LibraryLayouts.Startup
            : LibraryLayouts.Startup
                .Replace("endpoints.UsePiwikTracking(); // first, before the Map* calls (the test also runs it last)\n", "", StringComparison.Ordinal)
                .Replace("TypedResults.NoContent());\n", "TypedResults.NoContent());\n                    endpoints.UsePiwikTracking();\n", StringComparison.Ordinal);
        Assert.NotEqual(call == "first", source.IndexOf("UsePiwikTracking", StringComparison.Ordinal) > source.IndexOf("MapGet", StringComparison.Ordinal));
        var (assembly, diagnostics) = Build("Startup.Api." + call, source);
        Assert.Empty(diagnostics);

        // The callback's builder is the pipeline's own, with no prefix: a typo is an error naming the whole route.
        var typo = await GeneratorHarness.AnalyzeAsync(GeneratorHarness.Generate(
            GeneratorHarness.CreateCompilation("Startup.Typo." + call, source.Replace("Name = \"{id}\", Value", "Name = \"{idd}\", Value", StringComparison.Ordinal)),
            withRequestDelegateGenerator: true).Output);
        Assert.Equal(
            ["PIWIK002: Placeholder '{idd}' in the Name template is neither a route parameter of '/books/{id:int}/ratings' nor a parameter of the handler"],
            typo.Select(d => d.Id + ": " + d.GetMessage(System.Globalization.CultureInfo.InvariantCulture)));

        await using var matomo = await StandInMatomo.StartAsync();
        var logs = new LogCapture();
        using (var host = (IHost)assembly.GetType("Startup.Api.Program")!.GetMethod("Build")!.Invoke(null, [matomo.BaseUrl, logs])!)
        {
            await host.StartAsync();
            var address = host.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/books/3", null, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/books/3/ratings", """{"stars":5}""", HttpStatusCode.NoContent);
            await host.StopAsync();
        }

        Assert.Equal(["books/book-view/3/", "books/book-rate/3/5"], matomo.Tracked.Select(CompileAndRunTests.Describe));
        Assert.Empty(matomo.Invalid);

        // The start-up check reads the app-wide endpoints: wrapped there too, so none is named as missed (1302).
        Assert.DoesNotContain(logs.Entries, e => e.Id.Id is 1300 or 1301 or 1302);
    }

    [Fact]
    public async Task A_body_that_fails_validation_records_nothing_and_an_app_filter_s_refusal_records_the_failure_action()
    {
        var (output, run) = GeneratorHarness.Generate(
            GeneratorHarness.CreateCompilation("Validated.Api", LibraryLayouts.Validated), withRequestDelegateGenerator: true, rootNamespace: "Validated.Api", withValidationsGenerator: true);
        Assert.True(GeneratorHarness.Intercepted(run), "the Request Delegate Generator did not run");
        Assert.Empty(await GeneratorHarness.AnalyzeAsync(output));

        var tracked = await ServeAsync(GeneratorHarness.EmitAndLoad(output), "Validated.Api.Program", async client =>
        {
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/signup", """{"email":"a@example.com","plan":"pro"}""", HttpStatusCode.Created);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/signup", """{"email":"not-an-email","plan":"pro"}""", HttpStatusCode.BadRequest);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/signup", """{"email":"b@example.com","plan":"sold-out"}""", HttpStatusCode.Conflict);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/invite", """{"email":"c-at-example.com","plan":"team"}""", HttpStatusCode.BadRequest);
        });

        // The handler's own 409 is its failure; the validation's 400 came before the handler, like a failed binding. The
        // app's own endpoint filter runs inside Piwik's, so its 400 counts as the endpoint's failure.
        Assert.Equal(["account/signup/pro/", "account/signup-failed/sold-out/", "account/invite-failed/team/"], tracked);
    }

    [Fact]
    public async Task A_form_post_records_its_field_and_one_refused_by_antiforgery_records_nothing()
    {
        // Without the Request Delegate Generator: it cannot bind a [FromForm] complex type (RDG003) and leaves the endpoint to run-time generation.
        var (output, _) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("Form.Api", LibraryLayouts.Form), rootNamespace: "Form.Api");
        Assert.Empty(await GeneratorHarness.AnalyzeAsync(output));
        var assembly = GeneratorHarness.EmitAndLoad(output);

        var tracked = await ServeAsync(assembly, "Form.Api.Program", async client =>
        {
            // A form without the antiforgery token is refused (400) before the handler.
            using (var refused = await client.PostAsync("/contact", new FormUrlEncodedContent([new("Topic", "billing"), new("Message", "hi")])))
            {
                Assert.Equal(HttpStatusCode.BadRequest, refused.StatusCode);
            }

            // With the token (its cookie kept by the client's handler): accepted.
            var token = System.Text.Json.JsonSerializer.Deserialize<string[]>(await client.GetStringAsync("/token"))!;
            using var accepted = await client.PostAsync("/contact", new FormUrlEncodedContent([new(token[0], token[1]), new("Topic", "billing"), new("Message", "hi")]));
            Assert.Equal(HttpStatusCode.NoContent, accepted.StatusCode);
        });

        Assert.Equal(["support/contact/billing/"], tracked);
    }

    [Fact]
    public async Task A_project_below_CSharp_11_gets_PIWIK022_and_no_generated_code()
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("Old.Lang.CSharp10", LanguageVersion.CSharp10, OldLanguageApp), rootNamespace: "Old.Lang");
        Assert.Empty(run.Results.SelectMany(r => r.GeneratedSources));
        var error = Assert.Single(await GeneratorHarness.AnalyzeAsync(output));
        Assert.Equal("PIWIK022", error.Id);
        Assert.Equal(DiagnosticSeverity.Error, error.Severity);
        Assert.StartsWith("This project compiles with C# 10.0,", error.GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(LanguageVersion.CSharp11)]
    [InlineData(LanguageVersion.CSharp12)]
    public async Task A_project_on_an_older_CSharp_version_builds_and_records(LanguageVersion version)
    {
        // A repository that pins <LangVersion> (without RDG, which needs C# 12): no diagnostic, every event.
        var (output, _) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("Old.Lang." + version, version, OldLanguageApp), rootNamespace: "Old.Lang");
        Assert.Empty(await GeneratorHarness.AnalyzeAsync(output));

        var tracked = await ServeAsync(GeneratorHarness.EmitAndLoad(output), "Old.Lang.Program", async client =>
        {
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/ratings/fiction", """{"stars":4,"book":"Dune"}""", HttpStatusCode.NoContent);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/search?q=dune", null, HttpStatusCode.OK);
        });

        Assert.Equal("books/rate/Dune/4", tracked[0]);
        Assert.Equal(2, tracked.Length);
    }

    /// <summary>An app written in C# 10 (no newer syntax of its own): a body template and a site search.</summary>
    private const string OldLanguageApp = """
            using Microsoft.AspNetCore.Hosting;

            namespace Old.Lang;

            public sealed record Rating(int Stars, string Book);

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
                    app.MapPost("/ratings/{shelf}", [TrackAs("rate", Category = "books", Name = "{rating.Book}", Value = "{rating.Stars}")] (string shelf, Rating rating) => Results.NoContent());
                    app.MapGet("/search", [TrackSearch(Keyword = "{q}", Category = "books")] (string q) => Results.Ok());
                    app.UsePiwikTracking();
                    return app;
                }
            }
            """;

    [Fact]
    public async Task A_controller_action_with_TrackAs_is_named_at_start_up_as_not_tracked()
    {
        var (output, _) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("Mvc.Api", """
            using Microsoft.AspNetCore.Hosting;
            using Microsoft.AspNetCore.Mvc;
            using Microsoft.Extensions.Logging;

            namespace Mvc.Api;

            [ApiController]
            [Route("todos")]
            public sealed class TodosController : ControllerBase
            {
                [HttpGet]
                [TrackAs("todos-list")]
                public IActionResult List() => Ok();
            }

            public static class Program
            {
                public static WebApplication Build(string matomoUrl, ILoggerProvider logs)
                {
                    var builder = WebApplication.CreateBuilder();
                    builder.WebHost.UseUrls("http://127.0.0.1:0");
                    builder.Logging.AddProvider(logs);
                    builder.Services.AddControllers().AddApplicationPart(typeof(TodosController).Assembly);
                    builder.Services.AddPiwikTracking(o => { o.Url = matomoUrl; o.AllowInsecureHttp = true; });
                    var app = builder.Build();
                    app.MapControllers();
                    app.UsePiwikTracking();
                    return app;
                }
            }
            """), rootNamespace: "Mvc.Api");
        var diagnostics = await GeneratorHarness.AnalyzeAsync(output);
        Assert.Equal(["PIWIK007"], diagnostics.Select(d => d.Id));
        Assert.Contains("controller actions are not tracked", diagnostics[0].GetMessage(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal);

        var logs = new LogCapture();
        var tracked = await ServeAsync(GeneratorHarness.EmitAndLoad(output), "Mvc.Api.Program", client =>
            CompileAndRunTests.Expect(client, HttpMethod.Get, "/todos", null, HttpStatusCode.OK), logs);

        var warning = Assert.Single(logs.Entries, e => e.Id.Id is 1302 or 1305);
        Assert.Equal(1305, warning.Id.Id);
        Assert.Contains("controller actions are not tracked", warning.Message, StringComparison.Ordinal);
        Assert.Contains("IPiwikTracker", warning.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("UsePiwikTracking", warning.Message, StringComparison.Ordinal);
        Assert.Empty(tracked);
    }

    [Theory]
    [InlineData("model in the global namespace")]
    [InlineData("model imported with using")]
    public async Task A_project_named_like_its_model_builds_and_records(string layout)
    {
        var source = layout == "model in the global namespace" ? CollidingNamesLayout.GlobalModel : CollidingNamesLayout.ImportedModel;
        var (output, run) = GeneratorHarness.Generate(
            GeneratorHarness.CreateCompilation("Todo.Api." + layout.Split(' ')[2], source), withRequestDelegateGenerator: true, rootNamespace: "Todo.Api");

        // Nothing generated declares a namespace named like a user type; every reference is global::-qualified.
        foreach (var generated in run.Results.SelectMany(r => r.GeneratedSources).Where(s => s.HintName.StartsWith("Piwik", StringComparison.Ordinal)))
        {
            Assert.DoesNotContain("namespace Todo", generated.SourceText.ToString(), StringComparison.Ordinal);
        }

        var assembly = GeneratorHarness.EmitAndLoad(output);
        Assert.NotNull(assembly.GetType("Piwik.Generated.PiwikTrackingPlan"));
        var tracked = await ServeAsync(assembly, "Program", client =>
            CompileAndRunTests.Expect(client, HttpMethod.Post, "/todos", """{"id":1,"title":"milk","isComplete":false}""", HttpStatusCode.Created));

        Assert.Equal(["todos/todo-create/milk/"], tracked);
    }
}
