using System.Diagnostics;
using System.IO.Compression;
using System.Net;
using System.Net.Sockets;
using System.Text;
using Piwik.Testing;
using Xunit.Abstractions;

namespace Piwik.Package.Tests;

/// <summary>
/// What a newcomer does: pack the library, create a fresh minimal API that references only the package (from a local
/// folder), build it with the Request Delegate Generator on, and run it until an event reaches a stand-in Matomo.
/// </summary>
public class PackageTests(ITestOutputHelper output)
{
    private static readonly TimeSpan CommandTimeout = TimeSpan.FromMinutes(6);

    [Fact]
    public async Task The_package_alone_gives_attributes_generator_diagnostics_and_delivery()
    {
        var repo = RepoRoot();
        var work = Directory.CreateTempSubdirectory("piwik-package-");
        try
        {
            // Pack from a copy of the sources, so this test never shares obj/ folders with tests that build in parallel.
            var source = Path.Combine(work.FullName, "src-copy");
            CopySources(repo, source);
            var feed = Path.Combine(work.FullName, "feed");
            var version = "1.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
            var pack = await RunAsync("dotnet", $"pack src/Piwik.Runtime/Piwik.Runtime.csproj -c Release -o \"{feed}\" -p:Version={version}", source);
            Assert.True(pack.ExitCode == 0, "dotnet pack failed:\n" + pack.Output);

            var nupkg = Path.Combine(feed, $"Piwik.{version}.nupkg");
            using (var archive = ZipFile.OpenRead(nupkg))
            {
                var entries = archive.Entries.Select(e => e.FullName).ToHashSet();
                Assert.Contains("lib/net10.0/Piwik.Runtime.dll", entries);
                Assert.Contains("lib/net10.0/Piwik.Runtime.xml", entries);
                Assert.Contains("analyzers/dotnet/cs/Piwik.Generator.dll", entries);
                Assert.Contains("analyzers/dotnet/cs/Piwik.CodeFixes.dll", entries);
                Assert.Contains("README.md", entries);
                Assert.Contains("build/Piwik.targets", entries);
                Assert.Contains("build/severity/PIWIK001.suggestion.globalconfig", entries);
                using var nuspec = new StreamReader(archive.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open());
                var manifest = await nuspec.ReadToEndAsync();
                Assert.Contains("<license type=\"expression\">MIT</license>", manifest, StringComparison.Ordinal);
                Assert.Contains("<repository type=\"git\"", manifest, StringComparison.Ordinal);
                Assert.DoesNotContain("Piwik.Generator", manifest, StringComparison.Ordinal); // an analyzer, not a dependency
            }

            Assert.True(File.Exists(Path.Combine(feed, $"Piwik.{version}.snupkg")), "no symbols package");

            var app = Path.Combine(work.FullName, "FreshApp");
            WriteFreshApp(app, feed, version);
            var build = await RunAsync("dotnet", "build -c Release", app);
            Assert.True(build.ExitCode == 0, "the fresh app does not build:\n" + build.Output);
            Assert.Matches(@"Program\.cs\(\d+,\d+\): warning PIWIK001: Route 'GET /untracked' is not tracked", build.Output);
            Assert.DoesNotMatch(@"PIWIK001: Route '(POST /signup|GET /health)'", build.Output);
            // The package hands PiwikTrackingPlan.txt to the analyzer (build/Piwik.targets), which finds it incomplete.
            Assert.Matches(@"warning PIWIK030: The code tracks 'event account/signup', which PiwikTrackingPlan.txt does not list", build.Output);
            Assert.Matches(@"PiwikTrackingPlan.txt\(1,1\): warning PIWIK031: PiwikTrackingPlan.txt lists 'event account/logout'", build.Output);

            // Gradual adoption (without the plan file, whose findings above would fail a strict build on their own): under TreatWarningsAsErrors the untracked route fails the build, unless the project
            // sets PiwikUntrackedRouteSeverity (shipped in build/Piwik.targets), which makes PIWIK001 a suggestion.
            File.Delete(Path.Combine(app, "PiwikTrackingPlan.txt"));
            var strict = await RunAsync("dotnet", "build -c Release --no-incremental -p:TreatWarningsAsErrors=true -o strict-out", app);
            Assert.True(strict.ExitCode != 0, "an untracked route should fail a TreatWarningsAsErrors build:\n" + strict.Output);
            Assert.Matches(@"error PIWIK001: Route 'GET /untracked' is not tracked", strict.Output);
            var adopting = await RunAsync("dotnet", "build -c Release --no-incremental -p:TreatWarningsAsErrors=true -p:PiwikUntrackedRouteSeverity=suggestion -o adopting-out", app);
            Assert.True(adopting.ExitCode == 0, "PiwikUntrackedRouteSeverity=suggestion should let the build pass:\n" + adopting.Output);
            Assert.DoesNotMatch(@"(warning|error) PIWIK001", adopting.Output);

            await using var matomo = await StandInMatomo.StartAsync();
            var port = FreePort();
            using var process = Start(
                "dotnet",
                Path.Combine(app, "bin", "Release", "net10.0", "FreshApp.dll"),
                app,
                new()
                {
                    ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                    ["Piwik__Url"] = matomo.BaseUrl,
                    ["Piwik__SiteId"] = "1",
                    ["Piwik__FlushInterval"] = "00:00:00.200",
                });
            try
            {
                using var client = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
                await WaitUntilListeningAsync(client);
                using var body = new StringContent("{\"email\":\"new@example.com\",\"plan\":\"family\"}", Encoding.UTF8, "application/json");
                var response = await client.PostAsync("/signup", body);
                Assert.Equal(HttpStatusCode.Created, response.StatusCode);

                var entry = Assert.Single(await matomo.WaitForTrackedAsync(1, TimeSpan.FromSeconds(30)));
                Assert.Equal("account", entry["e_c"]);
                Assert.Equal("signup", entry["e_a"]);
                Assert.Equal("family", entry["e_n"]); // a member path: bound by generated code, so the generator ran
            }
            finally
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    [Fact]
    public async Task The_piwik_tool_installs_from_a_folder_feed_and_runs()
    {
        var repo = RepoRoot();
        var work = Directory.CreateTempSubdirectory("piwik-tool-package-");
        try
        {
            var source = Path.Combine(work.FullName, "src-copy");
            CopySources(repo, source);
            var feed = Path.Combine(work.FullName, "feed");
            var version = "1.0.0-test." + DateTime.UtcNow.ToString("yyyyMMddHHmmssfff", System.Globalization.CultureInfo.InvariantCulture);
            var pack = await RunAsync("dotnet", $"pack src/Piwik.Tool/Piwik.Tool.csproj -c Release -o \"{feed}\" -p:Version={version}", source);
            Assert.True(pack.ExitCode == 0, "dotnet pack of the tool failed:\n" + pack.Output);

            // As a user installs it: from a folder feed, into a tool path.
            var tools = Path.Combine(work.FullName, "tools");
            var install = await RunAsync("dotnet", $"tool install --tool-path \"{tools}\" --add-source \"{feed}\" Piwik.Tool --version {version}", work.FullName);
            Assert.True(install.ExitCode == 0, "dotnet tool install failed:\n" + install.Output);
            var piwik = Path.Combine(tools, "piwik");

            var help = await RunAsync(piwik, "--help", work.FullName);
            Assert.True(help.ExitCode == 0, help.Output);
            Assert.Contains("piwik goals sync --plan FILE [--dry-run]", help.Output, StringComparison.Ordinal);

            var matomo = await RealMatomo.SharedAsync();
            var site = await matomo.CreateSiteAsync(nameof(The_piwik_tool_installs_from_a_folder_feed_and_runs));
            var plan = Path.Combine(work.FullName, "PiwikTrackingPlan.txt");
            await File.WriteAllTextAsync(plan, "goal Sign-ups | category: account | action: signup\n");
            var dryRun = await RunAsync(piwik, $"goals sync --plan \"{plan}\" --dry-run", work.FullName, new()
            {
                ["PIWIK_URL"] = matomo.Url,
                ["PIWIK_SITE_ID"] = site.ToString(System.Globalization.CultureInfo.InvariantCulture),
                ["PIWIK_TOKEN_AUTH"] = matomo.TokenAuth,
            });
            Assert.True(dryRun.ExitCode == 0, dryRun.Output);
            Assert.Contains("+ Sign-ups: new goal", dryRun.Output, StringComparison.Ordinal);
            Assert.DoesNotContain(matomo.TokenAuth, dryRun.Output, StringComparison.Ordinal);
        }
        finally
        {
            try
            {
                work.Delete(recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }

    private static void WriteFreshApp(string dir, string feed, string version)
    {
        Directory.CreateDirectory(dir);
        File.WriteAllText(Path.Combine(dir, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <clear />
                <add key="local" value="{feed}" />
                <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
              </packageSources>
            </configuration>
            """);
        File.WriteAllText(Path.Combine(dir, "FreshApp.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk.Web">
              <PropertyGroup>
                <TargetFramework>net10.0</TargetFramework>
                <Nullable>enable</Nullable>
                <ImplicitUsings>enable</ImplicitUsings>
                <EnableRequestDelegateGenerator>true</EnableRequestDelegateGenerator>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="Piwik" Version="{version}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(dir, "PiwikTrackingPlan.txt"), "event account/logout | routes: POST /logout\n");
        File.WriteAllText(Path.Combine(dir, "Program.cs"), """
            using System.Text.Json.Serialization;
            using Piwik;

            var builder = WebApplication.CreateSlimBuilder(args);
            builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, AppJson.Default));
            builder.Services.AddPiwikTracking(builder.Configuration.GetSection("Piwik"));
            var app = builder.Build();

            app.MapPost("/signup", [TrackAs("signup", Category = "account", Name = "{request.Plan}")] (SignupRequest request) =>
                TypedResults.Created("/users/1"));
            app.MapGet("/health", [DoNotTrack] () => "ok");
            app.MapGet("/untracked", () => "nobody counts me");

            app.UsePiwikTracking();
            app.Run();

            public sealed record SignupRequest(string Email, string Plan);

            [JsonSerializable(typeof(SignupRequest))]
            internal sealed partial class AppJson : JsonSerializerContext;
            """);
    }

    private static void CopySources(string repo, string destination)
    {
        foreach (var file in new[] { "Directory.Build.props", "Directory.Packages.props", "global.json", "README.md" })
        {
            Directory.CreateDirectory(destination);
            File.Copy(Path.Combine(repo, file), Path.Combine(destination, file));
        }

        foreach (var project in new[] { "Piwik.Runtime", "Piwik.Generator", "Piwik.CodeFixes", "Piwik.Tool", "Piwik.Shared" })
        {
            CopyTree(Path.Combine(repo, "src", project), Path.Combine(destination, "src", project));
        }
    }

    private static void CopyTree(string from, string to)
    {
        Directory.CreateDirectory(to);
        foreach (var file in Directory.EnumerateFiles(from))
        {
            File.Copy(file, Path.Combine(to, Path.GetFileName(file)));
        }

        foreach (var dir in Directory.EnumerateDirectories(from))
        {
            var name = Path.GetFileName(dir);
            if (name is "bin" or "obj")
            {
                continue;
            }

            CopyTree(dir, Path.Combine(to, name));
        }
    }

    private static string RepoRoot()
    {
        var dir = new DirectoryInfo(AppContext.BaseDirectory);
        while (dir is not null && !File.Exists(Path.Combine(dir.FullName, "Piwik.sln")))
        {
            dir = dir.Parent;
        }

        return dir?.FullName ?? throw new InvalidOperationException("Piwik.sln not found above " + AppContext.BaseDirectory);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static async Task WaitUntilListeningAsync(HttpClient client)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(30);
        while (true)
        {
            try
            {
                await client.GetAsync("/health");
                return;
            }
            catch (HttpRequestException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(100);
            }
        }
    }

    private static Process Start(string file, string arguments, string directory, Dictionary<string, string> environment)
    {
        var info = new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment)
        {
            info.Environment[key] = value;
        }

        var process = Process.Start(info)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return process;
    }

    private async Task<(int ExitCode, string Output)> RunAsync(string file, string arguments, string directory, Dictionary<string, string>? environment = null)
    {
        var info = new ProcessStartInfo(file, arguments) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var (key, value) in environment ?? [])
        {
            info.Environment[key] = value;
        }

        info.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        info.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(CommandTimeout);
        await process.WaitForExitAsync(cts.Token);
        var text = await stdout + await stderr;
        output.WriteLine($"$ {file} {arguments}\n{text}");
        return (process.ExitCode, text);
    }
}
