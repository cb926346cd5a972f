namespace Piwik.Generator.Model;

/// <summary>One handler with <c>[TrackOrder]</c>, <c>[TrackSearch]</c> or <c>[TrackDimension]</c>, as the emitter needs it.</summary>
/// <param name="Description">Where the handler is, for a comment in the generated code.</param>
/// <param name="Key">The attributes' key (<see cref="Piwik.Shared.HitKey.Build"/>): the runtime finds the accessors under it.</param>
/// <param name="Parameters">The handler's parameters, in order.</param>
/// <param name="Accessors">One per template slot (<see cref="Piwik.Shared.HitKey"/>'s layout); null where there is no template or it does not bind.</param>
/// <param name="Items">The code of the order lines' accessor, or null (no <c>Items</c>, or one that does not bind).</param>
/// <param name="ReadsResult">Whether a bound template reads the handler's result.</param>
internal sealed record HitHandlerSpec(
    string Description,
    string Key,
    EquatableArray<HandlerParameterSpec> Parameters,
    EquatableArray<HitSlot> Accessors,
    string? Items,
    bool ReadsResult);

/// <summary>One template slot: its bound accessor, or null (no template, or one that does not bind).</summary>
/// <param name="Accessor">The accessor.</param>
internal sealed record HitSlot(AccessorSpec? Accessor);
