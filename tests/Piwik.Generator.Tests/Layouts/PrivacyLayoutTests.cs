extern alias generator;

using System.Net;
using System.Reflection;
using Microsoft.AspNetCore.Builder;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Piwik.Testing;

namespace Piwik.Generator.Tests.Layouts;

/// <summary>
/// A placeholder can only name a scalar: an object or a collection is never rendered (before, <c>{request}</c> sent the
/// record's <c>ToString()</c>, password included, and <c>{ids}</c> sent <c>System.Int32[]</c>). The analyzer makes it an
/// error (PIWIK012); here the generator alone, as a build that ignores the error would run it, must still send nothing.
/// Also: a generated table of another format version does not break the app (version skew between packages).
/// </summary>
public sealed class PrivacyLayoutTests
{
    private const string App = """
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.Extensions.Logging;

        namespace Signup.Api;

        public sealed record SignupRequest(string Email, string Password, string Plan);
        public enum Plan { Free, Pro }

        public static class Program
        {
            public static WebApplication Build(string matomoUrl, ILoggerProvider logs)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Logging.AddProvider(logs);
                builder.Services.AddPiwikTracking(o =>
                {
                    o.Url = matomoUrl;
                    o.AllowInsecureHttp = true;
                    o.FlushInterval = TimeSpan.FromMilliseconds(50);
                    o.DefaultCategory = "account";
                });
                var app = builder.Build();
                app.MapPost("/signup", [TrackAs("signup", Name = "{request}")] (SignupRequest request) => TypedResults.Ok());
                app.MapPost("/bulk", [TrackAs("bulk", Name = "ids {ids}")] (int[] ids) => TypedResults.Ok());
                app.MapPost("/plan/{id:guid}/{plan}", [TrackAs("plan", Name = "{request.Plan} {plan} {id} {when} {active}")]
                    (SignupRequest request, Plan plan, Guid id, DateOnly when, bool active) => TypedResults.Ok());
                app.MapGet("/route/{code}", [TrackAs("route", Name = "{code}")] (string code) => TypedResults.Ok());
                app.UsePiwikTracking();
                return app;
            }
        }
        """;

    private static Assembly Build(string name, Func<string, string>? editGenerated = null)
    {
        var (output, run) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation(name, App), withRequestDelegateGenerator: true);
        if (editGenerated is not null)
        {
            // The table as a generator of another release would have written it.
            var tree = output.SyntaxTrees.Single(t => t.FilePath.EndsWith(generator::Piwik.Generator.PiwikGenerator.Emitter.HintName, StringComparison.Ordinal));
            output = output.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(editGenerated(tree.ToString()), (CSharpParseOptions)tree.Options, tree.FilePath));
        }

        return GeneratorHarness.EmitAndLoad(output);
    }

    private static async Task<(List<string> Events, LogCapture Logs)> RunAsync(Assembly assembly)
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var logs = new LogCapture();
        var app = (WebApplication)assembly.GetType("Signup.Api.Program")!.GetMethod("Build")!.Invoke(null, [matomo.BaseUrl, logs])!;
        await using (app)
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            var body = """{"email":"alice@example.com","password":"hunter2","plan":"pro"}""";
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/signup", body, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/bulk", "[1,2,3]", HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Post, "/plan/0f8fad5b-d9cb-469f-a165-70867728950e/Pro?when=2026-12-06&active=true", body, HttpStatusCode.OK);
            await CompileAndRunTests.Expect(client, HttpMethod.Get, "/route/abc", null, HttpStatusCode.OK);
            await app.StopAsync();
        }

        Assert.DoesNotContain(matomo.Tracked, e => e.Get("e_n")?.Contains("hunter2", StringComparison.Ordinal) == true);
        return ([.. matomo.Tracked.Select(CompileAndRunTests.Describe)], logs);
    }

    [Fact]
    public async Task An_object_or_a_collection_placeholder_sends_nothing_and_scalars_use_their_documented_formats()
    {
        var (events, _) = await RunAsync(Build("SignupPrivacy"));
        Assert.Equal(
            [
                "account/signup//",
                "account/bulk//",
                "account/plan/pro Pro 0f8fad5b-d9cb-469f-a165-70867728950e 2026-12-06 true/",
                "account/route/abc/",
            ],
            events);
    }

    [Fact]
    public async Task A_table_of_another_format_version_is_left_out_with_one_warning_and_the_app_still_tracks()
    {
        var assembly = Build("SignupSkew", source => source.Replace(Piwik.Shared.TableFormat.Header, "#piwik-table 1", StringComparison.Ordinal));
        var (events, logs) = await RunAsync(assembly);

        // From the attributes alone: route values only, so the route-only template still records; no object rendered.
        Assert.Equal(["account/signup//", "account/bulk//", "account/plan//", "account/route/abc/"], events);
        var skew = Assert.Single(logs.Entries, e => e.Id.Id == 1303);
        Assert.Contains("format 1", skew.Message, StringComparison.Ordinal);
        Assert.Contains("reads format " + Piwik.Shared.TableFormat.Version, skew.Message, StringComparison.Ordinal);
    }
}
