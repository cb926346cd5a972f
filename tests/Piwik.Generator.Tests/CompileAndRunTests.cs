using System.Net;
using System.Reflection;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Piwik.Testing;

namespace Piwik.Generator.Tests;

/// <summary>
/// Generates and compiles a real app (with and without ASP.NET Core's Request Delegate Generator), serves real requests
/// over Kestrel, and checks the exact events that reach the stand-in Matomo.
/// </summary>
public sealed class CompileAndRunTests
{
    private static readonly Lazy<Assembly> RdgOff = new(() => Build("TestAppRdgOff", withRdg: false));
    private static readonly Lazy<Assembly> RdgOn = new(() => Build("TestAppRdgOn", withRdg: true));

    private static Assembly Build(string name, bool withRdg) => GeneratorHarness.BuildApp(name, TestSources.App, withRdg);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task Every_handler_shape_records_exactly_the_expected_events(bool withRdg)
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var app = Start(withRdg ? RdgOn.Value : RdgOff.Value, matomo.BaseUrl, pageViews: false);
        await using (app)
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };

            await Expect(client, HttpMethod.Post, "/signup", """{"email":"a@b.c","plan":"family"}""", HttpStatusCode.Created);
            await Expect(client, HttpMethod.Post, "/move", """{"email":"a@b.c","plan":"p","address":{"city":"Oslo","floor":3}}""", HttpStatusCode.OK);
            await Expect(client, HttpMethod.Get, "/login/good", null, HttpStatusCode.OK);
            await Expect(client, HttpMethod.Get, "/login/bad", null, HttpStatusCode.Unauthorized);
            await Expect(client, HttpMethod.Post, "/orders", """{"total":12.5,"items":3}""", HttpStatusCode.OK);
            await Expect(client, HttpMethod.Get, "/plain/7", null, HttpStatusCode.OK);
            await Expect(client, HttpMethod.Get, "/void", null, HttpStatusCode.NotFound);
            await Expect(client, HttpMethod.Get, "/boom", null, HttpStatusCode.InternalServerError);
            await Expect(client, HttpMethod.Post, "/groups/g1/members", """{"email":"m@x","plan":"x"}""", HttpStatusCode.NoContent);
            await Expect(client, HttpMethod.Post, "/groups/g1/members", """{"email":"","plan":"x"}""", HttpStatusCode.Conflict);
            await Expect(client, HttpMethod.Get, "/groups/g2", null, HttpStatusCode.OK);
            await Expect(client, HttpMethod.Get, "/groups/missing", null, HttpStatusCode.NotFound);
            await Expect(client, HttpMethod.Get, "/health", null, HttpStatusCode.OK);
            await Expect(client, HttpMethod.Get, "/untracked/abc", null, HttpStatusCode.OK);
            await Expect(client, HttpMethod.Get, "/late", null, HttpStatusCode.OK);

            // Stopping flushes the queue: everything recorded has reached the stand-in once StopAsync returns.
            await app.StopAsync();
        }

        string[] expected =
        [
            "account/signup/family/",
            "app/move/Oslo-3/",
            "account/login//",
            "account/login-failed//",
            "shop/order/3/12.5",
            "app/plain//7",
            "groups/join/g1/",
            "groups/join-failed/g1/",
            "groups/view/group g2/",
            "app/late//",
        ];
        Assert.Equal(expected, matomo.Tracked.Select(Describe));
        Assert.Empty(matomo.Invalid);
    }

    [Fact]
    public async Task Page_view_option_names_untracked_endpoints_by_route_pattern_under_the_request_delegate_generator()
    {
        await using var matomo = await StandInMatomo.StartAsync();
        var app = Start(RdgOn.Value, matomo.BaseUrl, pageViews: true);
        await using (app)
        {
            await app.StartAsync();
            using var client = new HttpClient { BaseAddress = new Uri(app.Urls.First()) };
            await Expect(client, HttpMethod.Get, "/untracked/secret-id-123", null, HttpStatusCode.OK);
            await Expect(client, HttpMethod.Get, "/health", null, HttpStatusCode.OK);
            await Expect(client, HttpMethod.Get, "/login/good", null, HttpStatusCode.OK);
            await app.StopAsync();
        }

        Assert.Collection(
            matomo.Tracked,
            pageView =>
            {
                Assert.Equal("GET /untracked/{x}", pageView["action_name"]);
                Assert.False(pageView.Has("e_c"));
            },
            loginEvent => Assert.Equal("account/login//", Describe(loginEvent)));
    }

    private static WebApplication Start(Assembly assembly, string matomoUrl, bool pageViews)
    {
        var build = assembly.GetType("TestApp.Program")!.GetMethod("Build")!;
        return (WebApplication)build.Invoke(null, [matomoUrl, pageViews])!;
    }

    internal static async Task Expect(HttpClient client, HttpMethod method, string path, string? json, HttpStatusCode status)
    {
        using var request = new HttpRequestMessage(method, path);
        if (json is not null)
        {
            request.Content = new StringContent(json, System.Text.Encoding.UTF8, "application/json");
        }

        using var response = await client.SendAsync(request);
        Assert.True(status == response.StatusCode, $"{method} {path}: expected {status}, got {response.StatusCode}: {await response.Content.ReadAsStringAsync()}");
    }

    internal static string Describe(TrackedEntry entry) =>
        $"{entry.Get("e_c")}/{entry.Get("e_a")}/{entry.Get("e_n")}/{entry.Get("e_v")}";
}
