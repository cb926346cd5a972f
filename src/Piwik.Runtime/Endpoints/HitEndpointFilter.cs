using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Piwik.Capture;
using Piwik.Diagnostics;
using Piwik.Infrastructure;
using Piwik.Shared;

namespace Piwik.Endpoints;

/// <summary>
/// The endpoint filter of a handler with <see cref="TrackOrderAttribute"/>, <see cref="TrackSearchAttribute"/> or
/// <see cref="TrackDimensionAttribute"/>: once the handler has run it reads the templates through the generated
/// accessors (as cheap as reading arguments), and when the answer is final records, each as its own Matomo request, the
/// handler's <see cref="TrackAsAttribute"/> event (on 2xx, or its failure action on 4xx), its order and its search (on
/// 2xx), all with the handler's dimensions. Matomo stores only the conversion of a request that carries both an event
/// and a goal, hence separate requests. User exceptions pass through and record nothing.
/// </summary>
internal sealed class HitEndpointFilter
{
    private static readonly Func<object, Task> CompletedCallback = OnCompletedAsync;

    private readonly TrackedHandler? _event;
    private readonly Func<EndpointFilterInvocationContext, TrackedValue>?[] _accessors;
    private readonly bool _order;
    private readonly bool _search;
    private readonly int[] _dimensionIds;
    private readonly RequestRecorder _recorder;
    private readonly PiwikMetrics _metrics;
    private readonly EndpointFilterDelegate _next;

    public HitEndpointFilter(TrackedHandler? trackedEvent, HitHandler? generated, HitAttributes attributes, RequestRecorder recorder, PiwikMetrics metrics, EndpointFilterDelegate next)
    {
        _event = trackedEvent;
        _accessors = generated?.Accessors ?? new Func<EndpointFilterInvocationContext, TrackedValue>?[HitKey.FirstDimension + attributes.Dimensions.Count];
        _order = attributes.Order is not null;
        _search = attributes.Search is not null;
        _dimensionIds = attributes.Dimensions.Select(static d => d.Key).ToArray();
        _recorder = recorder;
        _metrics = metrics;
        _next = next;
    }

    public ValueTask<object?> InvokeAsync(EndpointFilterInvocationContext context)
    {
        var pending = _next(context);
        if (!pending.IsCompletedSuccessfully)
        {
            return AwaitAsync(context, pending);
        }

        var result = pending.Result;
        Complete(context, result);
        return ValueTask.FromResult(result);
    }

    private async ValueTask<object?> AwaitAsync(EndpointFilterInvocationContext context, ValueTask<object?> pending)
    {
        var result = await pending.ConfigureAwait(false);
        Complete(context, result);
        return result;
    }

    private void Complete(EndpointFilterInvocationContext context, object? result)
    {
        try
        {
            var httpContext = context.HttpContext;
            if (!_recorder.IsAllowed(httpContext))
            {
                return; // an opted-out request reads no template
            }

            // Read now, while the handler's objects are certainly as the handler left them.
            var hits = Read(context);
            if (StatusOf(result) is { } status)
            {
                Record(httpContext, status, hits);
                return;
            }

            httpContext.Response.OnCompleted(CompletedCallback, hits);
        }
        catch (Exception)
        {
            // An accessor or the response failed: tracking never breaks the request.
            _metrics.AddDropped(DropReason.CaptureFailed);
        }
    }

