namespace Piwik.Generator.Tests.Layouts;

/// <summary>
/// A project named <c>Todo.Api</c> whose model is <c>Todo</c> (modelled on the open-source todo APIs): declaring the
/// tracking plan in <c>namespace Todo.Api</c> made the namespace <c>Todo</c> hide the type in the user's own code.
/// </summary>
internal static class CollidingNamesLayout
{
    private const string Program = """
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
                    o.DefaultCategory = "todos";
                });
                var app = builder.Build();
                app.MapTodos();
                app.UsePiwikTracking();
                return app;
            }
        }

        public static class TodoEndpoints
        {
            public static IEndpointRouteBuilder MapTodos(this IEndpointRouteBuilder app)
            {
                var todos = app.MapGroup("/todos");
                todos.MapPost("/", [TrackAs("todo-create", Name = "{todo.Title}")] (Todo todo) => TypedResults.Created("/todos/" + todo.Id, todo));
                return app;
            }
        }
        """;

    /// <summary>The model in the global namespace, as small samples write it: CS0101 before the fix.</summary>
    public const string GlobalModel = """
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Routing;

        public sealed record Todo(int Id, string Title, bool IsComplete);

        """ + Program;

    /// <summary>The model in <c>Models</c>, imported with <c>using</c> into code in the global namespace: CS0118 before the fix.</summary>
    public const string ImportedModel = """
        using Microsoft.AspNetCore.Hosting;
        using Microsoft.AspNetCore.Routing;
        using Models;

        namespace Models
        {
            public sealed record Todo(int Id, string Title, bool IsComplete);
        }

        """ + Program;
}
