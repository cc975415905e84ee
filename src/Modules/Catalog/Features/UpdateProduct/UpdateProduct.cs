using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Catalog.Features.UpdateProduct;

/// <summary>
/// An admin changes any of name, description, price and sale status; a null field stays as it is. Stock is
/// not here: it only moves by restock and by orders, so a stale form can never overwrite a sale.
/// </summary>
public sealed record UpdateProduct(long ProductId, string? Name = null, string? Description = null, long? Price = null, string? Status = null)
    : ICommand<ProductResponse>;

internal sealed class UpdateProductValidator : AbstractValidator<UpdateProduct>
{
    public UpdateProductValidator()
    {
        RuleFor(c => c)
            .Must(c => c.Name is not null || c.Description is not null || c.Price is not null || c.Status is not null)
            .WithMessage("Send at least one of name, description, price and status.")
            .OverridePropertyName("body");
        RuleFor(c => c.Name!).ProductName().When(c => c.Name is not null);
        RuleFor(c => c.Description!).ProductDescription().When(c => c.Description is not null);
        RuleFor(c => c.Price!.Value).ProductPrice().When(c => c.Price is not null).OverridePropertyName(nameof(UpdateProduct.Price));
        RuleFor(c => c.Status!).SaleStatus().When(c => c.Status is not null);
    }
}

internal sealed class UpdateProductHandler(DbSession session, TimeProvider clock) : IRequestHandler<UpdateProduct, ProductResponse>
{
    // One statement: the row lock it takes serialises it with orders reading the price under their own lock.
    private const string UpdateSql = $"""
        UPDATE catalog.products SET
            name = coalesce(@Name, name),
            description = coalesce(@Description, description),
            price = coalesce(@Price, price),
            status = coalesce(@Status, status),
            updated_at = @Now
        WHERE id = @ProductId
        RETURNING {Products.Columns}
        """;

    public async Task<ProductResponse> Handle(UpdateProduct command, CancellationToken ct) =>
        await session.Connection.QuerySingleOrDefaultAsync<ProductResponse>(session.Command(UpdateSql, new
        {
            command.ProductId,
            Name = command.Name?.Trim(),
            Description = command.Description?.Trim(),
            command.Price,
            command.Status,
            Now = clock.GetUtcNow(),
        }, ct))
        ?? throw Products.NotFound(command.ProductId);
}
