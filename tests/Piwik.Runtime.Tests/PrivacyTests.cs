using System.Net;
using Piwik.Encoding;

namespace Piwik.Runtime.Tests;

public class PrivacyTests
{
    [Theory]
    [InlineData("192.168.100.200", 0, "192.168.100.200")]
    [InlineData("192.168.100.200", 1, "192.168.100.0")]
    [InlineData("192.168.100.200", 2, "192.168.0.0")]
    [InlineData("192.168.100.200", 3, "192.0.0.0")]
    [InlineData("192.168.100.200", 4, "0.0.0.0")]
    [InlineData("::ffff:192.168.100.200", 2, "192.168.0.0")]
    [InlineData("2001:db8:85a3:8d3:1319:8a2e:370:7348", 1, "2001:db8:85a3:8d3::")]
    [InlineData("2001:db8:85a3:8d3:1319:8a2e:370:7348", 2, "2001:db8:85a3::")]
    [InlineData("2001:db8:85a3:8d3:1319:8a2e:370:7348", 3, "2001:d00::")]
    [InlineData("2001:db8:85a3:8d3:1319:8a2e:370:7348", 4, "::")]
    public void Ip_anonymisation_uses_matomos_masks(string ip, int bytes, string expected) =>
        Assert.Equal(IPAddress.Parse(expected), IpAnonymizer.Anonymize(IPAddress.Parse(ip), bytes));

    private static readonly long Day1 = new DateTime(2026, 11, 23, 8, 0, 0, DateTimeKind.Utc).Ticks;
    private static readonly long Day1Later = new DateTime(2026, 11, 23, 23, 59, 0, DateTimeKind.Utc).Ticks;
    private static readonly long Day2 = new DateTime(2026, 11, 24, 0, 1, 0, DateTimeKind.Utc).Ticks;

    [Fact]
    public void A_user_agent_keyed_by_an_object_standing_for_it_gets_the_id_of_its_text()
    {
        // The sender keys its visitor-id cache by the User-Agent's kept encoding instead of hashing the text again.
        var ids = new VisitorIdGenerator("a-long-enough-secret");
        var ip = IPAddress.Parse("203.0.0.0");
        var firefox = new VisitorIdGenerator("a-long-enough-secret").ForAnonymous(ip, 0, "Firefox", Day1);
        var standsForFirefox = new object();
        Assert.Equal(firefox, ids.ForAnonymous(ip, 0, "Firefox", Day1, standsForFirefox));
        Assert.Equal(firefox, ids.ForAnonymous(ip, 0, "Firefox", Day1, standsForFirefox)); // from the cache
        Assert.Equal(firefox, ids.ForAnonymous(ip, 0, "Firefox", Day1, new object())); // another stand-in (the cache was cleared)
        Assert.Equal(firefox, ids.ForAnonymous(ip, 0, "Firefox", Day1)); // by text
        Assert.NotEqual(firefox, ids.ForAnonymous(IPAddress.Parse("198.51.0.0"), 0, "Firefox", Day1, standsForFirefox)); // the IP still counts
        Assert.NotEqual(firefox, ids.ForAnonymous(ip, 0, "Firefox", Day2, standsForFirefox)); // and the day
        Assert.NotEqual(firefox, ids.ForAnonymous(ip, 0, "Chrome", Day1, new object()));
    }

    [Fact]
    public void Anonymous_visitor_id_is_stable_within_a_day_and_differs_between_visitors_and_days()
    {
        var ids = new VisitorIdGenerator("a-long-enough-secret");
        var ip = IPAddress.Parse("203.0.0.0");
        var a = ids.ForAnonymous(ip, "Firefox", Day1);
        Assert.Matches("^[0-9a-f]{16}$", a);
        Assert.Equal(a, ids.ForAnonymous(ip, "Firefox", Day1Later));
        Assert.NotEqual(a, ids.ForAnonymous(ip, "Chrome", Day1));
        Assert.NotEqual(a, ids.ForAnonymous(IPAddress.Parse("198.51.0.0"), "Firefox", Day1));
        Assert.NotEqual(a, ids.ForAnonymous(ip, "Firefox", Day2)); // the salt rotates daily
        Assert.Equal(a, new VisitorIdGenerator("a-long-enough-secret").ForAnonymous(ip, "Firefox", Day1)); // same on every instance
        Assert.NotEqual(a, new VisitorIdGenerator("another-long-secret!").ForAnonymous(ip, "Firefox", Day1)); // keyed
    }

    [Fact]
    public void User_visitor_id_is_stable_across_days_keyed_and_not_the_plain_hash()
    {
        var ids = new VisitorIdGenerator("a-long-enough-secret");
        var alice = ids.ForUser("alice");
        Assert.Matches("^[0-9a-f]{16}$", alice);
        Assert.Equal(alice, ids.ForUser("alice"));
        Assert.NotEqual(alice, ids.ForUser("bob"));
        var plainSha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData("alice"u8))[..16];
        var plainSha1 = Convert.ToHexStringLower(System.Security.Cryptography.SHA1.HashData("alice"u8))[..16];
        Assert.NotEqual(plainSha, alice);
        Assert.NotEqual(plainSha1, alice);
        Assert.NotEqual(alice, new VisitorIdGenerator("another-long-secret!").ForUser("alice"));
    }

    [Fact]
    public void Visitor_ids_of_many_visitors_do_not_collapse_into_one()
    {
        var ids = new VisitorIdGenerator("a-long-enough-secret");
        var distinct = Enumerable.Range(0, 1000)
            .Select(i => ids.ForAnonymous(IPAddress.Parse($"10.{i / 256}.{i % 256}.0"), "ua", Day1))
            .Distinct()
            .Count();
        Assert.Equal(1000, distinct);
    }

    [Fact]
    public void Without_a_secret_the_key_is_random_per_process_never_empty()
    {
        var first = new VisitorIdGenerator(null).ForUser("alice");
        var second = new VisitorIdGenerator(null).ForUser("alice");
        Assert.NotEqual(first, second);
    }
}
