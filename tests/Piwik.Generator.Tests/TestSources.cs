namespace Piwik.Generator.Tests;

/// <summary>User code for the generator tests: every handler shape the issue lists.</summary>
internal static class TestSources
{
    /// <summary>
    /// An app with lambdas, a static method group, a local function, async handlers, a group, typed results and member
    /// paths; a <c>DoNotTrackRoutes</c> pattern and the tracking-plan endpoint.
    /// </summary>
    public const string App = """
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Routing;

        [assembly: DoNotTrackRoutes("/metrics/*")]

        namespace TestApp;

        public sealed record Signup(string Email, string Plan, Address? Address);
        public sealed record Address(string City, int Floor);
        public sealed record Order(decimal Total, int? Items);

        public static class Handlers
        {
            [TrackAs("login", Category = "account", FailureAction = "login-failed")]
            public static Results<Ok<string>, UnauthorizedHttpResult> Login(string user) =>
                user == "good" ? TypedResults.Ok("hi") : TypedResults.Unauthorized();
        }

        public static class Program
        {
            public static WebApplication Build(string matomoUrl, bool pageViews)
            {
                var builder = WebApplication.CreateSlimBuilder();
                builder.WebHost.UseUrls("http://127.0.0.1:0");
                builder.Services.AddPiwikTracking(o =>
                {
                    o.Url = matomoUrl;
                    o.AllowInsecureHttp = true;
                    o.FlushInterval = TimeSpan.FromMilliseconds(50);
                    o.DefaultCategory = "app";
                    o.TrackUntrackedEndpointsAsPageViews = pageViews;
                });
                var app = builder.Build();

                app.MapPost("/signup", [TrackAs("signup", Category = "account", Name = "{signup.Plan}")] (Signup signup) => TypedResults.Created("/x"));
                app.MapPost("/move", [TrackAs("move", Name = "{signup.Address.City}-{signup.Address.Floor}")] (Signup signup) => Results.Ok());
                app.MapGet("/login/{user}", Handlers.Login);
                app.MapPost("/orders", [TrackAs("order", Category = "shop", Name = "{order.Items}", Value = "{order.Total}")] async (Order order) =>
                {
                    await Task.Yield();
                    return TypedResults.Ok(order.Total);
                });
                app.MapGet("/plain/{id:int}", [TrackAs("plain", Value = "{id}")] (int id) => id < 0 ? "neg" : $"plain {id}");
                app.MapGet("/void", [TrackAs("void")] (HttpContext context) => { context.Response.StatusCode = 404; });
                app.MapGet("/boom", [TrackAs("boom")] string () => throw new InvalidOperationException("user code failed"));

                var groups = app.MapGroup("/groups/{groupId}");
                groups.MapPost("/members", Join);
                groups.MapGet("/", [TrackAs("view", Category = "groups", Name = "group {groupId}")] async Task<IResult> (string groupId) =>
                {
                    await Task.Delay(1);
                    return groupId == "missing" ? TypedResults.NotFound() : TypedResults.Ok();
                });

                app.MapGet("/health", [DoNotTrack] () => "ok");
                app.MapGet("/untracked/{x}", (string x) => x);

                // Below [assembly: DoNotTrackRoutes("/metrics/*")]: no page view, and the route is only known with the group prefix.
                var metrics = app.MapGroup("/metrics");
                metrics.MapGet("/{name}", (string name) => name);

                // The tracking plan as JSON: its own endpoint is neither tracked nor a page view.
                app.MapPiwikTrackingPlan("/_piwik/plan", Piwik.Generated.PiwikTrackingPlan.Endpoints);

                app.UsePiwikTracking();

                // Mapped after UsePiwikTracking(): attached by the second pass when the app starts.
                app.MapGet("/late", [TrackAs("late")] () => TypedResults.Ok());
                return app;

                [TrackAs("join", Category = "groups", Name = "{groupId}", FailureAction = "join-failed")]
                static Results<NoContent, Conflict> Join(string groupId, Signup member) =>
                    member.Email.Length > 0 ? TypedResults.NoContent() : TypedResults.Conflict();
            }
        }
        """;
}
