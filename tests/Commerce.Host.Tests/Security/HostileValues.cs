namespace Commerce.Host.Tests.Security;

/// <summary>The hostile values <see cref="HostileRequestGenerator"/> draws from, by kind.</summary>
internal static class HostileValues
{
    public static readonly string[] Statuses =
        ["ACTIVE", "DISABLED", "ON_SALE", "DISCONTINUED", "AVAILABLE", "USED", "EXPIRED", "PENDING_PAYMENT", "PAYING", "PAID", "CANCELLED"];

    public static readonly string[] NumberEdges =
    [
        "0", "-1", "-0", "2147483647", "2147483648", "-2147483649", "9223372036854775807", "9223372036854775808",
        "-9223372036854775809", "99999999999999999999999999999", "1e400", "-1e400", "1e-400", "1.5", "1e3", "1E+2",
        "0.0000001", "00012", "+5", "0x10", "NaN", "Infinity", "-Infinity", "\"5\"", "\"-0\"", "\"1e3\"", "1_000",
    ];

    public static readonly string[] SqlStrings =
    [
        "' OR '1'='1", "'; DROP TABLE members.members; --", "1; SELECT pg_sleep(10); --", "admin@test.local' --",
        "\" OR \"\"=\"", "1 UNION SELECT password_hash FROM members.members", "$$; DELETE FROM orders.orders; $$",
        "%' AND 1=1 --", "\\'; COMMIT; DROP SCHEMA platform CASCADE; --", "E'\\x00'", "1) OR (1=1", "ON_SALE' OR 'x'='x",
    ];

    // Raw JSON string literals PostgreSQL or .NET may choke on: lone and reversed surrogates, escaped.
    public static readonly string[] RawOddStrings =
        ["\"\\ud800\"", "\"a\\udc00b\"", "\"\\ud83d\"", "\"\\udfff\\ud800\"", "\"x\\u0000y\"", "\"\\u0000\""];

    public static readonly string[] OddStrings =
    [
        "\0", "a\0b", "\u202Eevil\u202C", "مرحبا بالعالم", "שלום", "\u200B\u200C\u200D", "\uFEFF", "e" + new string('\u0301', 60),
        "🛒🔥👨‍👩‍👧", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "Ａｄｍｉｎ", "İstanbul ß", "\r\n\t", "\u0085\u2028\u2029", "\u0007\u001b[31m", "\uFFFF\uFFFE",
        "\uDBFF\uDFFF", "🛒@test.local", "<script>alert(1)</script>", "../../etc/passwd", "%00", "\\", "한국어 이름",
    ];

    public static readonly string[] MalformedBodies =
    [
        "{", "}", "{\"a\":}", "[1,2", "{'single': 1}", "{a:1}", "{\"x\":1,}", "// comment\n{}", "/* c */ {}", "nul", "", "   ",
        "null", "true", "5", "\"text\"", "[]", "{}{}", "{\"a\":1}garbage", "\u0000", "{\"a\":\"\\x\"}", "{\"a\":\"unterminated}",
        "{\"a\":01}", "{\"a\":.5}", "{\"a\":-}", "{\"a\":tru}", "{\"\\ud800\":1}", "{\"a\"::1}",
    ];

    public static readonly string[] ContentTypes =
    [
        "text/plain", "application/xml", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
        "application/json; charset=utf-16", "application/json; charset=bogus", "application/json; charset=\"utf-8\"",
        "application/json;;", "application/vnd.api+json", "application/problem+json", "text/json", "*/*", "",
        "application/json; charset=utf-7", "application/json, text/plain", "json",
    ];

    public static readonly string[] Methods = ["GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "TRACE", "FOO"];

    public static readonly string[] RouteValues =
    [
        "abc", "-1", "0", "9223372036854775807", "9223372036854775808", "-9223372036854775809", "1.5", "1e3", "+1", "%20",
        "%201", "1%00", "%00", "%2e%2e", "..", "%E2%80%AE1", "%ED%A0%80", "%FF", "'%20OR%201=1", "1;DROP", "%EF%BC%91",
        "0x1F", new string('1', 400), "null", "%7BorderId%7D", "%F0%9F%9B%92", "1%2F2", "%0D%0A",
    ];

    public static readonly string[] QueryValues =
    [
        "abc", "-1", "0", "2147483648", "99999999999999999999", "1.5", "", "%20", "%00", "%FF", "%ED%A0%80",
        "'%20OR%201=1--", "ON_SALE'--", "%E2%80%AE", "true", "null", "1e3", "%2B1", new string('9', 3000),
    ];

    public static readonly string[] IdempotencyKeys =
        ["", " ", new string('k', 101), new string('k', 1000), "a b", "\"quoted\"", "'; DROP TABLE platform.idempotency_keys; --", "%00", "fuzz-reused"];

    public static readonly (string Name, string Value)[] OddHeaders =
    [
        ("Accept", "application/xml"), ("X-HTTP-Method-Override", "DELETE"), ("Accept-Charset", "utf-7"), ("Accept-Language", "../../"),
        ("Content-Encoding", "gzip"), ("X-Forwarded-For", "10.0.0.1, 1.2.3.4"), ("Range", "bytes=0-1"), ("If-None-Match", "*"),
        ("X-Original-URL", "/api/admin/products"), ("Forwarded", "for=\"[::1]\";proto=https"), ("Cookie", "session=' OR 1=1"),
    ];

    public static readonly string[] DiscountTypes = ["FIXED", "PERCENT"];
    public static readonly string[] Targets = ["ORDER", "PRODUCT"];
    public static readonly string[] WrongTypes = ["\"text\"", "123", "true", "null", "[]", "{}", "[1,2]", "{\"a\":1}", "\"123\"", "1.0", "[null]"];
    public static readonly char[] LongStringChars = ['x', '한', '0'];
    public static readonly int[] LongStringLengths = [101, 255, 1_000, 10_000, 20_000];
    public static readonly string[] ExtraFieldNames = ["isAdmin", "role", "memberId", "id", "__proto__", "constructor", "balance", "price", "$type"];
    public static readonly int[] NestingDepths = [65, 1_000, 5_000];
    public static readonly int[] OversizeBodies = [65_537, 70_000, 100_000];
}
