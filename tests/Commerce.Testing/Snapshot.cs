using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit.Sdk;

namespace Commerce.Testing;

/// <summary>
/// Snapshot testing in Verify's conventions (Verify itself cannot be restored here), so a later switch is
/// mechanical: <c>&lt;TestClass&gt;.&lt;TestMethod&gt;.verified.txt</c> next to the test file; on a mismatch a
/// <c>.received.txt</c> (git-ignored) is written and the failure shows a diff. Generated ids, times, GUIDs,
/// tokens, test emails and trace ids are scrubbed into numbered placeholders, so relations stay visible.
/// A new or changed snapshot is accepted by re-running with SNAPSHOT_ACCEPT=1 and reviewing the diff.
/// </summary>
public static partial class Snapshot
{
    private static readonly JsonSerializerOptions Pretty = new() { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private static readonly string[] ShownHeaders = ["Location", "Retry-After", "WWW-Authenticate"];

    public static async Task MatchAsync(HttpResponseMessage response, [CallerFilePath] string file = "", [CallerMemberName] string test = "")
    {
        var scrubber = new Scrubber();
        var text = new StringBuilder()
            .Append("HTTP ").Append((int)response.StatusCode).Append(' ').AppendLine(response.StatusCode.ToString());
        if (response.Content.Headers.ContentType is { } contentType)
        {
            text.Append("Content-Type: ").AppendLine(contentType.MediaType);
        }

        foreach (var header in ShownHeaders)
        {
            if (response.Headers.TryGetValues(header, out var values))
            {
                text.Append(header).Append(": ").AppendLine(scrubber.Text(string.Join(", ", values)));
            }
        }

        var body = await response.Content.ReadAsStringAsync();
        text.AppendLine().Append(body.Length == 0 ? "(no body)" : scrubber.Json(body));
        Match(text.ToString(), file, test);
    }

    public static void Match(string actual, [CallerFilePath] string file = "", [CallerMemberName] string test = "")
    {
        actual = actual.ReplaceLineEndings("\n").TrimEnd() + "\n";
        var stem = Path.Combine(Path.GetDirectoryName(file)!, $"{Path.GetFileNameWithoutExtension(file)}.{test}");
        var verifiedPath = stem + ".verified.txt";
        var receivedPath = stem + ".received.txt";
        var verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).ReplaceLineEndings("\n") : null;
        if (verified == actual)
        {
            File.Delete(receivedPath);
            return;
        }

        if (Environment.GetEnvironmentVariable("SNAPSHOT_ACCEPT") == "1")
        {
            File.WriteAllText(verifiedPath, actual);
            File.Delete(receivedPath);
            return;
        }

        File.WriteAllText(receivedPath, actual);
        throw new XunitException(verified is null
            ? $"New snapshot {Path.GetFileName(verifiedPath)}; review {receivedPath} and accept it with SNAPSHOT_ACCEPT=1.\n{actual}"
            : $"Snapshot {Path.GetFileName(verifiedPath)} differs (received: {receivedPath}; accept with SNAPSHOT_ACCEPT=1):\n{Diff(verified, actual)}");
    }

    private static string Diff(string expected, string actual)
    {
        var left = expected.Split('\n');
        var right = actual.Split('\n');
        var diff = new StringBuilder();
        for (var i = 0; i < Math.Max(left.Length, right.Length); i++)
        {
            var l = i < left.Length ? left[i] : null;
            var r = i < right.Length ? right[i] : null;
            if (l != r)
            {
                if (l is not null)
                {
                    diff.Append("- ").AppendLine(l);
                }

                if (r is not null)
                {
                    diff.Append("+ ").AppendLine(r);
                }
            }
        }

        return diff.ToString();
    }

    private sealed partial class Scrubber
    {
        private readonly Dictionary<string, Dictionary<string, int>> _seen = [];
        private readonly HashSet<string> _bodyIds = [];

        public string Json(string body)
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(body);
            }
            catch (JsonException)
            {
                return Text(body);
            }

            if (node is null)
            {
                return "null";
            }

            // Ids first, so that the same numbers inside texts ("Order 30000012 is PAID") get the same placeholders.
            CollectIds(node, null);
            return Scrub(node, null)!.ToJsonString(Pretty);
        }

        public string Text(string text)
        {
            text = Email().Replace(text, m => Placeholder("Email", m.Value));
            text = PathId().Replace(text, m => "/" + Placeholder("Id", m.Groups[1].Value));
            text = GuestCartPath().Replace(text, m => "/api/carts/" + Placeholder("CartId", m.Groups[1].Value));
            return _bodyIds.Count > 0 ? Number().Replace(text, m => _bodyIds.Contains(m.Value) ? Placeholder("Id", m.Value) : m.Value) : text;
        }

        private void CollectIds(JsonNode? node, string? property)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj)
                    {
                        CollectIds(value, key);
                    }

                    break;
                case JsonArray array:
                    foreach (var item in array)
                    {
                        CollectIds(item, property);
                    }

                    break;
                case JsonValue value when property is not null && IsIdProperty(property) && value.TryGetValue<long>(out var number):
                    _bodyIds.Add(number.ToString());
                    Placeholder("Id", number.ToString());
                    break;
            }
        }

        private JsonNode? Scrub(JsonNode? node, string? property)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (key, value) in obj.ToList())
                    {
                        obj[key] = Scrub(value, key);
                    }

                    return obj;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        array[i] = Scrub(array[i]?.DeepClone(), property);
                    }

                    return array;
                case JsonValue value:
                    return ScrubValue(value, property);
                default:
                    return node;
            }
        }

        private JsonNode ScrubValue(JsonValue value, string? property)
        {
            if (property is "traceId")
            {
                return "{TraceId}";
            }

            if (property is "accessToken" or "refreshToken")
            {
                return "{Token}";
            }

            if (property is "cartId" && value.TryGetValue<string>(out var cartId))
            {
                return Placeholder("CartId", cartId);
            }

            if (value.TryGetValue<long>(out var number) && property is not null && IsIdProperty(property))
            {
                return Placeholder("Id", number.ToString());
            }

            if (!value.TryGetValue<string>(out var text))
            {
                return value.DeepClone();
            }

            if (property is "instance")
            {
                return Text(text);
            }

            if (Guid.TryParse(text, out _))
            {
                return Placeholder("Guid", text);
            }

            if (text.Contains('T') && DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, out _))
            {
                return Placeholder("DateTime", text);
            }

            return Text(text);
        }

        private static bool IsIdProperty(string property) =>
            property == "id" || property.EndsWith("Id", StringComparison.Ordinal) || property.EndsWith("Ids", StringComparison.Ordinal);

        private string Placeholder(string kind, string value)
        {
            if (!_seen.TryGetValue(kind, out var values))
            {
                _seen[kind] = values = [];
            }

            if (!values.TryGetValue(value, out var index))
            {
                values[value] = index = values.Count + 1;
            }

            return $"{{{kind}_{index}}}";
        }

        [GeneratedRegex(@"[A-Za-z0-9._-]+@test\.local")]
        private static partial Regex Email();

        [GeneratedRegex(@"/(\d+)(?=/|$|\?)")]
        private static partial Regex PathId();

        /// <summary>A guest cart's random id in a path.</summary>
        [GeneratedRegex(@"/api/carts/([A-Za-z0-9_-]{43})(?=/|$|\?)")]
        private static partial Regex GuestCartPath();

        [GeneratedRegex(@"\b\d+\b")]
        private static partial Regex Number();
    }
}
