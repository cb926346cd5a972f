using Piwik.Sending;

namespace Piwik.Reliability.Tests;

/// <summary>What the spool tests' entries carry: their <c>e_a</c>, which names each entry.</summary>
internal static class SpoolEntries
{
    /// <summary>The <c>e_a</c> of entry <paramref name="index"/>.</summary>
    public static string Action(Batch batch, int index) =>
        System.Text.Encoding.ASCII.GetString(batch.Entry(index)).Split('&').Single(p => p.StartsWith("e_a=", StringComparison.Ordinal))[4..];

    /// <summary>The <c>e_a</c> of every entry, in order.</summary>
    public static string[] Actions(Batch batch) => Enumerable.Range(0, batch.Count).Select(i => Action(batch, i)).ToArray();
}
