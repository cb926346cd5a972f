using System.Diagnostics;
using Piwik.Testing;

namespace Piwik.Tool.Tests;

/// <summary>Runs the <c>piwik</c> tool as a process (the built <c>Piwik.Tool.dll</c> with <c>dotnet</c>), settings in its environment.</summary>
internal static class PiwikCommand
{
    public sealed record Result(int ExitCode, string Stdout, string Stderr)
    {
        public override string ToString() => $"exit {ExitCode}\nstdout:\n{Stdout}\nstderr:\n{Stderr}";
    }

    public static Task<Result> RunAsync(RealMatomo matomo, int site, params string[] args) =>
        RunAsync(new() { ["PIWIK_URL"] = matomo.Url, ["PIWIK_SITE_ID"] = site.ToString(System.Globalization.CultureInfo.InvariantCulture), ["PIWIK_TOKEN_AUTH"] = matomo.TokenAuth }, args);

    public static async Task<Result> RunAsync(Dictionary<string, string> environment, params string[] args)
    {
        var tool = Path.Combine(AppContext.BaseDirectory, "Piwik.Tool.dll");
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(tool);
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        foreach (var name in new[] { "PIWIK_URL", "PIWIK_SITE_ID", "PIWIK_TOKEN_AUTH" })
        {
            info.Environment.Remove(name);
        }

        foreach (var (name, value) in environment)
        {
            info.Environment[name] = value;
        }

        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(TimeSpan.FromMinutes(2));
        await process.WaitForExitAsync(timeout.Token);
        return new Result(process.ExitCode, await stdout, await stderr);
    }

    /// <summary>A plan file in a temp folder; deleted with the folder at the end of the test run's temp cleanup.</summary>
    public static string WritePlan(string text)
    {
        var path = Path.Combine(Directory.CreateTempSubdirectory("piwik-plan-").FullName, "PiwikTrackingPlan.txt");
        File.WriteAllText(path, text);
        return path;
    }
}
