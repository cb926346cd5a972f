using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace Piwik.Testing;

/// <summary>
/// A real Matomo 5.1.2 (<c>../shared/matomo</c>) for tests whose question is what Matomo stores. One instance per test
/// process: the one <c>.ci/run</c> started (its <c>MATOMO_*</c> variables are set), or else one started here with
/// <c>shared/matomo/start</c> and stopped when the process exits. Tests keep apart by each creating a site of its own
/// (<see cref="CreateSiteAsync"/>), and read what was stored from the database (<see cref="QueryAsync"/>).
/// </summary>
public sealed class RealMatomo
{
    private static readonly SemaphoreSlim StartGate = new(1, 1);
    private static RealMatomo? _shared;
    private static readonly HttpClient Http = new() { Timeout = TimeSpan.FromSeconds(60) };

    private readonly string _clientConfig;

    private RealMatomo(string url, string token, string clientConfig, string dir)
    {
        Url = url.EndsWith('/') ? url : url + "/";
        TokenAuth = token;
        _clientConfig = clientConfig;
        Directory = dir;
    }

    /// <summary>Matomo's base URL, with the trailing slash (<c>http://127.0.0.1:PORT/</c>): what <c>Piwik:Url</c> takes.</summary>
    public string Url { get; }

    /// <summary>The tracker endpoint, <c>{Url}matomo.php</c>.</summary>
    public string TrackerUrl => Url + "matomo.php";

    /// <summary>The super user's token (write and admin access on every site).</summary>
    public string TokenAuth { get; }

    /// <summary>The instance's folder (<c>MATOMO_DIR</c>).</summary>
    public string Directory { get; }

    /// <summary>The instance of this test process, started on first use.</summary>
    public static async Task<RealMatomo> SharedAsync()
    {
        await StartGate.WaitAsync().ConfigureAwait(false);
        try
        {
            return _shared ??= FromEnvironment() ?? await StartAsync().ConfigureAwait(false);
        }
        finally
        {
            StartGate.Release();
        }
    }

    private static RealMatomo? FromEnvironment()
    {
        var url = Environment.GetEnvironmentVariable("MATOMO_URL");
        var token = Environment.GetEnvironmentVariable("MATOMO_TOKEN_AUTH");
        var dir = Environment.GetEnvironmentVariable("MATOMO_DIR");
        if (string.IsNullOrEmpty(url) || string.IsNullOrEmpty(token) || string.IsNullOrEmpty(dir))
        {
            return null;
        }

        return new RealMatomo(url, token, Path.Combine(dir, "run", "client.cnf"), dir);
    }

