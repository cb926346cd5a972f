using Microsoft.AspNetCore.Http;

namespace Piwik.Endpoints;

/// <summary>
/// Hands a handler's invocation context from <see cref="TrackedEndpointFilter"/> (which alone sees the arguments, and
/// runs only when binding succeeded) to <see cref="FilteredRequestDelegate"/> around the same endpoint, which records
/// once the response is complete and its status final.
/// </summary>
/// <remarks>
/// Usually the filter runs on the wrapper's thread, inside its call to the endpoint's delegate: the context then goes
/// through a slot of that thread, which costs a few nanoseconds and allocates nothing. The wrapper marks the slot with
/// its <see cref="HttpContext"/> before the call and takes the slot back after it (restoring what a nested request on
/// the same thread had there). When the filter runs later, on another thread (the delegate awaited the request body
/// first), it finds the slot marked for another request, or for none, and sets a request feature instead.
/// </remarks>
internal static class InvocationHandoff
{
    [ThreadStatic]
    private static Slot t_slot;

    /// <summary>Marks this thread's slot for a request about to enter the endpoint's delegate; returns what it held.</summary>
    public static Slot Enter(HttpContext context)
    {
        ref var slot = ref t_slot;
        var saved = slot;
        slot = new Slot(context, null);
        return saved;
    }

    /// <summary>Takes back the slot once the endpoint's delegate has returned: the invocation left in it for this request, if any.</summary>
    public static EndpointFilterInvocationContext? Exit(HttpContext context, in Slot saved)
    {
        ref var slot = ref t_slot;
        var invocation = ReferenceEquals(slot.Context, context) ? slot.Invocation : null;
        slot = saved;
        return invocation;
    }

    /// <summary>Called by the filter when the handler is about to run.</summary>
    public static void Leave(EndpointFilterInvocationContext invocation)
    {
        ref var slot = ref t_slot;
        var context = invocation.HttpContext;
        if (ReferenceEquals(slot.Context, context))
        {
            slot = new Slot(context, invocation);
        }
        else
        {
            context.Features.Set(new LeftInvocation(invocation));
        }
    }

    /// <summary>The invocation the filter left as a request feature (it ran on another thread), or null: the handler did not run.</summary>
    public static EndpointFilterInvocationContext? Find(HttpContext context) => context.Features.Get<LeftInvocation>()?.Invocation;

    internal readonly record struct Slot(HttpContext? Context, EndpointFilterInvocationContext? Invocation);

    private sealed record LeftInvocation(EndpointFilterInvocationContext Invocation);
}
