using System.Text;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Piwik.Benchmarks;

/// <summary>
/// One small API in three variants, for the side-by-side load test (bench/side-by-side.sh), all with the same endpoint
/// <c>GET /items/{id}</c>:
/// <list type="bullet">
/// <item><c>none</c>: no tracking.</item>
/// <item><c>piwik</c>: the endpoint carries <see cref="TrackAsAttribute"/>; Piwik batches events to <c>--matomo</c>.</item>
/// <item><c>django</c>: the original Django design (DESIGN.md) ported plainly: a middleware copies the request's headers
/// and server variables into a dictionary and hands them to a background task (Celery there, the thread pool here),
/// which sends one page view per request to <c>--matomo</c> with one HTTP request.</item>
/// </list>
/// </summary>
internal static class SideBySideApp
{
    public static async Task<int> RunAsync(Arguments args)
    {
        var variant = args.Get("variant", "piwik");
        var port = args.Get("port", "5080");
        var matomo = args.Get("matomo");
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls($"http://127.0.0.1:{port}");
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, SideBySideJson.Default));
        if (variant == "piwik")
        {
            builder.Services.AddPiwikTracking(options =>
            {
                options.Url = matomo;
                options.VisitorIdSecret = "benchmark-secret-0123456789";
                options.SpoolDirectory = args.Get("spool"); // the durable spool, as the sample ships it, when given
            });
        }

        var app = builder.Build();

        // Process counters, read by the load scripts before and after the measured window (not a tracked route in any
        // variant): splits the CPU per request into allocation, GC, JIT and thread-pool work.
        app.MapGet("/_stats", () => string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"allocated={GC.GetTotalAllocatedBytes()} gen0={GC.CollectionCount(0)} gen1={GC.CollectionCount(1)} gen2={GC.CollectionCount(2)} gcpause_ms={GC.GetTotalPauseDuration().TotalMilliseconds:F0} jitted={System.Runtime.JitInfo.GetCompiledMethodCount()} jit_ms={System.Runtime.JitInfo.GetCompilationTime().TotalMilliseconds:F0} workitems={ThreadPool.CompletedWorkItemCount} threads={ThreadPool.ThreadCount} locks={Monitor.LockContentionCount}"));
        switch (variant)
        {
            case "none":
                app.MapGet("/items/{id}", (int id) => TypedResults.Ok(new Item(id, "item")));
                break;
            case "piwik":
                app.MapGet("/items/{id}", [TrackAs("view", Category = "items", Name = "{id}")] (int id) => TypedResults.Ok(new Item(id, "item")));
                app.UsePiwikTracking();
                break;
            case "django":
                var sender = new DjangoStyleSender(matomo ?? throw new ArgumentException("--matomo is required"));
                app.Use(async (context, next) =>
                {
                    await next(context).ConfigureAwait(false);
                    sender.Track(context);
                });
                app.MapGet("/items/{id}", (int id) => TypedResults.Ok(new Item(id, "item")));
                break;
            default:
                Console.Error.WriteLine($"Unknown variant '{variant}': none, piwik or django.");
                return 2;
        }

        await app.RunAsync().ConfigureAwait(false);
        return 0;
    }
}

/// <summary>The Django middleware and Celery task, ported as they were: a dictionary per request, one HTTP call per event.</summary>
internal sealed class DjangoStyleSender(string matomoBaseUrl)
{
    private static readonly HttpClient Http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5) });
    private readonly string _endpoint = matomoBaseUrl.TrimEnd('/') + "/matomo.php";

    public void Track(HttpContext context)
    {
        // request.META: every header as HTTP_*, plus the server variables the middleware read.
        var meta = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var header in context.Request.Headers)
        {
            meta["HTTP_" + header.Key.ToUpperInvariant().Replace('-', '_')] = header.Value.ToString();
        }

        meta["REMOTE_ADDR"] = context.Connection.RemoteIpAddress?.ToString() ?? "";
        meta["SERVER_NAME"] = context.Request.Host.Host;
        meta["PATH_INFO"] = context.Request.Path.Value ?? "/";
        meta["QUERY_STRING"] = context.Request.QueryString.HasValue ? context.Request.QueryString.Value![1..] : "";
        meta["HTTPS"] = context.Request.IsHttps ? "on" : "";

        // task.delay(meta): the request does not wait.
        _ = Task.Run(() => SendAsync(meta));
    }

    private async Task SendAsync(Dictionary<string, string> meta)
    {
        try
        {
            var url = (meta["HTTPS"] == "on" ? "https://" : "http://") + meta["SERVER_NAME"] + meta["PATH_INFO"]
                + (meta["QUERY_STRING"].Length > 0 ? "?" + meta["QUERY_STRING"] : "");
            var query = new StringBuilder(_endpoint).Append("?idsite=1&rec=1&apiv=1&send_image=0");
            Append(query, "url", url);
            Append(query, "action_name", meta["PATH_INFO"]);
            Append(query, "ua", meta.GetValueOrDefault("HTTP_USER_AGENT"));
            Append(query, "lang", meta.GetValueOrDefault("HTTP_ACCEPT_LANGUAGE"));
            Append(query, "urlref", meta.GetValueOrDefault("HTTP_REFERER"));
            Append(query, "cdt", DateTimeOffset.UtcNow.ToUnixTimeSeconds().ToString(System.Globalization.CultureInfo.InvariantCulture));
            using var response = await Http.GetAsync(query.ToString()).ConfigureAwait(false);
        }
        catch (Exception)
        {
            // Celery would log and maybe retry; the request is long gone either way.
        }
    }

    private static void Append(StringBuilder query, string name, string? value)
    {
        if (!string.IsNullOrEmpty(value))
        {
            query.Append('&').Append(name).Append('=').Append(Uri.EscapeDataString(value));
        }
    }
}

internal sealed record Item(int Id, string Name);

[JsonSerializable(typeof(Item))]
internal sealed partial class SideBySideJson : JsonSerializerContext;
