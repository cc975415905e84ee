using System.Text;

namespace Commerce.Host.Tests.Security;

/// <summary>One generated request: everything needed to send it again and to say what it was when it fails.</summary>
/// <param name="Injected">The hostile strings it carries, so a check for leaks can tell reflected input from leaked internals.</param>
internal sealed record HostileRequest(
    int Id,
    ApiEndpoint Endpoint,
    string Category,
    string Method,
    string Url,
    string? Authorization,
    string? ContentType,
    byte[]? Body,
    bool Chunked,
    IReadOnlyList<KeyValuePair<string, string>> Headers,
    IReadOnlyList<string> Injected)
{
    public HttpRequestMessage ToMessage()
    {
        var message = new HttpRequestMessage(new HttpMethod(Method), Url);
        message.Headers.Add(HostileInputApp.RequestIdHeader, Id.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (Authorization is not null)
        {
            message.Headers.TryAddWithoutValidation("Authorization", Authorization);
        }

        foreach (var (name, value) in Headers)
        {
            message.Headers.TryAddWithoutValidation(name, value);
        }

        if (Body is not null)
        {
            message.Content = Chunked ? new StreamContent(new MemoryStream(Body)) : new ByteArrayContent(Body);
            if (ContentType is not null)
            {
                message.Content.Headers.TryAddWithoutValidation("Content-Type", ContentType);
            }
        }

        return message;
    }

    public string Describe()
    {
        var body = Body is null ? "" : Encoding.UTF8.GetString(Body);
        var auth = Authorization is null ? "none" : Authorization.Length > 40 ? Authorization[..40] + "…" : Authorization;
        var headers = string.Concat(Headers.Select(h => $"; {h.Key}: {Excerpt(h.Value, 40)}"));
        return $"[{Category}] {Method} {Excerpt(Url, 200)} (auth {auth}; {ContentType ?? "no content type"}{headers}; " +
               $"{Body?.Length ?? 0} bytes{(Chunked ? ", chunked" : "")}) {Excerpt(body, 300)}";
    }

    public static string Excerpt(string text, int length) => text.Length <= length ? text : text[..length] + $"… ({text.Length} chars)";
}
