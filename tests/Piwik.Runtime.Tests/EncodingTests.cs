using System.Buffers;
using System.Net;
using Piwik.Capture;
using Piwik.Encoding;
using Piwik.Testing;

namespace Piwik.Runtime.Tests;

public class EncodingTests
{
    private static readonly long Now = new DateTime(2026, 11, 23, 12, 0, 0, DateTimeKind.Utc).Ticks;

    internal static TrackedEntry Encode(TrackedEvent e, PiwikOptions? options = null, bool includeIp = true)
    {
        var encoder = new EntryEncoder(options ?? new PiwikOptions { VisitorIdSecret = "0123456789abcdef-secret" });
        var buffer = new ArrayBufferWriter<byte>();
        encoder.Encode(e, encoder.VisitorId(e), includeIp, buffer);
        var raw = System.Text.Encoding.ASCII.GetString(buffer.WrittenSpan);
        Assert.All(raw, c => Assert.InRange(c, (char)0x21, (char)0x7E)); // printable ASCII only: nothing raw reaches Matomo
        return TrackedEntry.Parse(raw);
    }

    internal static TrackedEvent Event(
        string category = "account",
        string action = "signup",
        TrackedValue name = default,
        TrackedValue value = default,
        string? userAgent = "Mozilla/5.0",
        string? language = "fr-CH, en;q=0.8",
        string? referrer = "https://example.com/from?x=1",
        string? path = "/signup",
        string? query = null,
        IPAddress? ip = null,
        string? userId = null,
        long? ticks = null,
        string host = "app.example.com") =>
        new(TrackedEventKind.Event, ticks ?? Now, category, action, name, value,
            new RequestSnapshot(true, host, "", path, query, userAgent, language, referrer, ip ?? IPAddress.Parse("203.0.113.77")), userId);

    [Fact]
    public void Event_carries_every_parameter_matomo_needs()
    {
        var entry = Encode(Event(name: TrackedValue.FromText("pro plan"), value: TrackedValue.FromNumber(12.5)));

        Assert.Equal("1", entry["idsite"]);
        Assert.Equal("1", entry["rec"]);
        Assert.Equal("1", entry["apiv"]);
        Assert.Equal("https://app.example.com/signup", entry["url"]);
        Assert.Equal("account", entry["e_c"]);
        Assert.Equal("signup", entry["e_a"]);
        Assert.Equal("pro plan", entry["e_n"]);
        Assert.Equal("12.5", entry["e_v"]);
        Assert.Equal("1", entry["ca"]);
        Assert.Equal("Mozilla/5.0", entry["ua"]);
        Assert.Equal("fr-CH, en;q=0.8", entry["lang"]);
        Assert.Equal("https://example.com/from", entry["urlref"]); // the referrer's query string is left out too
        Assert.Equal(((Now - DateTime.UnixEpoch.Ticks) / TimeSpan.TicksPerSecond).ToString(System.Globalization.CultureInfo.InvariantCulture), entry["cdt"]);
        Assert.Matches("^[0-9a-f]{16}$", entry["cid"]);
        Assert.False(entry.Has("cip")); // no token configured
        Assert.False(entry.Has("uid"));
        Assert.False(entry.Has("action_name"));
    }

    [Fact]
    public void Absent_values_are_left_out_not_sent_empty()
    {
        var entry = Encode(Event(userAgent: null, language: null, referrer: null));
        Assert.False(entry.Has("ua"));
        Assert.False(entry.Has("lang"));
        Assert.False(entry.Has("urlref"));
        Assert.False(entry.Has("e_n"));
        Assert.False(entry.Has("e_v"));
    }

    [Theory]
    [InlineData("de-DE")]
    [InlineData("fr-FR")]
    [InlineData("ar-SA")]
    public void Numbers_use_invariant_culture_whatever_the_thread_culture(string culture)
    {
        var previous = Thread.CurrentThread.CurrentCulture;
        Thread.CurrentThread.CurrentCulture = new System.Globalization.CultureInfo(culture);
        try
        {
            var entry = Encode(Event(value: TrackedValue.FromNumber(1234.5), name: TrackedValue.FromNumber(-0.25)));
            Assert.Equal("1234.5", entry["e_v"]);
            Assert.Equal("-0.25", entry["e_n"]);
        }
        finally
        {
            Thread.CurrentThread.CurrentCulture = previous;
        }
    }

