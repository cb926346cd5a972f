using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace Piwik.Configuration;

/// <summary>
/// An option's inclusive bounds: an integer's, or a <see cref="TimeSpan"/>'s given as <c>c</c>-format strings. Instead
/// of <see cref="RangeAttribute"/>: the options validator generator's copy of it drops <c>ErrorMessage</c> (so the
/// message could not name the configuration key), and a TimeSpan range needs a type converter that trimming removes.
/// Message placeholders: {0} the member, {1} the minimum, {2} the maximum.
/// </summary>
[AttributeUsage(AttributeTargets.Property)]
internal sealed class WithinAttribute : ValidationAttribute
{
    /// <summary>Bounds of an <see cref="int"/> or <see cref="long"/> option.</summary>
    public WithinAttribute(long minimum, long maximum)
    {
        Minimum = minimum;
        Maximum = maximum;
    }

    /// <summary>Bounds of a <see cref="TimeSpan"/> option, such as <c>"00:00:00.001"</c> and <c>"01:00:00"</c>.</summary>
    public WithinAttribute(string minimum, string maximum)
    {
        Minimum = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);
        Maximum = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);
    }

    public object Minimum { get; }

    public object Maximum { get; }

    public override bool IsValid(object? value) => (value, Minimum, Maximum) switch
    {
        (int n, long min, long max) => n >= min && n <= max,
        (long n, long min, long max) => n >= min && n <= max,
        (TimeSpan t, TimeSpan min, TimeSpan max) => t >= min && t <= max,
        _ => false,
    };

    public override string FormatErrorMessage(string name) =>
        string.Format(CultureInfo.InvariantCulture, ErrorMessageString, name, Minimum, Maximum);
}
