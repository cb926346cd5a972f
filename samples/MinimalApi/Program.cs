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
// Name from the handler's result: the new group's id, read from Created<GroupCreated> (checked at compile time).
groups.MapPost("/", [TrackAs("create", Category = "groups", Name = "{result.Id}")] (CreateGroupRequest request, Store store) =>
{
    var id = Guid.NewGuid().ToString("N")[..8];
    store.Groups[id] = new ConcurrentDictionary<string, byte>();
    store.GroupNames[id] = request.Name;
    return TypedResults.Created($"/groups/{id}", new GroupCreated(id));
});

// A site search over group names: Matomo's site-search reports show what people look for, and how many results
// they got (the count from the handler's result; 0 shows in "searches without results").
groups.MapGet("/search", [TrackSearch(Keyword = "{q}", Category = "groups", Count = "{result.Count}")] (string q, Store store) =>
{
    var ids = store.GroupNames.Where(g => g.Value.Contains(q, StringComparison.OrdinalIgnoreCase)).Select(g => g.Key).Order().ToArray();
    return TypedResults.Ok(new GroupSearchResult(ids, ids.Length));
});
groups.MapPost("/{groupId}/members", JoinGroup);
groups.MapGet("/", [TrackAs("list", Category = "groups")] (Store store) => TypedResults.Ok(store.Groups.Keys.Order().ToArray()));

// A paid plan upgrade: the event says what happened, the ecommerce order carries the revenue and the lines (Matomo's
// ecommerce reports: revenue per plan), both read from the handler's result. A BadRequest carries no order: nothing
// but the event's failure is possible there, and a 4xx records no order.
app.MapPost("/billing/upgrade",
    [TrackAs("upgrade", Category = "billing", Name = "{request.Plan}")]
    [TrackOrder(Id = "{result.OrderId}", Revenue = "{result.Total}", Items = "{result.Lines}")]
    Results<Ok<UpgradeResult>, BadRequest> (UpgradeRequest request) =>
    {
        if (Prices.Monthly(request.Plan) is not { } price || request.Months is < 1 or > 36)
        {
            return TypedResults.BadRequest();
        }

        var line = new PlanLine("plan-" + request.Plan, request.Plan + " plan", "plans", price, request.Months);
        return TypedResults.Ok(new UpgradeResult(Guid.NewGuid().ToString("N")[..12], price * request.Months, [line]));
    });

app.MapGet("/health", () => "ok"); // Not tracked: listed in [assembly: DoNotTrackRoutes] at the top.

// The tracking plan (every tracked endpoint: events, orders, searches, dimensions; generated at compile time) as JSON,
// for developers only.
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

        public ConcurrentDictionary<string, string> GroupNames { get; } = new();
    }

    /// <summary>Monthly plan prices.</summary>
    internal static class Prices
    {
        public static decimal? Monthly(string plan) => plan switch
        {
            "pro" => 3.99m,
            "family" => 5.99m,
            _ => null,
        };
    }

    internal sealed record SignupRequest(string Email, string Password, string Plan);

    internal sealed record LoginRequest(string Email, string Password);

    internal sealed record LoginResult(string Status);

    internal sealed record CreateGroupRequest(string Name);

    internal sealed record GroupCreated(string Id);

    internal sealed record JoinGroupRequest(string Email);

    internal sealed record UpgradeRequest(string Plan, int Months);

    internal sealed record UpgradeResult(string OrderId, decimal Total, PlanLine[] Lines);

    /// <summary>One line of an upgrade: Sku, Name, Category, Price and Quantity are what an order line is read from.</summary>
    internal sealed record PlanLine(string Sku, string Name, string Category, decimal Price, int Quantity);

    internal sealed record GroupSearchResult(string[] Ids, int Count);

    [JsonSerializable(typeof(SignupRequest))]
    [JsonSerializable(typeof(LoginRequest))]
    [JsonSerializable(typeof(LoginResult))]
    [JsonSerializable(typeof(CreateGroupRequest))]
    [JsonSerializable(typeof(GroupCreated))]
    [JsonSerializable(typeof(JoinGroupRequest))]
    [JsonSerializable(typeof(UpgradeRequest))]
    [JsonSerializable(typeof(UpgradeResult))]
    [JsonSerializable(typeof(GroupSearchResult))]
    [JsonSerializable(typeof(string[]))]
    internal sealed partial class AppJsonContext : JsonSerializerContext;
}