    private static async Task<RealMatomo> StartAsync()
    {
        var start = FindStartScript();
        RemoveStaleInstances(Path.Combine(Path.GetDirectoryName(start)!, "stop"));
        var dir = Path.Combine(Path.GetTempPath(), "piwik-matomo-" + Environment.ProcessId.ToString(CultureInfo.InvariantCulture) + "-" + Guid.NewGuid().ToString("N")[..8]);
        var (code, stdout, stderr) = await RunAsync(start, ["--dir", dir], TimeSpan.FromMinutes(10)).ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"{start} --dir {dir} failed with exit code {code}:\n{stderr}\n{stdout}");
        }

        var env = ParseEnv(stdout);
        var matomo = new RealMatomo(env["MATOMO_URL"], env["MATOMO_TOKEN_AUTH"], Path.Combine(dir, "run", "client.cnf"), dir);
        var stop = Path.Combine(Path.GetDirectoryName(start)!, "stop");
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            try
            {
                using var p = Process.Start(new ProcessStartInfo(stop, [dir]) { RedirectStandardError = true, RedirectStandardOutput = true });
                p?.WaitForExit(30_000);
                System.IO.Directory.Delete(dir, recursive: true);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException or InvalidOperationException or System.ComponentModel.Win32Exception)
            {
                // Best effort at exit: a folder left in /tmp is not worth failing a test run for.
            }
        };
        return matomo;
    }

    /// <summary>
    /// Folders of instances whose test process has ended (the test host may be killed before its exit handler has
    /// removed them): stopped (in case they were killed before stopping them) and removed.
    /// </summary>
    private static void RemoveStaleInstances(string stop)
    {
        foreach (var dir in System.IO.Directory.EnumerateDirectories(Path.GetTempPath(), "piwik-matomo-*"))
        {
            var parts = Path.GetFileName(dir).Split('-');
            if (parts.Length == 4 && int.TryParse(parts[2], CultureInfo.InvariantCulture, out var pid) && !IsRunning(pid))
            {
                try
                {
                    using (var p = Process.Start(new ProcessStartInfo(stop, [dir]) { RedirectStandardError = true, RedirectStandardOutput = true }))
                    {
                        p?.WaitForExit(30_000);
                    }

                    System.IO.Directory.Delete(dir, recursive: true);
                }
                catch (Exception e) when (e is IOException or UnauthorizedAccessException or System.ComponentModel.Win32Exception)
                {
                    // Someone else's, or still in use: leave it.
                }
            }
        }
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary><c>shared/matomo/start</c> beside the repository (CI puts <c>shared</c> next to the clone).</summary>
    private static string FindStartScript()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "shared", "matomo", "start");
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new InvalidOperationException(
            "No real Matomo: set MATOMO_URL, MATOMO_TOKEN_AUTH and MATOMO_DIR (what shared/matomo/start prints), " +
            "or keep ../shared/matomo beside the repository so the tests can start one.");
    }

    private static Dictionary<string, string> ParseEnv(string text)
    {
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var line in text.Split('\n'))
        {
            var l = line.Trim();
            if (!l.StartsWith("export ", StringComparison.Ordinal) || l.IndexOf('=', StringComparison.Ordinal) is var eq && eq < 0)
            {
                continue;
            }

            env[l[7..eq]] = l[(eq + 1)..].Trim('\'');
        }

        return env;
    }

    /// <summary>
    /// Calls Matomo's Reporting API with <paramref name="method"/> (token in the POST body) and returns the JSON answer.
    /// Throws when Matomo answers an error.
    /// </summary>
    public async Task<JsonElement> ApiAsync(string method, params (string Name, string Value)[] parameters)
    {
        var form = new List<KeyValuePair<string, string>>
        {
            new("module", "API"), new("format", "json"), new("method", method), new("token_auth", TokenAuth),
        };
        form.AddRange(parameters.Select(p => new KeyValuePair<string, string>(p.Name, p.Value)));
        using var content = new FormUrlEncodedContent(form);
        using var response = await Http.PostAsync(new Uri(Url + "index.php"), content).ConfigureAwait(false);
        var body = await response.Content.ReadAsStringAsync().ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"Matomo API {method}: HTTP {(int)response.StatusCode}: {Cut(body)}");
        }

        using var json = JsonDocument.Parse(body);
        if (json.RootElement.ValueKind == JsonValueKind.Object && json.RootElement.TryGetProperty("result", out var result) && result.GetString() == "error")
        {
            throw new InvalidOperationException($"Matomo API {method}: {Cut(body)}");
        }

        return json.RootElement.Clone();
    }

    /// <summary>
    /// A new site of its own for one test (time zone UTC, URL <paramref name="siteUrl"/>), so tests that share the
    /// instance never read each other's rows. Returns its id.
    /// </summary>
    public async Task<int> CreateSiteAsync(string name, bool ecommerce = false, bool siteSearch = false, string siteUrl = "http://127.0.0.1")
    {
        var answer = await ApiAsync("SitesManager.addSite",
            ("siteName", name),
            ("urls[0]", siteUrl),
            ("ecommerce", ecommerce ? "1" : "0"),
            ("siteSearch", siteSearch ? "1" : "0"),
            ("timezone", "UTC")).ConfigureAwait(false);
        return answer.GetProperty("value").GetInt32();
    }

    /// <summary>Forgets failed logins, so a test that sends a wrong token on purpose does not get the IP blocked for the others.</summary>
    public Task ClearFailedLoginsAsync() => QueryAsync("DELETE FROM matomo_brute_force_log");

    /// <summary>Runs <paramref name="sql"/> with the <c>mariadb</c> client and returns its rows (tab-separated fields; <c>NULL</c> as null).</summary>
    public async Task<IReadOnlyList<string?[]>> QueryAsync(string sql)
    {
        var (code, stdout, stderr) = await RunAsync("mariadb", [$"--defaults-file={_clientConfig}", "matomo", "-N", "-B", "-e", sql], TimeSpan.FromMinutes(1)).ConfigureAwait(false);
        if (code != 0)
        {
            throw new InvalidOperationException($"mariadb failed ({code}) on: {sql}\n{stderr}");
        }

        return stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => line.Split('\t').Select(f => f == "NULL" ? null : Unescape(f)).ToArray())
            .ToArray();
    }

    /// <summary>Polls <paramref name="sql"/> until it returns at least <paramref name="rows"/> rows, or the timeout passes; returns the last rows.</summary>
    public async Task<IReadOnlyList<string?[]>> WaitForRowsAsync(string sql, int rows, TimeSpan? timeout = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(30));
        while (true)
        {
            var result = await QueryAsync(sql).ConfigureAwait(false);
            if (result.Count >= rows || DateTime.UtcNow > deadline)
            {
                return result;
            }

            await Task.Delay(200).ConfigureAwait(false);
        }
    }

    // mariadb -B escapes tab, newline and backslash in fields.
    private static string Unescape(string field)
    {
        if (!field.Contains('\\', StringComparison.Ordinal))
        {
            return field;
        }

        var sb = new StringBuilder(field.Length);
        for (var i = 0; i < field.Length; i++)
        {
            if (field[i] == '\\' && i + 1 < field.Length)
            {
                i++;
                sb.Append(field[i] switch { 't' => '\t', 'n' => '\n', '0' => '\0', _ => field[i] });
            }
            else
            {
                sb.Append(field[i]);
            }
        }

        return sb.ToString();
    }

    private static string Cut(string s) => s.Length > 500 ? s[..500] + "…" : s;

    private static async Task<(int Code, string Stdout, string Stderr)> RunAsync(string file, string[] args, TimeSpan timeout)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException("could not start " + file);
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(cts.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"{file} did not finish within {timeout}");
        }

        return (process.ExitCode, await stdout.ConfigureAwait(false), await stderr.ConfigureAwait(false));
    }
}
