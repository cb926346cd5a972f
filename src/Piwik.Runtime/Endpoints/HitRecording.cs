using Microsoft.AspNetCore.Http;
using Piwik.Capture;
using Piwik.Diagnostics;
using Piwik.Infrastructure;
using Piwik.Shared;

namespace Piwik.Endpoints;

/// <summary>
/// The recording of a handler with <see cref="TrackOrderAttribute"/>, <see cref="TrackSearchAttribute"/> or
/// <see cref="TrackDimensionAttribute"/>: once the response is complete and its status final, it reads
/// the templates through the generated accessors (as cheap as reading arguments) and records, each as its own Matomo
/// request, the handler's <see cref="TrackAsAttribute"/> event (on 2xx, or its failure action on 4xx), its order and
/// its search (on 2xx), all with the handler's dimensions. Matomo stores only the conversion of a request that carries
/// both an event and a goal, hence separate requests.
/// </summary>
internal sealed class HitRecording : IEndpointRecording
{
    private readonly TrackedHandler? _event;
    private readonly Func<EndpointFilterInvocationContext, TrackedValue>?[] _accessors;
    private readonly Func<EndpointFilterInvocationContext, TrackedOrderLine[]?>? _items;
    private readonly bool _order;
    private readonly bool _search;
    private readonly bool _redirectIsSuccess;
    private readonly int[] _dimensionIds;
    private readonly RequestRecorder _recorder;
    private readonly PiwikMetrics _metrics;

    public HitRecording(TrackedHandler? trackedEvent, bool redirectIsSuccess, HitHandler? generated, HitAttributes attributes, RequestRecorder recorder)
    {
        _event = trackedEvent;
        _redirectIsSuccess = redirectIsSuccess;
        _accessors = generated?.Accessors ?? new Func<EndpointFilterInvocationContext, TrackedValue>?[HitKey.FirstDimension + attributes.Dimensions.Count];
        _items = generated?.Items;
        _order = attributes.Order is not null;
        _search = attributes.Search is not null;
        _dimensionIds = attributes.Dimensions.Select(static d => d.Key).ToArray();
        _recorder = recorder;
        _metrics = recorder.Metrics;
    }

    public void Record(HttpContext context, int status, EndpointFilterInvocationContext? invocation)
    {
        var success = ResponseOutcome.IsSuccess(status, _redirectIsSuccess);
        var action = _event is null ? null : success ? _event.Action : ResponseOutcome.IsFailure(status) ? _event.FailureAction : null;
        if ((!success && action is null) || (invocation ?? InvocationHandoff.Find(context)) is not { } run)
        {
            return; // nothing to record for this status, or the handler never ran (binding failed)
        }

        try
        {
            if (!_recorder.IsAllowed(context))
            {
                return; // an opted-out request reads no template
            }

            var dimensions = ReadDimensions(run);
            var withDimensions = HitExtras.ForDimensions(dimensions);
            if (action is not null)
            {
                var name = _event!.Name is null ? TrackedValue.None : _event.Name(run);
                var value = _event.Value is null ? TrackedValue.None : _event.Value(run);
                _recorder.TryRecordAllowed(context, TrackedEventKind.Event, _event.Category, action, name, value, withDimensions);
            }

            if (!success)
            {
                return;
            }

            if (_order && Text(Slot(HitKey.OrderId, run)) is { Length: > 0 } orderId)
            {
                var order = new HitExtras
                {
                    OrderId = orderId,
                    Revenue = Number(Slot(HitKey.Revenue, run)),
                    Subtotal = Number(Slot(HitKey.Subtotal, run)),
                    Tax = Number(Slot(HitKey.Tax, run)),
                    Shipping = Number(Slot(HitKey.Shipping, run)),
                    Discount = Number(Slot(HitKey.Discount, run)),
                    Lines = TrackedOrderLine.ToOrderLines(_items?.Invoke(run)),
                    Dimensions = dimensions,
                };
                _recorder.TryRecordAllowed(context, TrackedEventKind.Order, null, "", default, default, order);
            }

            if (_search && Text(Slot(HitKey.Keyword, run)) is { Length: > 0 } keyword)
            {
                _recorder.TryRecordAllowed(context, TrackedEventKind.Search, Text(Slot(HitKey.SearchCategory, run)), keyword, default, Slot(HitKey.Count, run), withDimensions);
            }
        }
        catch (Exception)
        {
            // An accessor failed: tracking never breaks the request.
            _metrics.AddDropped(DropReason.CaptureFailed);
        }
    }

    private PiwikDimension[]? ReadDimensions(EndpointFilterInvocationContext run)
    {
        if (_dimensionIds.Length == 0)
        {
            return null;
        }

        var dimensions = new List<PiwikDimension>(_dimensionIds.Length);
        for (var i = 0; i < _dimensionIds.Length; i++)
        {
            if (Text(Slot(HitKey.FirstDimension + i, run)) is { Length: > 0 } value)
            {
                dimensions.Add(new PiwikDimension(_dimensionIds[i], value));
            }
        }

        return dimensions.Count == 0 ? null : [.. dimensions];
    }

    private TrackedValue Slot(int slot, EndpointFilterInvocationContext context) =>
        _accessors[slot] is { } accessor ? accessor(context) : TrackedValue.None;

    private static string? Text(TrackedValue value) => value.IsNone ? null : value.ToString();

    /// <summary>A number as captured (a non-finite one stays so, for the sender to drop with its reason), or null.</summary>
    private static double? Number(TrackedValue value) => value.IsNumber ? value.Number : null;
}
