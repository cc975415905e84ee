using Commerce.Host;
using Commerce.Host.Logging;

var builder = WebApplication.CreateBuilder(args);
var log = builder.AddCommerceLogging();

// With no ConnectionStrings:Commerce, the host runs its own PostgreSQL in the data directory.
await using var embedded = await EmbeddedDatabase.StartIfNeededAsync(builder, log);

builder.Services
    .AddCommerce(builder.Configuration)
    .AddCommerceHttp(builder);

var app = builder.Build();
app.UseCommerceHttp();
app.MapCommerce();

await app.RunAsync();

/// <summary>Visible to WebApplicationFactory in the tests.</summary>
public partial class Program;
