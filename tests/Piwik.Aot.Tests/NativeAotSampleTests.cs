using System.Diagnostics;
using System.Net;
using System.Text;
using Piwik.Testing;

namespace Piwik.Aot.Tests;

/// <summary>
/// Publishes samples/MinimalApi as Native AOT (PublishAot is in its csproj, so the Request Delegate Generator is on),
/// requires a publish without a single warning, runs the binary against the stand-in Matomo and checks the events and
/// the tracking plan's JSON.
/// </summary>
public sealed class NativeAotSampleTests
{
    [Fact]
    public async Task Sample_publishes_without_warnings_and_its_binary_sends_the_events()
    {
        var root = RepositoryRoot();
        var artifacts = Path.Combine(Path.GetTempPath(), "piwik-aot-" + Guid.NewGuid().ToString("N"));
        try
        {
            // Own artifacts path: the solution's Debug build of the sample keeps its obj/ untouched.
            var (exitCode, output) = await RunAsync("dotnet", ["publish", Path.Combine(root, "samples", "MinimalApi", "MinimalApi.csproj"), "-r", "linux-x64", "-c", "Release", "--artifacts-path", artifacts, "-nologo"], root);
            Assert.True(exitCode == 0, output);
            var warnings = output.Split('\n').Where(l => l.Contains(": warning ", StringComparison.OrdinalIgnoreCase)).ToArray();
            Assert.True(warnings.Length == 0, string.Join('\n', warnings));
            var binary = Path.Combine(artifacts, "publish", "MinimalApi", "release_linux-x64", "MinimalApi");
            Assert.True(File.Exists(binary), $"No native binary at {binary}:\n{output}");

            await using var matomo = await StandInMatomo.StartAsync();
            var (status, log, groupId) = await RunSampleAsync(binary, matomo.BaseUrl, async client =>
            {
                await Expect(client, "/signup", """{"email":"ann@example.com","password":"pw","plan":"family"}""", HttpStatusCode.Created);
                await Expect(client, "/login", """{"email":"ann@example.com","password":"pw"}""", HttpStatusCode.OK);
                await Expect(client, "/login", """{"email":"ann@example.com","password":"wrong"}""", HttpStatusCode.Unauthorized);
                using var created = await client.PostAsync("/groups", Json("""{"name":"family"}"""));
                Assert.Equal(HttpStatusCode.Created, created.StatusCode);
                var groupId = System.Text.Json.JsonDocument.Parse(await created.Content.ReadAsStringAsync()).RootElement.GetProperty("id").GetString()!;
                await Expect(client, $"/groups/{groupId}/members", """{"email":"bob@example.com"}""", HttpStatusCode.NoContent);
                using var list = await client.GetAsync("/groups");
                Assert.Equal(HttpStatusCode.OK, list.StatusCode);
                using var search = await client.GetAsync("/groups/search?q=FAM");
                Assert.Equal(HttpStatusCode.OK, search.StatusCode);
                await Expect(client, "/billing/upgrade", """{"plan":"pro","months":12}""", HttpStatusCode.OK);
                using var health = await client.GetAsync("/health");
                Assert.Equal(HttpStatusCode.OK, health.StatusCode);

                // The plan's JSON (Development only), written without reflection: orders and searches included.
                using var plan = System.Text.Json.JsonDocument.Parse(await client.GetStringAsync("/_piwik/plan"));
                var rows = plan.RootElement.GetProperty("endpoints").EnumerateArray().ToArray();
                var upgrade = Assert.Single(rows, r => r.GetProperty("route").GetString() == "/billing/upgrade");
                Assert.Equal("upgrade|{result.OrderId}|{result.Lines}", $"{upgrade.GetProperty("action")}|{upgrade.GetProperty("order").GetProperty("id")}|{upgrade.GetProperty("order").GetProperty("items")}");
                var groupSearch = Assert.Single(rows, r => r.GetProperty("route").GetString() == "/groups/search");
                Assert.Equal(System.Text.Json.JsonValueKind.Null, groupSearch.GetProperty("action").ValueKind);
                Assert.Equal("{q}|groups|{result.Count}", string.Join('|', groupSearch.GetProperty("search").EnumerateObject().Select(p => p.Value.GetString())));
                return groupId;
            });

            Assert.True(status == 0, log);
            Assert.DoesNotContain("warn:", log, StringComparison.Ordinal);
            Assert.Equal(
                ["account/signup/family", "account/login/", "account/login-failed/", $"groups/create/{groupId}", $"groups/join/{groupId}", "groups/list/", "billing/upgrade/pro"],
                matomo.Tracked.Where(e => e.Has("e_a")).Select(e => $"{e.Get("e_c")}/{e.Get("e_a")}/{e.Get("e_n")}"));
            var searched = Assert.Single(matomo.Tracked, e => e.Has("search"));
            Assert.Equal("FAM|groups|1", $"{searched["search"]}|{searched["search_cat"]}|{searched["search_count"]}");
            var order = Assert.Single(matomo.Tracked, e => e.Has("ec_id"));
            Assert.Equal("0|47.88|[[\"plan-pro\",\"pro plan\",\"plans\",3.99,12]]", $"{order["idgoal"]}|{order["revenue"]}|{order["ec_items"]}");
            Assert.False(order.Has("ca"));
            Assert.Empty(matomo.Invalid);
        }
        finally
        {
            try
            {
                Directory.Delete(artifacts, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    /// <summary>Starts the binary on a free port, runs the requests, then stops it with SIGTERM (a graceful shutdown flushes the queue).</summary>
    private static async Task<(int ExitCode, string Log, string Result)> RunSampleAsync(string binary, string matomoUrl, Func<HttpClient, Task<string>> requests)
    {
        var start = new ProcessStartInfo(binary) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = Path.GetDirectoryName(binary)! };
        start.Environment["ASPNETCORE_URLS"] = "http://127.0.0.1:0";
        start.Environment["ASPNETCORE_ENVIRONMENT"] = "Development"; // the sample serves its tracking plan there
        start.Environment["Piwik__Url"] = matomoUrl;
        start.Environment["Piwik__SiteId"] = "1";
        start.Environment["Piwik__AllowInsecureHttp"] = "true";
        start.Environment["Piwik__ApplicationUrl"] = "https://app.example.com/";
        start.Environment["Piwik__FlushInterval"] = "00:00:00.100";
        using var process = Process.Start(start)!;
        var log = new StringBuilder();
        var result = "";
        var listening = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                listening.TrySetException(new InvalidOperationException("The sample exited before listening:\n" + log));
                return;
            }

            lock (log)
            {
                log.AppendLine(e.Data);
            }

            var marker = e.Data.IndexOf("Now listening on: ", StringComparison.Ordinal);
            if (marker >= 0)
            {
                listening.TrySetResult(e.Data[(marker + "Now listening on: ".Length)..].Trim());
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            lock (log)
            {
                log.AppendLine(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            var address = await listening.Task.WaitAsync(TimeSpan.FromMinutes(1));
            using var client = new HttpClient { BaseAddress = new Uri(address) };
            result = await requests(client);
        }
        finally
        {
            using var kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)])!;
            await kill.WaitForExitAsync();
            using var cts = new CancellationTokenSource(TimeSpan.FromMinutes(1));
            await process.WaitForExitAsync(cts.Token);
        }

        lock (log)
        {
            return (process.ExitCode, log.ToString(), result);
        }
    }

    private static async Task Expect(HttpClient client, string path, string json, HttpStatusCode status)
    {
        using var response = await client.PostAsync(path, Json(json));
        Assert.True(status == response.StatusCode, $"POST {path}: expected {status}, got {response.StatusCode}");
    }

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static async Task<(int ExitCode, string Output)> RunAsync(string file, string[] arguments, string workingDirectory)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, WorkingDirectory = workingDirectory };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test host's MSBuild variables would leak into the child build.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBuildSDKsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, await stdout + await stderr);
    }

    private static string RepositoryRoot()
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Piwik.sln")))
            {
                return directory.FullName;
            }
        }

        throw new InvalidOperationException("Piwik.sln not found above " + AppContext.BaseDirectory);
    }
}
