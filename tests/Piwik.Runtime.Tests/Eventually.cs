namespace Piwik.Runtime.Tests;

/// <summary>Waits for a condition that becomes true asynchronously (a background sender's accounting), or fails naming it.</summary>
internal static class Eventually
{
    public static async Task HoldsAsync(Func<bool> condition, TimeSpan? timeout = null, string? because = null)
    {
        var deadline = DateTime.UtcNow + (timeout ?? TimeSpan.FromSeconds(15));
        while (!condition())
        {
            if (DateTime.UtcNow > deadline)
            {
                Assert.Fail("Condition did not hold in time" + (because is null ? "" : ": " + because));
            }

            await Task.Delay(10);
        }
    }
}
