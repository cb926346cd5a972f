extern alias generator;

using generator::Piwik.Shared;

namespace Piwik.Generator.Tests;

public sealed class TemplateParserTests
{
    [Fact]
    public void Single_placeholder_with_member_path()
    {
        var parsed = TemplateParser.Parse("{request.Plan.Name}");
        Assert.True(parsed.IsValid);
        Assert.True(parsed.IsSinglePlaceholder);
        var placeholder = Assert.Single(parsed.Segments);
        Assert.Equal(["request", "Plan", "Name"], placeholder.Path);
        Assert.Equal((0, 19), (placeholder.Start, placeholder.Length));
    }

    [Fact]
    public void Literals_escapes_and_placeholders_keep_their_spans()
    {
        var parsed = TemplateParser.Parse("a{{b}} {x}-{y.Z}");
        Assert.True(parsed.IsValid);
        Assert.Equal(
            ["L:a{b}  @0+7", "P:x @7+3", "L:- @10+1", "P:y.Z @11+5"],
            parsed.Segments.Select(s => $"{(s.IsPlaceholder ? "P" : "L")}:{s.Text} @{s.Start}+{s.Length}"));
    }

    [Theory]
    [InlineData("{", "UnbalancedOpenBrace", 0, 1)]
    [InlineData("ab{x", "UnbalancedOpenBrace", 2, 1)]
    [InlineData("{a{b}", "UnbalancedOpenBrace", 0, 1)]
    [InlineData("x}", "UnbalancedCloseBrace", 1, 1)]
    [InlineData("{}", "EmptyPlaceholder", 0, 2)]
    [InlineData("{a..b}", "InvalidIdentifier", 0, 6)]
    [InlineData("{ a }", "InvalidIdentifier", 0, 5)]
    [InlineData("{1a}", "InvalidIdentifier", 0, 4)]
    public void Errors_are_reported_with_their_span(string template, string errorName, int start, int length)
    {
        var error = Enum.Parse<TemplateError>(errorName);
        var parsed = TemplateParser.Parse(template);
        Assert.False(parsed.IsValid);
        Assert.Equal((error, start, length), (parsed.Error, parsed.ErrorStart, parsed.ErrorLength));
        Assert.Empty(parsed.Segments);
    }

    [Fact]
    public void Verbatim_identifiers_are_accepted()
    {
        var parsed = TemplateParser.Parse("{@class.@event}");
        Assert.True(parsed.IsValid);
        Assert.Equal(["@class", "@event"], parsed.Segments[0].Path);
    }
}
