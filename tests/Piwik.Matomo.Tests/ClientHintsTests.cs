using Piwik.Testing;

namespace Piwik.Matomo.Tests;

/// <summary>
/// The browser's client hints reach Matomo's device detection as <c>uadata</c> (issue 15, item 4). Chromium's reduced
/// User-Agent says "Android 10; K" and "Windows NT 10.0" whatever the device: without the hints Matomo reported a
/// Pixel 8 on Android 14 as Android 10 with no brand or model, and Windows 11 as Windows 10.
/// </summary>
[Collection(MatomoTestGroup.Name)]
public class ClientHintsTests
{
    private const string PixelAgent = "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Mobile Safari/537.36";
    private const string WindowsAgent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36";

    [Fact]
    public async Task A_pixel_8_on_android_14_and_windows_11_are_reported_as_they_are()
    {
        var matomo = await RealMatomo.SharedAsync();
        var site = await matomo.CreateSiteAsync(nameof(A_pixel_8_on_android_14_and_windows_11_are_reported_as_they_are));
        await using var app = await TrackingApp.StartAsync(matomo, site);

        await app.SendAsync(HttpMethod.Get, "/track?n=pixel",
            ("User-Agent", PixelAgent),
            ("Sec-CH-UA", "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\""),
            ("Sec-CH-UA-Mobile", "?1"),
            ("Sec-CH-UA-Platform", "\"Android\""),
            ("Sec-CH-UA-Platform-Version", "\"14.0.0\""),
            ("Sec-CH-UA-Model", "\"Pixel 8\""),
            ("Sec-CH-UA-Full-Version-List", "\"Chromium\";v=\"124.0.6367.82\", \"Google Chrome\";v=\"124.0.6367.82\", \"Not-A.Brand\";v=\"99.0.0.0\""),
            ("Sec-CH-UA-Form-Factors", "\"Mobile\""));
        await app.SendAsync(HttpMethod.Get, "/track?n=windows",
            ("User-Agent", WindowsAgent),
            ("Sec-CH-UA", "\"Chromium\";v=\"124\", \"Google Chrome\";v=\"124\", \"Not-A.Brand\";v=\"99\""),
            ("Sec-CH-UA-Mobile", "?0"),
            ("Sec-CH-UA-Platform", "\"Windows\""),
            ("Sec-CH-UA-Platform-Version", "\"15.0.0\""),
            ("Sec-CH-UA-Full-Version-List", "\"Chromium\";v=\"124.0.6367.82\", \"Google Chrome\";v=\"124.0.6367.82\""));
        // The same reduced agent without hints (Firefox sends none; a Chromium app that never asked sends the low ones).
        await app.SendAsync(HttpMethod.Get, "/track?n=no-hints", ("User-Agent", PixelAgent + " NoHints"));
        await app.SettledAsync(3);

        var visits = await Stored.VisitsAsync(matomo, site, "config_os, config_os_version, config_device_brand, config_device_model, config_device_type, config_browser_name, config_browser_version");
        // Visitors go out in lanes of their own, so Matomo may store the three visits in any order.
        Assert.Equal(
            new[]
            {
                "AND|14.0|GO|Pixel 8|1|CM|124.0", // Android 14, Google Pixel 8, smartphone, Chrome Mobile
                "WIN|11||generic desktop|0|CH|124.0", // Windows 11, Chrome
                "AND|10||generic smartphone|1|CM|124.0", // what the reduced agent alone gives
            }.Order(StringComparer.Ordinal),
            visits.Select(v => string.Join("|", v)).Order(StringComparer.Ordinal));
    }
}
