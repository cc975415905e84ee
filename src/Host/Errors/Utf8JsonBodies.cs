using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.Net.Http.Headers;

namespace Commerce.Host.Errors;

/// <summary>
/// JSON bodies are UTF-8 (RFC 8259, section 8.1). The framework's body reader throws an unhandled exception (a 500)
/// on a charset it does not know, and even on a quoted <c>charset="utf-8"</c>; so, before an endpoint reads its body,
/// any other charset is refused with 415 problem details and a quoted UTF-8 one is unquoted.
/// </summary>
internal sealed class Utf8JsonBodies(RequestDelegate next)
{
    public Task InvokeAsync(HttpContext context)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<IAcceptsMetadata>() is not null &&
            context.Features.Get<IHttpRequestBodyDetectionFeature>()?.CanHaveBody == true &&
            MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var contentType) &&
            contentType.Charset.HasValue)
        {
            var charset = HeaderUtilities.RemoveQuotes(contentType.Charset);
            if (!charset.Equals("utf-8", StringComparison.OrdinalIgnoreCase))
            {
                throw new BadHttpRequestException("The body must be UTF-8.", StatusCodes.Status415UnsupportedMediaType);
            }

            contentType.Charset = "utf-8";
            context.Request.ContentType = contentType.ToString();
        }

        return next(context);
    }
}
