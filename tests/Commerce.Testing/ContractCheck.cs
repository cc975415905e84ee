using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Commerce.Testing;

/// <summary>
/// Every answer a <see cref="CommerceApp"/> gives to a request for an operation of the OpenAPI document — whichever
/// test, client or handler sent it — checked against the document (<see cref="OpenApiContract"/>) as it leaves the
/// host. Violations are kept and fail the fixture when it is disposed (and any test that asks, like the hostile sweep).
/// </summary>
public sealed class ContractCheck
{
    /// <summary>When set, each fixture appends its count to this file (./build.sh test prints the total).</summary>
    public const string ReportVariable = "COMMERCE_CONTRACT_REPORT";

    private static readonly SemaphoreSlim Loading = new(1, 1);
    private static OpenApiContract? _contract;

    private readonly ConcurrentQueue<string> _violations = new();
    private readonly ConcurrentDictionary<int, int> _statuses = new();
    private int _checked;

    public IReadOnlyCollection<string> Violations => _violations;

    /// <summary>Answers checked against the document so far.</summary>
    public int Checked => _checked;

    public IReadOnlyDictionary<int, int> Statuses => _statuses;

    /// <summary>The document is the same for every host of a test process: read it once, from the first host.</summary>
    public static async Task LoadAsync(Func<Task<string>> document)
    {
        await Loading.WaitAsync();
        try
        {
            _contract ??= new OpenApiContract(await document());
        }
        finally
        {
            Loading.Release();
        }
    }

    public static OpenApiContract Contract => _contract ?? throw new InvalidOperationException("The OpenAPI document is not loaded yet.");

    internal IStartupFilter StartupFilter() => new Filter(this);

    /// <summary>Runs the request; an answer for a documented operation is held back, checked, and then sent — or, when it
    /// breaks the document, replaced by a 500 naming the violation, so the test that received it fails where it happened.</summary>
    private async Task InvokeAsync(HttpContext context, RequestDelegate next)
    {
        var request = context.Request;
        var path = request.Path.Value ?? "/";
        if (_contract is not { } contract || HttpMethods.IsHead(request.Method) || contract.OperationFor(request.Method, path) is null)
        {
            await next(context);
            return;
        }

        var original = context.Features.Get<IHttpResponseBodyFeature>()!;
        using var buffer = new MemoryStream();
        var buffering = new StreamResponseBodyFeature(buffer);
        context.Features.Set<IHttpResponseBodyFeature>(buffering);
        try
        {
            await next(context);
            await buffering.CompleteAsync();
        }
        finally
        {
            context.Features.Set(original);
        }

        var status = context.Response.StatusCode;
        var violations = contract.Check(request.Method, path, status, context.Response.ContentType, buffer.GetBuffer().AsSpan(0, (int)buffer.Length));
        Interlocked.Increment(ref _checked);
        _statuses.AddOrUpdate(status, 1, (_, n) => n + 1);
        if (violations.Count == 0 || context.Response.HasStarted)
        {
            buffer.Position = 0;
            await buffer.CopyToAsync(original.Stream, context.RequestAborted);
            foreach (var violation in violations)
            {
                _violations.Enqueue(violation);
            }

            return;
        }

        foreach (var violation in violations)
        {
            _violations.Enqueue(violation);
        }

        context.Response.Clear();
        context.Response.StatusCode = StatusCodes.Status500InternalServerError;
        context.Response.ContentType = "text/plain; charset=utf-8";
        await original.Stream.WriteAsync(System.Text.Encoding.UTF8.GetBytes("OpenAPI contract violation: " + string.Join("\n", violations)), context.RequestAborted);
    }

    internal void Report(string fixture)
    {
        if (Environment.GetEnvironmentVariable(ReportVariable) is { Length: > 0 } path && _checked > 0)
        {
            var statuses = string.Join(" ", _statuses.OrderBy(s => s.Key).Select(s => $"{s.Key}x{s.Value}"));
            File.AppendAllText(path, $"{fixture}\t{_checked}\t{_violations.Count}\t{statuses}\n");
        }
    }

    private sealed class Filter(ContractCheck check) : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use(check.InvokeAsync);
            next(app);
        };
    }
}
