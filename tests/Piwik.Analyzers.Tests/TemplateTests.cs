using Piwik.Generator;

namespace Piwik.Analyzers.Tests;

/// <summary>PIWIK002-PIWIK006, PIWIK008 and PIWIK010: mistakes inside <c>[TrackAs]</c>.</summary>
public sealed class TemplateTests
{
    [Fact]
    public Task Placeholders_bind_to_handler_and_route_parameters() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/groups/{groupId}/join", [TrackAs("join", Name = "{groupId}")] (int groupId) => 1);
        app.MapPost("/groups/{slug}/leave", [TrackAs("leave", Name = "{SLUG} {{literal}}")] () => 1);
        app.MapGroup("/teams/{team}").MapPost("/x", [TrackAs("x", Name = "{team}", Value = "{amount}")] (decimal? amount) => 1);
        app.MapPost("/signup", [TrackAs("signup", Name = "{request.Plan.Name}", Value = "{request.Seats}")] (Signup request) => 1);
        app.MapGet("/value/{count:int}", [TrackAs("v", Value = "{count}")] () => 1);
        app.MapGet("/const", [TrackAs("c", Value = "2.5")] () => 1);

        record Plan(string Name);
        record Signup(Plan Plan, int Seats);
        """);

    [Fact]
    public Task Unknown_placeholder_in_a_lambda_is_reported_inside_the_template() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/orders/{id}", [TrackAs("x", Name = "order {|#0:{orderId}|}")] (int id) => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UnknownPlaceholder).WithLocation(0).WithArguments("orderId", "Name", "/orders/{id}", ""));

    [Fact]
    public Task Unknown_placeholder_of_a_method_is_reported_at_each_map_call() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/a/{id}", Handlers.Create);
        app.MapPost("/b", {|#0:Handlers.Create|});

        static class Handlers
        {
            [TrackAs("create", Name = "{id}")]
            public static int Create() => 1;
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UnknownPlaceholder).WithLocation(0).WithArguments("id", "Name", "/b", ""));

    [Fact]
    public Task Placeholder_differing_by_case_suggests_the_parameter() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/orders", [TrackAs("x", Value = "{|#0:{Total}|}")] (int total) => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UnknownPlaceholder).WithLocation(0).WithArguments("Total", "Value", "/orders", "; did you mean '{total}'?"));

    [Fact]
    public Task Unknown_placeholder_is_a_warning_of_its_own_when_an_outer_prefix_is_unseen() => Verify.Library("""
        using Piwik;

