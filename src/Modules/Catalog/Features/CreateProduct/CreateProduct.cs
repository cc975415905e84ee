using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Catalog.Contracts;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Catalog.Features.CreateProduct;

/// <summary>
/// An admin adds a product; it is ON_SALE at once. Public so the Host's demo data can send it too
/// (<paramref name="AdminId"/> only scopes an Idempotency-Key, so demo data may leave it 0).
/// </summary>
public sealed record CreateProduct(string Name, string? Description, long Price, int Stock, long AdminId = 0, string? IdempotencyKey = null)
    : ICommand<ProductResponse>, IIdempotentCommand
{
    long IIdempotentCommand.MemberId => AdminId;
}

internal sealed class CreateProductValidator : AbstractValidator<CreateProduct>
{
    public CreateProductValidator()
    {
        RuleFor(c => c.Name).ProductName();
        RuleFor(c => c.Description!).ProductDescription().When(c => c.Description is not null);
        RuleFor(c => c.Price).ProductPrice();
        RuleFor(c => c.Stock).InclusiveBetween(0, CatalogLimits.MaxStockChange);
    }
}

internal sealed class CreateProductHandler(DbSession session, TimeProvider clock) : IRequestHandler<CreateProduct, ProductResponse>
{
    private const string InsertSql = $"""
        INSERT INTO catalog.products (name, description, price, stock, status, created_at, updated_at)
        VALUES (@Name, @Description, @Price, @Stock, @Status, @Now, @Now)
        RETURNING {Products.Columns}
        """;

    public async Task<ProductResponse> Handle(CreateProduct command, CancellationToken ct) =>
        await session.Connection.QuerySingleAsync<ProductResponse>(session.Command(InsertSql, new
        {
            Name = command.Name.Trim(),
            Description = command.Description?.Trim() ?? "",
            command.Price,
            command.Stock,
            Status = ProductStatus.OnSale,
            Now = clock.GetUtcNow(),
        }, ct));
}
