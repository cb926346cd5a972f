// A small password-manager-like API, tracked with Piwik. With no Piwik:Url the events are written to the log;
// set Piwik__Url, Piwik__SiteId and Piwik__TokenAuth to send them to a Matomo.
using System.Collections.Concurrent;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using MinimalApi;
using Piwik;

[assembly: DoNotTrackRoutes("/health")]

var builder = WebApplication.CreateSlimBuilder(args);
builder.Services.ConfigureHttpJsonOptions(options => options.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJsonContext.Default));
builder.Services.AddPiwikTracking(builder.Configuration.GetSection("Piwik"));
builder.Services.AddSingleton<Store>();

var app = builder.Build();

app.MapPost("/signup", [TrackAs("signup", Category = "account", Name = "{request.Plan}", Goal = "Sign-ups")]
    (SignupRequest request, Store store) =>
    {
        store.Accounts[request.Email] = request.Password;
        return TypedResults.Created($"/accounts/{Uri.EscapeDataString(request.Email)}");
    });

app.MapPost("/login", Handlers.Login);

var groups = app.MapGroup("/groups");
groups.MapPost("/", [TrackAs("create", Category = "groups")] (CreateGroupRequest request, Store store) =>
{
    var id = Guid.NewGuid().ToString("N")[..8];
    store.Groups[id] = new ConcurrentDictionary<string, byte>();
    return TypedResults.Created($"/groups/{id}", new GroupCreated(id));
});
groups.MapPost("/{groupId}/members", JoinGroup);
groups.MapGet("/", [TrackAs("list", Category = "groups")] (Store store) => TypedResults.Ok(store.Groups.Keys.Order().ToArray()));

app.MapGet("/health", () => "ok"); // Not tracked: listed in [assembly: DoNotTrackRoutes] at the top.

// The tracking plan (every [TrackAs] endpoint, generated at compile time) as JSON, for developers only.
if (app.Environment.IsDevelopment())
{
    app.MapPiwikTrackingPlan("/_piwik/plan", PiwikTrackingPlan.Endpoints);
}

// After the Map* calls: attaches the generated tracking to every [TrackAs] endpoint above.
app.UsePiwikTracking();
app.Run();

[TrackAs("join", Category = "groups", Name = "{groupId}")]
static Results<NoContent, NotFound> JoinGroup(string groupId, JoinGroupRequest request, Store store) =>
    store.Groups.TryGetValue(groupId, out var members) && members.TryAdd(request.Email, 0) | true
        ? TypedResults.NoContent()
        : TypedResults.NotFound();

namespace MinimalApi
{
    internal static class Handlers
    {
        [TrackAs("login", Category = "account", FailureAction = "login-failed")]
        public static Results<Ok<LoginResult>, UnauthorizedHttpResult> Login(LoginRequest request, Store store) =>
            store.Accounts.TryGetValue(request.Email, out var password) && password == request.Password
                ? TypedResults.Ok(new LoginResult("signed-in"))
                : TypedResults.Unauthorized();
    }

    /// <summary>The in-memory data: accounts (email to password, it is a sample) and groups (id to member emails).</summary>
    internal sealed class Store
    {
        public ConcurrentDictionary<string, string> Accounts { get; } = new(StringComparer.OrdinalIgnoreCase);

        public ConcurrentDictionary<string, ConcurrentDictionary<string, byte>> Groups { get; } = new();
    }

    internal sealed record SignupRequest(string Email, string Password, string Plan);

    internal sealed record LoginRequest(string Email, string Password);

    internal sealed record LoginResult(string Status);

    internal sealed record CreateGroupRequest(string Name);

    internal sealed record GroupCreated(string Id);

    internal sealed record JoinGroupRequest(string Email);

    [JsonSerializable(typeof(SignupRequest))]
    [JsonSerializable(typeof(LoginRequest))]
    [JsonSerializable(typeof(LoginResult))]
    [JsonSerializable(typeof(CreateGroupRequest))]
    [JsonSerializable(typeof(GroupCreated))]
    [JsonSerializable(typeof(JoinGroupRequest))]
    [JsonSerializable(typeof(string[]))]
    internal sealed partial class AppJsonContext : JsonSerializerContext;
}