        public static class Endpoints
        {
            public static void Map(IEndpointRouteBuilder group) =>
                group.MapPost("/orders", [TrackAs("x", Name = "{|#0:{tenant}|}")] () => 1);
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.PlaceholderMaybeUnbound).WithLocation(0).WithArguments("tenant", "Name", "\u2026/orders", ""));

    [Fact]
    public Task Missing_members_are_named_with_their_type() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/a", [TrackAs("a", Name = "{|#0:{request.Plan.Title}|}")] (Signup request) => 1);
        app.MapPost("/b", [TrackAs("b", Name = "{|#1:{request.Secret}|}")] (Signup request) => 1);
        app.MapPost("/c/{id}", [TrackAs("c", Name = "{|#2:{id.Length}|}")] () => 1);
        app.MapPost("/d", [TrackAs("d", Name = "{request.Plan.Name.Length}", Value = "{request.Count}")] (Signup request) => 1);

        record Plan(string Name);
        class Signup
        {
            public Plan Plan { get; set; } = new("free");
            private string Secret => "";
            public int? Count;
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.MemberNotFound).WithLocation(0).WithArguments("request.Plan.Title", "Title", "'Plan'"),
        Verify.Diagnostic(DiagnosticDescriptors.MemberNotFound).WithLocation(1).WithArguments("request.Secret", "Secret", "'Signup'"),
        Verify.Diagnostic(DiagnosticDescriptors.MemberNotFound).WithLocation(2).WithArguments("id.Length", "Length", "route value 'id' (route values have no members)"));

    [Fact]
    public Task Value_must_be_numeric() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/a", [TrackAs("a", Value = "{|#0:{request.Plan}|}")] (Signup request) => 1);
        app.MapPost("/b", [TrackAs("b", Value = {|#1:"{request.Seats} seats"|})] (Signup request) => 1);
        app.MapPost("/c", [TrackAs("c", Value = {|#2:"many"|})] () => 1);
        app.MapPost("/d", [TrackAs("d", Value = "{request.Seats}")] (Signup request) => 1);

        record Signup(string Plan, long Seats);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.ValueNotNumeric).WithLocation(0).WithArguments("{request.Plan}", "'{request.Plan}' is of type 'string'"),
        Verify.Diagnostic(DiagnosticDescriptors.ValueNotNumeric).WithLocation(1).WithArguments("{request.Seats} seats", "a value is one placeholder or a number, not text with placeholders"),
        Verify.Diagnostic(DiagnosticDescriptors.ValueNotNumeric).WithLocation(2).WithArguments("many", "'many' is not a number"));

    [Fact]
    public Task Empty_action_category_and_failure_action_are_errors() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/a", [TrackAs({|#0:""|})] () => 1);
        app.MapPost("/b", [TrackAs("b", Category = {|#1:"  "|})] () => 1);
        app.MapPost("/c", [TrackAs("c", FailureAction = {|#2:""|})] () => 1);
        app.MapPost("/d", [TrackAs({|#3:null!|})] () => 1);
        app.MapPost("/e", [TrackAs("e", Category = null, Name = "")] () => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(0).WithArguments("action"),
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(1).WithArguments("Category"),
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(2).WithArguments("FailureAction"),
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(3).WithArguments("action"));

    [Fact]
    public Task TrackAs_and_DoNotTrack_together_are_an_error() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/a", [{|#0:TrackAs("a")|}, DoNotTrack] () => 1);
        app.MapPost("/b", Handlers.B);

        static class Handlers
        {
            [DoNotTrack]
            [{|#1:TrackAs("b")|}]
            public static int B() => 1;
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.TrackAsAndDoNotTrack).WithLocation(0).WithArguments("lambda"),
        Verify.Diagnostic(DiagnosticDescriptors.TrackAsAndDoNotTrack).WithLocation(1).WithArguments("Handlers.B"));

    [Fact]
    public Task Texts_longer_than_Matomo_stores_are_reported()
    {
        var longAction = new string('a', 1025);
        var fitting = new string('a', 1024);
        var longAccented = new string('é', 513); // 1026 UTF-8 bytes in 513 characters
        return Verify.Analyzer($$"""
            using Piwik;
            var app = WebApplication.Create();
            app.MapPost("/a", [TrackAs({|#0:"{{longAction}}"|})] () => 1);
            app.MapPost("/b", [TrackAs("{{fitting}}")] () => 1);
            app.MapPost("/c", [TrackAs("c", Category = {|#1:"{{longAccented}}"|})] () => 1);
            app.MapPost("/d/{id}", [TrackAs("d", Name = {|#2:"{{longAction}} {id}"|})] () => 1);
            """,
            Verify.Diagnostic(DiagnosticDescriptors.LiteralTooLong).WithLocation(0).WithArguments("action", 1025, 1024),
            Verify.Diagnostic(DiagnosticDescriptors.LiteralTooLong).WithLocation(1).WithArguments("Category", 1026, 1024),
            Verify.Diagnostic(DiagnosticDescriptors.LiteralTooLong).WithLocation(2).WithArguments("Name", 1026, 1024));
    }

    [Fact]
    public Task Malformed_templates_are_reported() => Verify.Analyzer("""
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/a/{id}", [TrackAs("a", Name = "x {|#0:{|}id")] () => 1);
        app.MapPost("/b", [TrackAs("b", Name = "x {|#1:}|}")] () => 1);
        app.MapPost("/c", [TrackAs("c", Name = "{|#2:{}|}")] () => 1);
        app.MapPost("/d", [TrackAs("d", Value = "{|#3:{a..b}|}")] () => 1);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.InvalidTemplate).WithLocation(0).WithArguments("Name", "x {id", "'{' has no matching '}' (write '{{' for a literal brace)"),
        Verify.Diagnostic(DiagnosticDescriptors.InvalidTemplate).WithLocation(1).WithArguments("Name", "x }", "'}' has no matching '{' (write '}}' for a literal brace)"),
        Verify.Diagnostic(DiagnosticDescriptors.InvalidTemplate).WithLocation(2).WithArguments("Name", "{}", "'{}' names nothing"),
        Verify.Diagnostic(DiagnosticDescriptors.InvalidTemplate).WithLocation(3).WithArguments("Value", "{a..b}", "a placeholder must be a parameter name, optionally followed by .Member names"));

    // Lambdas and local functions are checked from their operations (the attribute comes from the handler symbol), methods
    // from the attribute's syntax: the same checks, wherever the handler is written and however the attribute is named.
    [Fact]
    public Task Attribute_checks_follow_aliases_on_every_kind_of_handler() => Verify.Analyzer("""
        using T = Piwik.TrackAsAttribute;
        using Piwik;
        var app = WebApplication.Create();
        app.MapPost("/a", [T({|#0:""|})] () => 1);
        app.MapPost("/b", [TrackAsAttribute({|#1:""|})] () => 1);
        app.MapPost("/c", [Piwik.TrackAs({|#2:""|})] () => 1);
        app.MapPost("/d", Local);
        [T({|#3:""|})] int Local() => 1;
        app.MapPost("/e", Handlers.E);

        static class Handlers
        {
            [T({|#4:""|})] public static int E() => 1;
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(0).WithArguments("action"),
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(1).WithArguments("action"),
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(2).WithArguments("action"),
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(3).WithArguments("action"),
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(4).WithArguments("action"));

    [Fact]
    public Task A_TrackAs_attribute_of_another_namespace_is_not_checked() => Verify.Analyzer("""
        using Mine;
        var app = WebApplication.Create();
        app.MapPost("/a", [TrackAs("", Name = "{nothing}")] () => 1).ExcludeFromDescription();
        Func<int> stored = [TrackAs("")] () => 1;
        [TrackAs("")] int Local() => 1;
        _ = Local();

        namespace Mine
        {
            [AttributeUsage(AttributeTargets.Method)]
            sealed class TrackAsAttribute(string action) : Attribute
            {
                public string Action { get; } = action;
                public string? Name { get; set; }
            }
        }
        """,
        Verify.Diagnostic(DiagnosticDescriptors.UntrackedRoute).WithLocation(3, 5).WithArguments("POST /a", ""));

    [Fact]
    public Task Handlers_outside_top_level_statements_and_map_calls_are_checked() => Verify.Analyzer("""
        using Piwik;
        var notMapped = [TrackAs({|#0:""|})] () => 1;
        Func<Func<Order, int>> outer = () => [TrackAs("inner", Name = "{|#1:{order.Missing}|}")] (Order order) => 1;
        [DoNotTrack] [{|#2:TrackAs("local")|}] int Both() => 1;
        _ = Both();

        class Routes
        {
            public void Map(WebApplication app)
            {
                app.MapGet("/x/{id}", [TrackAs("x", Value = {|#3:"many"|})] (int id) => id);
                void Nested()
                {
                    app.MapGet("/y", [TrackAs("y", Category = {|#4:""|})] () => 1);
                }

                Nested();
            }

            private readonly Func<int> _field = [TrackAs({|#5:""|})] () => 1;
        }

        record Order(int Id);
        """,
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(0).WithArguments("action"),
        Verify.Diagnostic(DiagnosticDescriptors.MemberNotFound).WithLocation(1).WithArguments("order.Missing", "Missing", "'Order'"),
        Verify.Diagnostic(DiagnosticDescriptors.TrackAsAndDoNotTrack).WithLocation(2).WithArguments("Both"),
        Verify.Diagnostic(DiagnosticDescriptors.TrackAsNotAnEndpoint).WithLocation(2).WithArguments("Both", ""),
        Verify.Diagnostic(DiagnosticDescriptors.ValueNotNumeric).WithLocation(3).WithArguments("many", "'many' is not a number"),
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(4).WithArguments("Category"),
        Verify.Diagnostic(DiagnosticDescriptors.EmptyEventPart).WithLocation(5).WithArguments("action"));
}
