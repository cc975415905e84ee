namespace Commerce.Host.Errors;

/// <summary>
/// Problem details whatever the request's Accept header names. The framework's writer declines a client that accepts
/// no JSON type (say <c>Accept: application/xml</c>), which left the error without a body. Registered after it, this
/// writer answers only those requests: it drops the Accept header (RFC 9110 lets a server send its one representation
/// instead of 406) and hands the problem back to the framework's writer, so the body is the same as everyone gets.
/// </summary>
internal sealed class ProblemDetailsForAnyAccept(IServiceProvider services) : IProblemDetailsWriter
{
    public bool CanWrite(ProblemDetailsContext context) => true;

    public ValueTask WriteAsync(ProblemDetailsContext context)
    {
        context.HttpContext.Request.Headers.Accept = default;
        var writer = services.GetServices<IProblemDetailsWriter>().First(w => w is not ProblemDetailsForAnyAccept && w.CanWrite(context));
        return writer.WriteAsync(context);
    }
}
