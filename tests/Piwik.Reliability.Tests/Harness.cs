// The reliability tests' app is the shared Kestrel harness (tests/Piwik.Testing/KestrelTestApp.cs).
global using ReliabilityApp = Piwik.Testing.KestrelTestApp;
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Piwik.Diagnostics;
using Piwik.Sending;
using Piwik.Testing;

namespace Piwik.Reliability.Tests;

/// <summary>Real time shifted by an offset that a test can move (timers and timestamps stay real).</summary>
internal sealed class ShiftedTime : TimeProvider
{
    public TimeSpan Offset { get; set; }

    public override DateTimeOffset GetUtcNow() => base.GetUtcNow() + Offset;
}

internal static class Delivered
{
    /// <summary>The stand-in's stored actions (<c>e_a</c>) grouped by visitor (<c>cid</c>), in the order stored.</summary>
    public static Dictionary<string, List<string>> ByVisitor(StandInMatomo matomo) =>
        matomo.Tracked.GroupBy(e => e["cid"]).ToDictionary(g => g.Key, g => g.Select(e => e["e_a"]).ToList());

    /// <summary>Asserts each visitor's events arrived in the order they were tracked (numbered <c>prefix</c>N).</summary>
    public static void AssertOrderedPerVisitor(StandInMatomo matomo, string prefix = "e")
    {
        foreach (var (visitor, actions) in ByVisitor(matomo))
        {
            var numbers = actions.Where(a => a.StartsWith(prefix, StringComparison.Ordinal)).Select(a => int.Parse(a[prefix.Length..])).ToList();
            Assert.True(numbers.SequenceEqual(numbers.Order()), $"visitor {visitor} got its events out of order: {string.Join(",", numbers)}");
        }
    }

    public static void AssertNoDuplicates(StandInMatomo matomo)
    {
        var duplicates = matomo.Tracked.GroupBy(e => e["e_a"]).Where(g => g.Count() > 1).Select(g => g.Key).ToList();
        Assert.True(duplicates.Count == 0, "delivered more than once: " + string.Join(",", duplicates));
    }
}
