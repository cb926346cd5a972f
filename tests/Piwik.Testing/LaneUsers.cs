using Piwik.Encoding;
using Piwik.Sending;

namespace Piwik.Testing;

/// <summary>User ids chosen by the lane their events take (the sender's own visitor id and lane hash).</summary>
public static class LaneUsers
{
    /// <summary>
    /// One user id per lane (<c>user-N</c>, the first found for each lane), for events tracked with
    /// <see cref="VisitorIdGenerator"/>'s secret <paramref name="secret"/> and <paramref name="lanes"/> lanes.
    /// </summary>
    public static List<string> OnePerLane(string secret, int lanes)
    {
        var ids = new VisitorIdGenerator(secret);
        return Enumerable.Range(0, 1000).Select(i => "user-" + i).DistinctBy(u => Lane.For(ids.ForUser(u), lanes)).ToList();
    }
}
