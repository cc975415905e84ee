using System.Diagnostics;
using System.Net.Http.Headers;
using System.Text.Json.Nodes;

namespace Commerce.Reliability.Tests;

/// <summary>One answer as a client saw it; <see cref="Status"/> 0 when there was none (connection refused or reset).</summary>
internal sealed record Reply(int Status, string? Code, JsonNode? Body, string? ContentType, string? RetryAfter, long StartedAt, long EndedAt)
{
    public TimeSpan Elapsed => Stopwatch.GetElapsedTime(StartedAt, EndedAt);

    public bool IsSuccess => Status is >= 200 and < 300;

    public bool IsProblem => ContentType == "application/problem+json" && Code is not null;

    public long Id => Body!["id"]!.GetValue<long>();

    public override string ToString() => $"{Status} {Code} in {Elapsed.TotalMilliseconds:0} ms";
}

internal static class Api
{
    public static async Task<Reply> SendAsync(this HttpClient client, HttpMethod method, string path, string? token = null, object? body = null)
    {
        using var request = new HttpRequestMessage(method, path);
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        if (body is not null)
        {
            request.Content = JsonContent.Create(body);
        }

        var started = Stopwatch.GetTimestamp();
        try
        {
            using var response = await client.SendAsync(request);
            var text = await response.Content.ReadAsStringAsync();
            var json = text.Length > 0 && text[0] is '{' or '[' ? JsonNode.Parse(text) : null;
            return new Reply((int)response.StatusCode, (json as JsonObject)?["code"]?.GetValue<string>(), json,
                response.Content.Headers.ContentType?.MediaType, response.Headers.RetryAfter?.ToString(), started, Stopwatch.GetTimestamp());
        }
        catch (HttpRequestException)
        {
            return new Reply(0, null, null, null, null, started, Stopwatch.GetTimestamp());
        }
    }

    public static Task<Reply> PostReplyAsync(this HttpClient client, string path, string? token, object? body = null) =>
        client.SendAsync(HttpMethod.Post, path, token, body);

    public static Task<Reply> GetReplyAsync(this HttpClient client, string path, string? token = null) =>
        client.SendAsync(HttpMethod.Get, path, token);
}