    private Hits Read(EndpointFilterInvocationContext context)
    {
        var hits = new Hits(this, context.HttpContext);
        if (_event is { } trackedEvent)
        {
            hits.Name = trackedEvent.Name is null ? TrackedValue.None : trackedEvent.Name(context);
            hits.Value = trackedEvent.Value is null ? TrackedValue.None : trackedEvent.Value(context);
        }

        if (_dimensionIds.Length > 0)
        {
            var dimensions = new List<PiwikDimension>(_dimensionIds.Length);
            for (var i = 0; i < _dimensionIds.Length; i++)
            {
                if (Text(Slot(HitKey.FirstDimension + i, context)) is { Length: > 0 } value)
                {
                    dimensions.Add(new PiwikDimension(_dimensionIds[i], value));
                }
            }

            hits.Dimensions = dimensions.Count == 0 ? null : [.. dimensions];
        }

        if (_order && Text(Slot(HitKey.OrderId, context)) is { Length: > 0 } orderId)
        {
            hits.Order = new HitExtras
            {
                OrderId = orderId,
                Revenue = Number(Slot(HitKey.Revenue, context)),
                Subtotal = Number(Slot(HitKey.Subtotal, context)),
                Tax = Number(Slot(HitKey.Tax, context)),
                Shipping = Number(Slot(HitKey.Shipping, context)),
                Discount = Number(Slot(HitKey.Discount, context)),
                Dimensions = hits.Dimensions,
            };
        }

        if (_search && Text(Slot(HitKey.Keyword, context)) is { Length: > 0 } keyword)
        {
            hits.Keyword = keyword;
            hits.SearchCategory = Text(Slot(HitKey.SearchCategory, context));
            hits.Count = Slot(HitKey.Count, context);
        }

        return hits;
    }

    private void Record(HttpContext context, int status, Hits hits)
    {
        var dimensions = HitExtras.ForDimensions(hits.Dimensions);
        if (_event is { } trackedEvent && (status is >= 200 and < 300 ? trackedEvent.Action : status is >= 400 and < 500 ? trackedEvent.FailureAction : null) is { } action)
        {
            _recorder.TryRecordAllowed(context, TrackedEventKind.Event, trackedEvent.Category, action, hits.Name, hits.Value, dimensions);
        }

        if (status is < 200 or >= 300)
        {
            return;
        }

        if (hits.Order is { } order)
        {
            _recorder.TryRecordAllowed(context, TrackedEventKind.Order, null, "", default, default, order);
        }

        if (hits.Keyword is { } keyword)
        {
            _recorder.TryRecordAllowed(context, TrackedEventKind.Search, hits.SearchCategory, keyword, default, hits.Count, dimensions);
        }
    }

    /// <summary>The status a result will write, or null when it does not say (the response then decides).</summary>
    private static int? StatusOf(object? result)
    {
        while (result is INestedHttpResult nested)
        {
            result = nested.Result;
        }

        return result is IStatusCodeHttpResult statusResult ? statusResult.StatusCode ?? StatusCodes.Status200OK : null;
    }

    private TrackedValue Slot(int slot, EndpointFilterInvocationContext context) =>
        _accessors[slot] is { } accessor ? accessor(context) : TrackedValue.None;

    private static string? Text(TrackedValue value) => value.IsNone ? null : value.ToString();

    /// <summary>A number as captured (a non-finite one stays so, for the sender to drop with its reason), or null.</summary>
    private static double? Number(TrackedValue value) => value.IsNumber ? value.Number : null;

    private static Task OnCompletedAsync(object state)
    {
        var hits = (Hits)state;
        try
        {
            hits.Filter.Record(hits.Context, hits.Context.Response.StatusCode, hits);
        }
        catch (Exception)
        {
            hits.Filter._metrics.AddDropped(DropReason.CaptureFailed);
        }

        return Task.CompletedTask;
    }

    /// <summary>What one request's templates read, kept until its status is final.</summary>
    private sealed class Hits(HitEndpointFilter filter, HttpContext context)
    {
        public HitEndpointFilter Filter { get; } = filter;

        public HttpContext Context { get; } = context;

        public TrackedValue Name { get; set; }

        public TrackedValue Value { get; set; }

        public PiwikDimension[]? Dimensions { get; set; }

        public HitExtras? Order { get; set; }

        public string? Keyword { get; set; }

        public string? SearchCategory { get; set; }

        public TrackedValue Count { get; set; }
    }
}
