using System.Buffers;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;

namespace Piwik.Benchmarks;

/// <summary>
/// A Matomo-like tracker endpoint that only counts and takes time: each request holds one of <c>workers</c> "PHP
/// workers" (0 = unlimited) for <c>perEntry</c> × its entry count, like a Matomo storing a bulk in one transaction. Takes
/// bulk JSON (<c>POST /matomo.php</c>) and single requests (<c>GET /matomo.php?...</c>); <c>GET /counts</c> answers
/// the totals. Its capacity is therefore <c>workers / perEntry</c> entries per second.
/// </summary>
internal sealed class MatomoModel : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly SemaphoreSlim? _workers;
    private readonly TimeSpan _perEntry;
    private StreamWriter? _names;
    private long _calls;
    private long _bulkCalls;
    private long _entries;

    private MatomoModel(WebApplication app, TimeSpan perEntry, int workers)
    {
        _app = app;
        _perEntry = perEntry;
        _workers = workers > 0 ? new SemaphoreSlim(workers, workers) : null;
    }

    public string BaseUrl { get; private set; } = "";

    public long Calls => Interlocked.Read(ref _calls);

    public long BulkCalls => Interlocked.Read(ref _bulkCalls);

    public long Entries => Interlocked.Read(ref _entries);

    public static async Task<MatomoModel> StartAsync(string url, TimeSpan perEntry, int workers)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls(url);
        var app = builder.Build();
        var model = new MatomoModel(app, perEntry, workers);
        app.MapPost("/matomo.php", model.BulkAsync);
        app.MapGet("/matomo.php", model.SingleAsync);
        app.MapGet("/counts", () => $"{{\"calls\":{model.Calls},\"bulkCalls\":{model.BulkCalls},\"entries\":{model.Entries}}}");
        await app.StartAsync().ConfigureAwait(false);
        model.BaseUrl = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First().TrimEnd('/') + "/";
        return model;
    }

    public static async Task<int> RunAsync(Arguments args)
    {
        var port = args.Get("port", "0");
        await using var model = await StartAsync($"http://127.0.0.1:{port}", TimeSpan.FromMilliseconds(args.Number("per-entry-ms", 0)), (int)args.Number("workers", 0)).ConfigureAwait(false);
        if (args.Get("ids-file") is { } ids)
        {
            // The event name (e_n) of every stored entry, one a line: load/run.sh checks each request arrived once.
            model._names = new StreamWriter(ids, append: false) { AutoFlush = false };
        }

        if (args.Get("url-file") is { } urlFile)
        {
            await File.WriteAllTextAsync(urlFile + ".tmp", model.BaseUrl).ConfigureAwait(false);
            File.Move(urlFile + ".tmp", urlFile, overwrite: true);
        }

        Console.WriteLine($"Matomo model listening on {model.BaseUrl}");
        var stop = new TaskCompletionSource();
        using var registration = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c => { c.Cancel = true; stop.TrySetResult(); });
        using var interrupt = PosixSignalRegistration.Create(PosixSignal.SIGINT, c => { c.Cancel = true; stop.TrySetResult(); });
        await stop.Task.ConfigureAwait(false);
        await model._app.StopAsync().ConfigureAwait(false);
        if (model._names is { } names)
        {
            lock (names)
            {
                names.Flush();
            }

            await names.DisposeAsync().ConfigureAwait(false);
        }

        Console.WriteLine($"calls={model.Calls} bulkCalls={model.BulkCalls} entries={model.Entries}");
        return 0;
    }

    private async Task BulkAsync(HttpContext context)
    {
        var entries = 0;
        List<string>? names = _names is null ? null : [];
        var reader = context.Request.BodyReader;
        while (true)
        {
            var read = await reader.ReadAsync().ConfigureAwait(false);
            if (read.IsCompleted)
            {
                entries = CountEntries(read.Buffer, names);
                reader.AdvanceTo(read.Buffer.End);
                break;
            }

            reader.AdvanceTo(read.Buffer.Start, read.Buffer.End);
        }

        await StoreAsync(entries).ConfigureAwait(false);
        if (names is not null)
        {
            lock (_names!)
            {
                foreach (var name in names)
                {
                    _names.WriteLine(name);
                }
            }
        }

        Interlocked.Increment(ref _bulkCalls);
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync($"{{\"status\":\"success\",\"tracked\":{entries},\"invalid\":0}}").ConfigureAwait(false);
    }

    private async Task SingleAsync(HttpContext context)
    {
        await StoreAsync(context.Request.Query.ContainsKey("idsite") ? 1 : 0).ConfigureAwait(false);
        context.Response.StatusCode = StatusCodes.Status204NoContent;
    }

    private async Task StoreAsync(int entries)
    {
        if (_workers is not null)
        {
            await _workers.WaitAsync().ConfigureAwait(false);
        }

        try
        {
            if (_perEntry > TimeSpan.Zero && entries > 0)
            {
                await Task.Delay(_perEntry * entries).ConfigureAwait(false);
            }

            Interlocked.Add(ref _entries, entries);
            Interlocked.Increment(ref _calls);
        }
        finally
        {
            _workers?.Release();
        }
    }

    private static int CountEntries(ReadOnlySequence<byte> body, List<string>? names)
    {
        var json = new Utf8JsonReader(body);
        var count = 0;
        var inRequests = false;
        try
        {
            while (json.Read())
            {
                if (json.TokenType == JsonTokenType.PropertyName && json.CurrentDepth == 1)
                {
                    inRequests = json.ValueTextEquals("requests"u8);
                }
                else if (inRequests && json.CurrentDepth == 2 && json.TokenType == JsonTokenType.String)
                {
                    count++;
                    if (names is not null && json.GetString() is { } entry && entry.IndexOf("&e_n=", StringComparison.Ordinal) is var at and >= 0)
                    {
                        var end = entry.IndexOf('&', at + 5);
                        names.Add(Uri.UnescapeDataString(end < 0 ? entry[(at + 5)..] : entry[(at + 5)..end]));
                    }
                }
            }
        }
        catch (JsonException)
        {
        }

        return count;
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync().ConfigureAwait(false);
        await _app.DisposeAsync().ConfigureAwait(false);
        _workers?.Dispose();
    }
}
