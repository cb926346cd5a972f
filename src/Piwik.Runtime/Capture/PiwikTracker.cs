using Microsoft.AspNetCore.Http;

namespace Piwik.Capture;

/// <summary>The <see cref="IPiwikTracker"/> registered by <c>AddPiwikTracking</c>: checks the arguments, then hands the hit to the recorder.</summary>
internal sealed class PiwikTracker(RequestRecorder recorder) : IPiwikTracker
{
    public bool TrackEvent(HttpContext context, string category, string action, string? name = null, double? value = null, IReadOnlyList<PiwikDimension>? dimensions = null)
    {
        if (context is null || string.IsNullOrWhiteSpace(category) || string.IsNullOrWhiteSpace(action) || !HitExtras.TryNormalize(dimensions, out var normalized))
        {
            return false;
        }

        return normalized is null
            ? recorder.TryRecord(context, TrackedEventKind.Event, category, action, TrackedValue.FromText(name), TrackedValue.FromNumber(value))
            : recorder.TryRecordHit(context, TrackedEventKind.Event, category, action, TrackedValue.FromText(name), TrackedValue.FromNumber(value), HitExtras.ForDimensions(normalized));
    }

    public bool TrackEvent(string category, string action, string? name = null, double? value = null, string? userId = null, IReadOnlyList<PiwikDimension>? dimensions = null)
    {
        if (string.IsNullOrWhiteSpace(category) || string.IsNullOrWhiteSpace(action) || !HitExtras.TryNormalize(dimensions, out var normalized))
        {
            return false;
        }

        return recorder.TryRecordHitDetached(TrackedEventKind.Event, category, action, TrackedValue.FromText(name), TrackedValue.FromNumber(value), HitExtras.ForDimensions(normalized), userId);
    }

    public bool TrackPageView(HttpContext context, string title, TimeSpan? serverTime = null, IReadOnlyList<PiwikDimension>? dimensions = null)
    {
        if (context is null || string.IsNullOrWhiteSpace(title) || !HitExtras.TryNormalize(dimensions, out var normalized))
        {
            return false;
        }

        var time = serverTime is { } t ? TrackedValue.FromNumber(t.TotalMilliseconds) : TrackedValue.None;
        return recorder.TryRecordHit(context, TrackedEventKind.PageView, null, title, default, time, HitExtras.ForDimensions(normalized));
    }

    public bool TrackSearch(HttpContext context, string keyword, string? category = null, int? resultCount = null, IReadOnlyList<PiwikDimension>? dimensions = null)
    {
        if (context is null || string.IsNullOrWhiteSpace(keyword) || !HitExtras.TryNormalize(dimensions, out var normalized))
        {
            return false;
        }

        return recorder.TryRecordHit(context, TrackedEventKind.Search, category, keyword, default, TrackedValue.FromNumber(resultCount), HitExtras.ForDimensions(normalized));
    }

    public bool TrackGoal(HttpContext context, int goalId, decimal? revenue = null, IReadOnlyList<PiwikDimension>? dimensions = null) =>
        context is not null
        && Goal(goalId, revenue, dimensions) is { } goal
        && recorder.TryRecordHit(context, TrackedEventKind.Goal, null, "", default, default, goal);

    public bool TrackGoal(int goalId, decimal? revenue = null, string? userId = null, IReadOnlyList<PiwikDimension>? dimensions = null) =>
        Goal(goalId, revenue, dimensions) is { } goal
        && recorder.TryRecordHitDetached(TrackedEventKind.Goal, null, "", default, default, goal, userId);

    public bool TrackOrder(HttpContext context, PiwikOrder order, IReadOnlyList<PiwikDimension>? dimensions = null) =>
        context is not null
        && Order(order, dimensions) is { } extras
        && recorder.TryRecordHit(context, TrackedEventKind.Order, null, "", default, default, extras);

    public bool TrackOrder(PiwikOrder order, string? userId = null, IReadOnlyList<PiwikDimension>? dimensions = null) =>
        Order(order, dimensions) is { } extras
        && recorder.TryRecordHitDetached(TrackedEventKind.Order, null, "", default, default, extras, userId);

    private static HitExtras? Goal(int goalId, decimal? revenue, IReadOnlyList<PiwikDimension>? dimensions) =>
        goalId > 0 && HitExtras.TryNormalize(dimensions, out var normalized)
            ? new HitExtras { GoalId = goalId, Revenue = (double?)revenue, Dimensions = normalized }
            : null;

    /// <summary>The order's extras, or null when it has no id or a line has no SKU (Matomo would store nothing useful).</summary>
    private static HitExtras? Order(PiwikOrder order, IReadOnlyList<PiwikDimension>? dimensions)
    {
        if (order is null || string.IsNullOrWhiteSpace(order.Id) || !HitExtras.TryNormalize(dimensions, out var normalized))
        {
            return null;
        }

        var items = order.Items ?? [];
        var lines = new OrderLine[items.Count];
        for (var i = 0; i < lines.Length; i++)
        {
            if (items[i] is not { Sku: { } sku } item || string.IsNullOrWhiteSpace(sku))
            {
                return null;
            }

            lines[i] = new OrderLine(sku, item.Name, item.Category, (double)item.Price, item.Quantity);
        }

        return new HitExtras
        {
            OrderId = order.Id,
            Revenue = (double)order.Revenue,
            Subtotal = (double?)order.Subtotal,
            Tax = (double?)order.Tax,
            Shipping = (double?)order.Shipping,
            Discount = (double?)order.Discount,
            Lines = lines,
            Dimensions = normalized,
        };
    }
}
