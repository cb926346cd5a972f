using System.Runtime.CompilerServices;

namespace Piwik.Generator.Tests;

/// <summary>
/// The generated code, compared with reviewed baselines in <c>Snapshots/</c>. Set <c>PIWIK_UPDATE_SNAPSHOTS=1</c> to
/// rewrite the baselines after an intended change, then review the diff.
/// </summary>
public sealed class SnapshotTests
{
    [Fact]
    public void App_with_every_handler_shape() => Verify(TestSources.App);

    [Fact]
    public void Template_shapes_and_unbindable_templates() => Verify("""
        namespace Shapes;

        public sealed class Cart
        {
            public int Count;
            public double? Total { get; init; }
            public Customer Customer { get; init; } = new();
            public Guid Id { get; init; }
        }

        public sealed class Customer
        {
            public string? Name { get; init; }
            public DateTime Since { get; init; }
        }

        public static class Endpoints
        {
            public static void Map(WebApplication app)
            {
                app.MapPost("/carts/{cartId}", [TrackAs("checkout", Name = "{cart.Customer.Name}", Value = "{cart.Total}")] (string cartId, Cart cart) => Results.Ok());
                app.MapPost("/count", [TrackAs("count", Name = "{cart.Id}", Value = "{cart.Count}")] (Cart cart) => Results.Ok());
                app.MapGet("/since", [TrackAs("since", Name = "{{literal}} {cart.Customer.Since} in {region}")] (Cart cart) => Results.Ok());
                app.MapGet("/r/{page}", [TrackAs("page", Name = "constant", Value = "{page}")] () => Results.Ok());
                app.MapGet("/two", [TrackAs("two", Value = "2.5")] () => Results.Ok());
                // Unbindable: the analyzer reports them; the generator emits no accessor.
                app.MapGet("/bad1", [TrackAs("bad1", Name = "{cart.Nope}", Value = "{cart.Customer}")] (Cart cart) => Results.Ok());
                app.MapGet("/bad2", [TrackAs("bad2", Name = "{unclosed", Value = "plan-{cart.Count}")] (Cart cart) => Results.Ok());
            }
        }

        internal static class Hidden
        {
            private sealed record Secret(string Value);

            // A parameter type generated code cannot name: no registration (the runtime falls back to the attribute).
            private static void Map(WebApplication app) =>
                app.MapPost("/secret", [TrackAs("secret")] (Secret secret) => Results.Ok());
        }
        """);

    private static void Verify(string source, [CallerMemberName] string name = "")
    {
        var (_, run) = GeneratorHarness.Generate(GeneratorHarness.CreateCompilation("Snapshot_" + name, source));
        VerifyText(GeneratorHarness.PiwikOutput(run)!, name);
    }

    /// <summary>Compares generated text with the baseline <c>Snapshots/{name}.g.cs</c> (or rewrites it with <c>PIWIK_UPDATE_SNAPSHOTS=1</c>).</summary>
    internal static void VerifyText(string generated, string name)
    {
        var actual = generated.ReplaceLineEndings("\n");
        var path = Path.Combine(SnapshotDirectory(), name + ".g.cs");
        if (Environment.GetEnvironmentVariable("PIWIK_UPDATE_SNAPSHOTS") == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }

        Assert.True(File.Exists(path), $"No baseline {path}: run the tests with PIWIK_UPDATE_SNAPSHOTS=1 and review it.");
        Assert.Equal(File.ReadAllText(path).ReplaceLineEndings("\n"), actual);
    }

    private static string SnapshotDirectory([CallerFilePath] string thisFile = "") =>
        Path.Combine(Path.GetDirectoryName(thisFile)!, "Snapshots");
}
