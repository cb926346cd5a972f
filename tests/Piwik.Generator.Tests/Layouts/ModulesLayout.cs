namespace Piwik.Generator.Tests.Layouts;

/// <summary>
/// Routes mapped in instance methods of module classes found by reflection at start-up, as Carter's <c>ICarterModule</c>
/// and many hand-rolled <c>IEndpointModule</c> layouts do: a lambda that captures the module (<c>this</c>), a private
/// instance method group, a static local function, a group made in the module, and an untracked route there.
/// </summary>
internal static class ModulesLayout
{
    public const string Source = """
        using System.Reflection;
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Http.HttpResults;
        using Microsoft.AspNetCore.Routing;
        using Microsoft.Extensions.Logging;

        namespace Modules.Api;

        public sealed record SignupRequest(string Email, string Plan);

        public interface IEndpointModule
        {
            void AddRoutes(IEndpointRouteBuilder app);
        }

        public sealed class AccountModule : IEndpointModule
        {
            private readonly string _label = "account ";

            public void AddRoutes(IEndpointRouteBuilder app)
            {
                var accounts = app.MapGroup("/accounts");
                accounts.MapPost("/", [TrackAs("signup", Category = "account", Name = "{request.Plan}")] (SignupRequest request) => TypedResults.Created("/accounts/1"));
                accounts.MapGet("/{id:int}", [TrackAs("account-view", Category = "account", Name = "{id}")] (int id) => TypedResults.Ok(_label + id));
                accounts.MapPost("/{id:int}/login", Login);
                accounts.MapDelete("/{id:int}", (int id) => TypedResults.NoContent());
            }

            [TrackAs("login", Category = "account", Name = "{id}")]
            private Ok<string> Login(int id) => TypedResults.Ok(_label + id);
        }

        public sealed class GroupsModule : IEndpointModule
        {
            public void AddRoutes(IEndpointRouteBuilder app)
            {
                app.MapGet("/groups/{groupId}/members", Members);

                [TrackAs("group-members", Category = "groups", Name = "{groupId}")]
                static Ok<int> Members(string groupId) => TypedResults.Ok(groupId.Length);
            }
        }

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
                });
                var app = builder.Build();
                foreach (var type in typeof(Program).Assembly.GetTypes().Where(t => t.IsClass && !t.IsAbstract && typeof(IEndpointModule).IsAssignableFrom(t)).OrderBy(t => t.Name))
                {
                    ((IEndpointModule)Activator.CreateInstance(type)!).AddRoutes(app);
                }

                app.UsePiwikTracking();
                return app;
            }
        }
        """;
}
