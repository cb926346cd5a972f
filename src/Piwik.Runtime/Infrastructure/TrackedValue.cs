using System.ComponentModel;
using System.Globalization;

namespace Piwik.Infrastructure;

/// <summary>
/// A value captured for an event's name or value: text or a number, kept as it is until the background sender formats
/// it, so capturing it on the request path allocates nothing.
/// </summary>
/// <remarks>Infrastructure for the code the Piwik source generator emits; not meant to be used directly.</remarks>
[EditorBrowsable(EditorBrowsableState.Never)]
public readonly struct TrackedValue : IEquatable<TrackedValue>
{
    private readonly string? _text;
    private readonly double _number;
    private readonly byte _kind; // 0 none, 1 text, 2 number

    private TrackedValue(string? text, double number, byte kind)
    {
        _text = text;
        _number = number;
        _kind = kind;
    }

    /// <summary>No value.</summary>
    public static TrackedValue None => default;

    /// <summary>Whether there is no value.</summary>
    public bool IsNone => _kind == 0;

    /// <summary>Whether the value is a number.</summary>
    public bool IsNumber => _kind == 2;

    /// <summary>The text, when the value is text.</summary>
    public string? Text => _kind == 1 ? _text : null;

    /// <summary>The number, when the value is a number.</summary>
    public double Number => _number;

    /// <summary>Captures text; <c>null</c> becomes <see cref="None"/>.</summary>
    public static TrackedValue FromText(string? text) => text is null ? default : new TrackedValue(text, 0, 1);

    /// <summary>Captures a number. NaN and infinities become <see cref="None"/>: Matomo cannot store them.</summary>
    public static TrackedValue FromNumber(double number) => double.IsFinite(number) ? new TrackedValue(null, number, 2) : default;

    /// <summary>Captures a nullable number.</summary>
    public static TrackedValue FromNumber(double? number) => number is { } n ? FromNumber(n) : default;

    /// <summary>The value as Matomo receives it (numbers in invariant culture), or <c>null</c> for <see cref="None"/>.</summary>
    public override string? ToString() => _kind switch
    {
        1 => _text,
        2 => _number.ToString("R", CultureInfo.InvariantCulture),
        _ => null,
    };

    /// <inheritdoc/>
    public bool Equals(TrackedValue other) => _kind == other._kind && _number.Equals(other._number) && string.Equals(_text, other._text, StringComparison.Ordinal);

    /// <inheritdoc/>
    public override bool Equals(object? obj) => obj is TrackedValue other && Equals(other);

    /// <inheritdoc/>
    public override int GetHashCode() => HashCode.Combine(_kind, _number, _text);

    /// <summary>Equality.</summary>
    public static bool operator ==(TrackedValue left, TrackedValue right) => left.Equals(right);

    /// <summary>Inequality.</summary>
    public static bool operator !=(TrackedValue left, TrackedValue right) => !left.Equals(right);
}
