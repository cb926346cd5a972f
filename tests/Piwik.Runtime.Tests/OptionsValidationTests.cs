using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Piwik.Sending;
using Piwik.Testing;

namespace Piwik.Runtime.Tests;

/// <summary>Misconfiguration fails at start-up, naming the configuration key.</summary>
public class OptionsValidationTests
{
    private static async Task<Exception?> StartWithAsync(Dictionary<string, string?> settings, LogCapture? logs = null, Action<WebApplication>? started = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs);
        }

        builder.Configuration.Sources.Clear();
        builder.Configuration.AddInMemoryCollection(settings.ToDictionary(kv => "Piwik:" + kv.Key, kv => kv.Value));
        builder.Services.AddPiwikTracking(builder.Configuration.GetSection("Piwik"));
        await using var app = builder.Build();
        try
        {
            await app.StartAsync();
            started?.Invoke(app);
            await app.StopAsync();
            return null;
        }
        catch (Exception ex)
        {
            return ex;
        }
    }

    [Theory]
    [InlineData("Url", "", "Piwik:Url")]
    [InlineData("Url", "matomo.example.com", "Piwik:Url")]
    [InlineData("Url", "/matomo", "Piwik:Url")]
    [InlineData("Url", "ftp://matomo.example.com/", "Piwik:Url")]
    [InlineData("Url", "https://matomo.example.com/?token_auth=x", "Piwik:Url")]
    [InlineData("Url", "http://matomo.example.com/", "Piwik:AllowInsecureHttp")]
    [InlineData("SiteId", "0", "Piwik:SiteId")]
    [InlineData("SiteId", "-3", "Piwik:SiteId")]
    [InlineData("TokenAuth", "not-a-token", "Piwik:TokenAuth")]
    [InlineData("TokenAuth", "0123456789abcdef0123456789abcdeZ", "Piwik:TokenAuth")]
    [InlineData("BatchSize", "0", "Piwik:BatchSize")]
    [InlineData("QueueCapacity", "-1", "Piwik:QueueCapacity")]
    [InlineData("QueueCapacity", "2000000", "Piwik:QueueCapacity")]
    [InlineData("MaxConcurrentBatches", "0", "Piwik:MaxConcurrentBatches")]
    [InlineData("FlushInterval", "00:00:00", "Piwik:FlushInterval")]
    [InlineData("FlushInterval", "-00:00:01", "Piwik:FlushInterval")]
    [InlineData("RequestTimeout", "00:00:00", "Piwik:RequestTimeout")]
    [InlineData("ShutdownTimeout", "00:00:00", "Piwik:ShutdownTimeout")]
    [InlineData("IpAnonymizationBytes", "5", "Piwik:IpAnonymizationBytes")]
    [InlineData("VisitorIdSecret", "short", "Piwik:VisitorIdSecret")]
    [InlineData("DefaultCategory", " ", "Piwik:DefaultCategory")]
    [InlineData("ApplicationUrl", "relative/path", "Piwik:ApplicationUrl")]
    [InlineData("MaxRetries", "-1", "Piwik:MaxRetries")]
    [InlineData("BatchSize", "1001", "Piwik:BatchSize")]
    [InlineData("BatchSize", "1000000", "Piwik:BatchSize")]
    [InlineData("MaxConcurrentBatches", "65", "Piwik:MaxConcurrentBatches")]
    [InlineData("MaxConcurrentBatches", "2000", "Piwik:MaxConcurrentBatches")]
    [InlineData("MaxRetries", "101", "Piwik:MaxRetries")]
    [InlineData("FlushInterval", "01:00:01", "Piwik:FlushInterval")]
    [InlineData("RequestTimeout", "00:10:01", "Piwik:RequestTimeout")]
    [InlineData("ShutdownTimeout", "01:00:00", "Piwik:ShutdownTimeout")]
    [InlineData("MaxRetryDelay", "00:00:00", "Piwik:MaxRetryDelay")]
    [InlineData("MaxRetryDelay", "1.00:00:00", "Piwik:MaxRetryDelay")]
    [InlineData("SpoolMaxBytes", "1000", "Piwik:SpoolMaxBytes")]
    [InlineData("SpoolMaxBytes", "2000000000000", "Piwik:SpoolMaxBytes")]
    [InlineData("SpoolMaxAge", "00:00:00", "Piwik:SpoolMaxAge")]
    [InlineData("SpoolMaxAge", "31.00:00:00", "Piwik:SpoolMaxAge")]
    [InlineData("SpoolDirectory", "bad\0path", "Piwik:SpoolDirectory")]
    public async Task A_wrong_value_fails_start_up_naming_its_key(string key, string value, string named)
    {
        var error = await StartWithAsync(new() { [key] = value });
        var validation = Assert.IsType<OptionsValidationException>(error);
        Assert.Contains(named, validation.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_value_that_is_not_a_number_fails_start_up_naming_its_key()
    {
        var error = await StartWithAsync(new() { ["SiteId"] = "abc" });
        Assert.NotNull(error);
        Assert.Contains("Piwik:SiteId", error.ToString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_token_is_never_echoed_in_the_error()
    {
        var error = await StartWithAsync(new() { ["TokenAuth"] = "my-secret-but-wrong-token" });
        Assert.NotNull(error);
        Assert.DoesNotContain("my-secret-but-wrong-token", error.ToString(), StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("https://matomo.example.com", "https://matomo.example.com/matomo.php")]
    [InlineData("https://matomo.example.com/", "https://matomo.example.com/matomo.php")]
    [InlineData("https://example.com/analytics/", "https://example.com/analytics/matomo.php")]
    [InlineData("https://example.com/matomo.php", "https://example.com/matomo.php")]
    [InlineData("https://example.com/piwik.php", "https://example.com/piwik.php")]
    [InlineData("http://localhost:8080", "http://localhost:8080/matomo.php")]
    public void The_base_url_is_normalised_like_the_php_tracker_does(string url, string endpoint)
    {
        Assert.True(Configuration.MatomoEndpoint.TryCreate(url, out var uri));
        Assert.Equal(endpoint, uri.ToString());
    }

    [Fact]
    public async Task Valid_configuration_from_environment_style_keys_starts()
    {
        var error = await StartWithAsync(new()
        {
            ["Url"] = "https://matomo.example.com/",
            ["SiteId"] = "7",
            ["TokenAuth"] = "0123456789abcdef0123456789abcdef",
            ["FlushInterval"] = "00:00:02",
            ["CustomDimensions:3"] = "v1",
            ["RedactedQueryParameters:13"] = "otp",
        });
        Assert.Null(error);
    }

    [Fact]
    public void Options_bind_every_key()
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?>
        {
            ["Piwik:Url"] = "https://m.example/",
            ["Piwik:SiteId"] = "7",
            ["Piwik:Enabled"] = "false",
            ["Piwik:FlushInterval"] = "00:00:02",
            ["Piwik:QueryString"] = "Redact",
            ["Piwik:CustomDimensions:3"] = "v1",
            ["Piwik:DeliveryGuarantee"] = "AtMostOnce",
        }).Build();
        var provider = new ServiceCollection().AddLogging().Also(s => s.AddPiwikTracking(configuration.GetSection("Piwik"))).BuildServiceProvider();
        var options = provider.GetRequiredService<IOptions<PiwikOptions>>().Value;
        Assert.Equal("https://m.example/", options.Url);
        Assert.Equal(7, options.SiteId);
        Assert.False(options.Enabled);
        Assert.Equal(TimeSpan.FromSeconds(2), options.FlushInterval);
        Assert.Equal(QueryStringMode.Redact, options.QueryString);
        Assert.Equal("v1", options.CustomDimensions[3]);
        Assert.Equal(DeliveryGuarantee.AtMostOnce, options.DeliveryGuarantee);
    }

    [Theory]
    [InlineData("BatchSize", "1000")]
    [InlineData("MaxConcurrentBatches", "64")]
    [InlineData("MaxRetries", "0")]
    [InlineData("SpoolMaxAge", "30.00:00:00")]
    public async Task A_value_at_its_bound_starts(string key, string value)
    {
        Assert.Null(await StartWithAsync(new() { [key] = value }));
    }

    [Theory]
    [InlineData("")]
    [InlineData(" ")]
    public async Task An_empty_spool_directory_turns_the_spool_off(string value)
    {
        // As Piwik__SpoolDirectory= does over a directory set in appsettings.json.
        PiwikSender? sender = null;
        var error = await StartWithAsync(new() { ["Url"] = "http://127.0.0.1:9/", ["SpoolDirectory"] = value }, started: app => sender = app.Services.GetRequiredService<PiwikSender>());
        Assert.Null(error);
        Assert.Null(sender!.Spool);
    }

    [Theory]
    [InlineData("Ur", "Piwik:Url")]
    [InlineData("BatchSzie", "Piwik:BatchSize")]
    [InlineData("spooldirectory2", "Piwik:SpoolDirectory")]
    public async Task An_unknown_key_is_warned_about_at_start_up_with_the_closest_known_one(string key, string closest)
    {
        var logs = new LogCapture();
        Assert.Null(await StartWithAsync(new() { [key] = "x", ["batchSIZE"] = "10", ["CustomDimensions:3"] = "v" }, logs));
        var warning = Assert.Single(logs.Entries, e => e.Id.Id == 1004);
        Assert.Equal(LogLevel.Warning, warning.Level);
        Assert.Contains("Piwik:" + key + " ", warning.Message, StringComparison.Ordinal);
        Assert.Contains(closest + "?", warning.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Known_keys_in_any_case_raise_no_warning()
    {
        var logs = new LogCapture();
        Assert.Null(await StartWithAsync(new() { ["url"] = "https://matomo.example.com/", ["CUSTOMDIMENSIONS:3"] = "v", ["RedactedQueryParameters:13"] = "otp", ["SpoolMaxAge"] = "1.00:00:00" }, logs));
        Assert.DoesNotContain(logs.Entries, e => e.Id.Id == 1004);
    }

    [Fact]
    public void Every_option_the_binder_reads_is_a_known_key()
    {
        var settable = typeof(PiwikOptions).GetProperties()
            .Where(p => p.CanWrite || p.PropertyType.IsGenericType)
            .Where(p => !p.PropertyType.IsGenericType || p.PropertyType.GetGenericTypeDefinition() != typeof(Func<,>))
            .Select(p => p.Name);
        Assert.Equal(settable.Order(), Configuration.UnknownKeysWarning.KnownKeys.Order());
    }
}

internal static class ServiceCollectionTestExtensions
{
    public static IServiceCollection Also(this IServiceCollection services, Action<IServiceCollection> configure)
    {
        configure(services);
        return services;
    }
}