    [Fact]
    public void Huge_numbers_with_exponent_keep_their_plus_sign()
    {
        var entry = Encode(Event(value: TrackedValue.FromNumber(1e21)));
        Assert.Equal("1E+21", entry["e_v"]);
        Assert.Equal(1e21, double.Parse(entry["e_v"], System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void NaN_and_infinity_are_not_sent()
    {
        Assert.False(Encode(Event(value: TrackedValue.FromNumber(double.NaN))).Has("e_v"));
        Assert.False(Encode(Event(value: TrackedValue.FromNumber(double.PositiveInfinity))).Has("e_v"));
    }

    [Theory]
    [InlineData("a&e_c=evil", "a&e_c=evil")]
    [InlineData("x=1&idsite=99", "x=1&idsite=99")]
    [InlineData("100% + more #1 ?q", "100% + more #1 ?q")]
    [InlineData("line1\r\nSet-Cookie: x", "line1  Set-Cookie: x")]
    [InlineData("tab\there\0nul\u007fdel\u0085nel", "tab here nul del nel")]
    [InlineData("emoji 🔐 ok", "emoji 🔐 ok")]
    public void Hostile_text_is_cleaned_and_cannot_inject_parameters(string hostile, string expected)
    {
        var entry = Encode(Event(name: TrackedValue.FromText(hostile), userAgent: hostile, category: hostile));
        Assert.Equal(expected, entry["e_n"]);
        Assert.Equal(expected, entry["ua"]);
        Assert.Equal(expected, entry["e_c"]);
        Assert.Equal("1", entry["idsite"]);
        Assert.Equal("signup", entry["e_a"]);
    }

    [Fact]
    public void Lone_surrogates_become_replacement_characters()
    {
        // Built in code: theory data would be re-encoded by the test runner before it reaches the test.
        var high = "lone " + (char)0xD800 + " high";
        var low = "lone " + (char)0xDC00 + " low";
        var reversed = "pair " + (char)0xDC00 + (char)0xD800 + " reversed";
        Assert.Equal("lone \ufffd high", Encode(Event(name: TrackedValue.FromText(high)))["e_n"]);
        Assert.Equal("lone \ufffd low", Encode(Event(name: TrackedValue.FromText(low)))["e_n"]);
        Assert.Equal("pair \ufffd\ufffd reversed", Encode(Event(name: TrackedValue.FromText(reversed)))["e_n"]);
    }

    [Fact]
    public void A_100_KB_user_agent_is_cut_to_the_limit_on_a_character_boundary()
    {
        // 3-byte characters so that the 1024-byte cut falls inside one if done bytewise.
        var ua = new string('€', 100 * 1024);
        var entry = Encode(Event(userAgent: ua));
        var sent = entry["ua"];
        Assert.True(System.Text.Encoding.UTF8.GetByteCount(sent) <= MatomoLimits.UserAgent);
        Assert.Equal(MatomoLimits.UserAgent / 3, sent.Length);
        Assert.All(sent, c => Assert.Equal('€', c));
    }

    [Fact]
    public void Surrogate_pairs_are_never_split_by_the_cut()
    {
        // Event fields are counted in characters (code points) as Matomo's VARCHAR counts them: 4,096 emoji fit.
        var name = "a" + string.Concat(Enumerable.Repeat("😀", 5000));
        var sent = Encode(Event(name: TrackedValue.FromText(name)))["e_n"];
        Assert.Equal(MatomoLimits.EventField, sent.EnumerateRunes().Count());
        Assert.DoesNotContain('\ufffd', sent);

        // Bytes for the user agent: a 4-byte character that does not fit whole is left out whole.
        var ua = "ab" + string.Concat(Enumerable.Repeat("😀", 600));
        var sentUa = Encode(Event(userAgent: ua))["ua"];
        Assert.Equal(2 + (4 * 255), System.Text.Encoding.UTF8.GetByteCount(sentUa));
        Assert.DoesNotContain('\ufffd', sentUa);
    }

    [Theory]
    [InlineData(820, 819)] // 820 × "&amp;" = 4,100 characters: Matomo would store no name at all
    [InlineData(819, 819)]
    [InlineData(100, 100)]
    public void Event_fields_are_cut_so_their_escaped_form_fits_matomos_4096_characters(int ampersands, int kept)
    {
        var text = new string('&', ampersands);
        var entry = Encode(Event(category: text, action: text, name: TrackedValue.FromText(text)));
        Assert.Equal(new string('&', kept), entry["e_n"]);
        Assert.Equal(new string('&', kept), entry["e_c"]);
        Assert.Equal(new string('&', kept), entry["e_a"]);
    }

    [Fact]
    public void Event_fields_keep_4096_characters_where_1024_bytes_were_kept_before()
    {
        var name = new string('n', 5000);
        Assert.Equal(4096, Encode(Event(name: TrackedValue.FromText(name)))["e_n"].Length);
        var quotes = string.Concat(Enumerable.Repeat("<\"'é", 1000)); // escaped: 4 + 6 + 6 + 1 = 17 characters each; 240 of them and "<\"'" make 4,096
        Assert.Equal(quotes[..((4 * 240) + 3)], Encode(Event(name: TrackedValue.FromText(quotes)))["e_n"]);
    }

    [Fact]
    public void Page_titles_are_cut_so_their_escaped_utf8_form_fits_1024_bytes()
    {
        var title = new string('&', 300) + "tail";
        var pageView = new TrackedEvent(TrackedEventKind.PageView, Now, null, title, default, default,
            new RequestSnapshot(false, "localhost:5000", "", "/p", null, "ua", null, null, IPAddress.Loopback), null);
        Assert.Equal(new string('&', 204), Encode(pageView)["action_name"]); // 204 × 5 = 1,020 bytes; one more is 1,025
        var accents = new string('é', 600); // 2 bytes each
        var accented = new TrackedEvent(TrackedEventKind.PageView, Now, null, accents, default, default, pageView.Request, null);
        Assert.Equal(512, Encode(accented)["action_name"].Length);
    }

    [Theory]
    [InlineData("/files/a?b#c", "/files/a%3Fb%23c")]
    [InlineData("/docs/résumé.pdf", "/docs/r%C3%A9sum%C3%A9.pdf")]
    [InlineData("/a b+c", "/a%20b+c")]
    [InlineData("/日本", "/%E6%97%A5%E6%9C%AC")]
    [InlineData("/kept%2Fslash", "/kept%2Fslash")] // Kestrel leaves %2F encoded in Path; it stays so
    [InlineData("", "/")]
    public void The_url_path_is_sent_as_the_client_sent_it(string decodedPath, string sentPath)
    {
        // What Kestrel puts in HttpRequest.Path is decoded; the URL carries it encoded, as PathString.ToUriComponent() gives.
        var url = Encode(Event(path: decodedPath))["url"];
        Assert.Equal("https://app.example.com" + sentPath, url);
        Assert.DoesNotContain(' ', url);
    }

    [Theory]
    [InlineData("bücher.example", "xn--bcher-kva.example")]
    [InlineData("xn--bcher-kva.example", "xn--bcher-kva.example")]
    [InlineData("App.Example.COM:8443", "app.example.com:8443")]
    [InlineData("127.0.0.1:5000", "127.0.0.1:5000")]
    [InlineData("[::1]:5000", "[::1]:5000")]
    [InlineData("example.com.", "example.com")]
    [InlineData("evil.example/x?y", "unknown.invalid")]
    [InlineData("a b", "unknown.invalid")]
    [InlineData("host:99999", "unknown.invalid")]
    [InlineData("host:", "unknown.invalid")]
    [InlineData("[zz]:1", "unknown.invalid")]
    [InlineData("<script>", "unknown.invalid")]
    [InlineData("user@host", "unknown.invalid")]
    public void The_host_is_a_valid_host_name_in_punycode_or_a_placeholder(string header, string sent) =>
        Assert.Equal("https://" + sent + "/signup", Encode(Event(host: header))["url"]);

    [Fact]
    public void The_application_url_pins_scheme_and_host()
    {
        var options = new PiwikOptions { ApplicationUrl = "https://Bücher.example:8443/ignored/path" };
        Assert.Equal("https://xn--bcher-kva.example:8443/signup", Encode(Event(host: "attacker.example"), options)["url"]);
        Assert.Equal("https://xn--bcher-kva.example:8443/signup", Encode(Event(host: "<not a host>"), options)["url"]);
        Assert.Equal("https://app.example/signup", Encode(Event(), new PiwikOptions { ApplicationUrl = "https://app.example./" })["url"]);
    }

    [Theory]
    [InlineData("https://r.example/reset?token=s3cr3t&email=a%40b.example", QueryStringMode.Omit, "https://r.example/reset")]
    [InlineData("https://r.example/reset?token=s3cr3t&email=a%40b.example&page=2", QueryStringMode.Redact, "https://r.example/reset?token=REDACTED&email=REDACTED&page=2")]
    [InlineData("https://r.example/l?utm_source=news&secret=x", QueryStringMode.Omit, "https://r.example/l?utm_source=news")]
    [InlineData("https://user:pass@r.example/p#frag", QueryStringMode.Redact, "https://r.example/p")]
    [InlineData("HTTP://R.example:80/p", QueryStringMode.Omit, "http://r.example/p")]
    [InlineData("https://bücher.example/ä", QueryStringMode.Omit, "https://xn--bcher-kva.example/%C3%A4")]
    [InlineData("http://k./p", QueryStringMode.Omit, "http://k/p")] // the root label: the same host, as for the page's Host
    [InlineData("javascript:alert(1)", QueryStringMode.Redact, null)]
    [InlineData("data:text/html,<script>alert(1)</script>", QueryStringMode.Redact, null)]
    [InlineData("ftp://r.example/file", QueryStringMode.Redact, null)]
    [InlineData("android-app://com.example", QueryStringMode.Redact, null)]
    [InlineData("/relative/path", QueryStringMode.Redact, null)]
    [InlineData("https://", QueryStringMode.Redact, null)]
    [InlineData("http://a\uFFFDb.example/p", QueryStringMode.Redact, null)] // parses, but IDN mapping refuses the host (IdnHost throws)
    [InlineData("http://a\u200Db.example/p", QueryStringMode.Redact, null)]
    public void The_referrer_follows_the_query_policy_and_only_web_schemes_are_sent(string referrer, QueryStringMode mode, string? sent)
    {
        var entry = Encode(Event(referrer: referrer), new PiwikOptions { QueryString = mode });
        Assert.Equal(sent, entry.Get("urlref"));
        Assert.DoesNotContain("s3cr3t", entry.Raw, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(QueryStringMode.Omit, "?utm_source=news&token=abc&MTM_CAMPAIGN=spring&pk_kwd=k&matomo_campaign=m&piwik_kwd=p&x=1",
        "?utm_source=news&MTM_CAMPAIGN=spring&pk_kwd=k&matomo_campaign=m&piwik_kwd=p")]
    [InlineData(QueryStringMode.Redact, "?utm_source=news&token=abc&x=1", "?utm_source=news&token=REDACTED&x=1")]
    [InlineData(QueryStringMode.Omit, "?token=abc&x=1", "")]
    [InlineData(QueryStringMode.Omit, "?utm_content=a%20b+c&x=%ZZ", "?utm_content=a%20b+c")]
    public void Campaign_parameters_are_kept_in_every_mode(QueryStringMode mode, string query, string sentQuery) =>
        Assert.Equal("https://app.example.com/signup" + sentQuery, Encode(Event(query: query), new PiwikOptions { QueryString = mode })["url"]);

    [Fact]
    public void Campaign_parameters_can_be_left_out()
    {
        var off = new PiwikOptions { KeepCampaignParameters = false };
        Assert.Equal("https://app.example.com/signup", Encode(Event(query: "?utm_source=news"), off)["url"]);
        Assert.False(Piwik.Encoding.TrackedUrls.NeedsQuery(off));
        var cleared = new PiwikOptions();
        cleared.CampaignParameterPrefixes.Clear();
        Assert.Equal("https://app.example.com/signup", Encode(Event(query: "?utm_source=news"), cleared)["url"]);
        Assert.False(Piwik.Encoding.TrackedUrls.NeedsQuery(cleared));
        var own = new PiwikOptions();
        own.CampaignParameterPrefixes.Add("ref_");
        Assert.Equal("https://app.example.com/signup?ref_id=7", Encode(Event(query: "?ref_id=7&x=1"), own)["url"]);
    }

    [Fact]
    public void A_long_url_is_never_cut_inside_a_percent_escape_or_a_character()
    {
        for (var pad = 0; pad < 3; pad++)
        {
            var url = Encode(Event(path: "/" + new string('p', 900 + pad) + new string('é', 100)))["url"];
            Assert.True(url.Length <= MatomoLimits.Url);
            Assert.Matches("^[^%]*(%[0-9A-F]{2}[^%]*)*$", url);
            Assert.EndsWith("%C3%A9", url, StringComparison.Ordinal); // never half a character either
            Assert.True(url.Length > MatomoLimits.Url - 6);
        }
    }

    [Fact]
    public void Url_is_absolute_and_cut_at_1024_bytes_with_all_its_parts()
    {
        var path = "/" + new string('p', 5000);
        var url = Encode(Event(path: path))["url"];
        Assert.StartsWith("https://app.example.com/ppp", url, StringComparison.Ordinal);
        Assert.Equal(MatomoLimits.Url, System.Text.Encoding.UTF8.GetByteCount(url));
        Assert.True(Uri.IsWellFormedUriString(url, UriKind.Absolute) || Uri.TryCreate(url, UriKind.Absolute, out _));
    }

    [Fact]
    public void Query_string_is_left_out_by_default()
    {
        var entry = Encode(Event(query: "?token=secret&plan=pro"));
        Assert.Equal("https://app.example.com/signup", entry["url"]);
    }

    [Fact]
    public void Query_string_can_be_kept_with_secrets_redacted()
    {
        var options = new PiwikOptions { QueryString = QueryStringMode.Redact };
        var entry = Encode(Event(query: "?plan=pro&Token=abc123&utm_source=news&password=hunter2&flag"), options);
        Assert.Equal("https://app.example.com/signup?plan=pro&Token=REDACTED&utm_source=news&password=REDACTED&flag", entry["url"]);
        Assert.DoesNotContain("abc123", entry.Raw, StringComparison.Ordinal);
        Assert.DoesNotContain("hunter2", entry.Raw, StringComparison.Ordinal);
    }

    [Fact]
    public void Custom_dimensions_are_sent_and_cut_to_250_characters()
    {
        var options = new PiwikOptions();
        options.CustomDimensions[1] = "v2.3.1";
        options.CustomDimensions[4] = new string('d', 400);
        var entry = Encode(Event(), options);
        Assert.Equal("v2.3.1", entry["dimension1"]);
        Assert.Equal(250, entry["dimension4"].Length);
    }

    [Fact]
    public void Visitor_ip_is_sent_anonymised_and_only_with_a_token()
    {
        var withToken = new PiwikOptions { TokenAuth = new string('a', 32) };
        Assert.Equal("203.0.0.0", Encode(Event(), withToken)["cip"]);
        Assert.False(Encode(Event(), withToken, includeIp: false).Has("cip"));
        Assert.False(Encode(Event(), new PiwikOptions()).Has("cip"));
        Assert.False(Encode(Event(), new PiwikOptions { TokenAuth = new string('a', 32), SendVisitorIp = false }).Has("cip"));

        var v6 = Encode(Event(ip: IPAddress.Parse("2001:db8:85a3:8d3:1319:8a2e:370:7348")), withToken)["cip"];
        Assert.Equal("2001:db8:85a3::", v6);
    }

    [Fact]
    public void User_id_is_hashed_by_default_and_raw_when_configured()
    {
        var hashed = Encode(Event(userId: "alice@example.com"));
        Assert.Matches("^[0-9a-f]{32}$", hashed["uid"]);
        Assert.DoesNotContain("alice", hashed.Raw, StringComparison.OrdinalIgnoreCase);

        var raw = Encode(Event(userId: "alice@example.com"), new PiwikOptions { HashUserId = false });
        Assert.Equal("alice@example.com", raw["uid"]);
    }

    [Fact]
    public void Page_views_carry_action_name_and_no_event_fields()
    {
        var pageView = new TrackedEvent(TrackedEventKind.PageView, Now, null, "GET /groups/{groupId}", default, default,
            new RequestSnapshot(false, "localhost:5000", "/base", "/groups/42", null, "ua", null, null, IPAddress.Loopback), null);
        var entry = Encode(pageView);
        Assert.Equal("GET /groups/{groupId}", entry["action_name"]);
        Assert.Equal("http://localhost:5000/base/groups/42", entry["url"]);
        Assert.False(entry.Has("e_c"));
        Assert.False(entry.Has("ca"));
    }

    [Fact]
    public void Events_without_a_request_use_the_application_url()
    {
        var detached = new TrackedEvent(TrackedEventKind.Event, Now, "jobs", "nightly-cleanup", default, default, default, null);
        Assert.False(Encode(detached).Has("url"));
        Assert.Equal("https://app.example.com/", Encode(detached, new PiwikOptions { ApplicationUrl = "https://app.example.com/" })["url"]);
    }

    [Theory]
    [InlineData("\"A\\\"B\";v=\"1\", Token;v=2, \"NoVersion\"", null, """{"brands":[{"brand":"A\"B","version":"1"},{"brand":"Token","version":"2"},{"brand":"NoVersion","version":""}]}""")]
    [InlineData("\"C\";v=\"9\"", "?2", """{"brands":[{"brand":"C","version":"9"}]}""")] // not a boolean: left out
    [InlineData("", "?1", """{"mobile":true}""")]
    public void Client_hints_are_read_as_structured_fields_and_written_as_json(string brands, string? mobile, string json)
    {
        var hints = new ClientHints(brands, mobile, null, null, null, null, null);
        var e = new TrackedEvent(TrackedEventKind.Event, Now, "c", "a", default, default,
            new RequestSnapshot(true, "h", null, "/", null, null, null, null, null, hints), null);
        Assert.Equal(json, Encode(e)["uadata"]);
    }
}
