using Microsoft.AspNetCore.Http;

namespace Piwik.Capture;

/// <summary>The <see cref="IPiwikTracker"/> registered by <c>AddPiwikTracking</c>.</summary>
internal sealed class PiwikTracker(RequestRecorder recorder) : IPiwikTracker
{
    public bool TrackEvent(HttpContext context, string category, string action, string? name = null, double? value = null)
    {
        if (context is null || string.IsNullOrWhiteSpace(category) || string.IsNullOrWhiteSpace(action))
        {
            return false;
        }

        return recorder.TryRecord(context, TrackedEventKind.Event, category, action, TrackedValue.FromText(name), TrackedValue.FromNumber(value));
    }

    public bool TrackEvent(string category, string action, string? name = null, double? value = null, string? userId = null)
    {
        if (string.IsNullOrWhiteSpace(category) || string.IsNullOrWhiteSpace(action))
        {
            return false;
        }

        return recorder.TryRecordDetached(category, action, TrackedValue.FromText(name), TrackedValue.FromNumber(value), userId);
    }
}
