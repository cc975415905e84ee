using Commerce.BuildingBlocks.Data;
using Commerce.BuildingBlocks.Mediation;
using Commerce.Modules.Coupons.Contracts;
using Dapper;
using FluentValidation;
using MediatR;

namespace Commerce.Modules.Coupons.Features.CreateCampaign;

/// <summary>
/// An admin creates a coupon campaign. Also the request body of <c>POST /api/admin/coupons</c>, and what the
/// Host sends through the mediator to seed demo campaigns.
/// </summary>
public sealed record CreateCampaign(
    string Name,
    string DiscountType,
    long DiscountValue,
    string Target,
    int TotalQuantity,
    DateTimeOffset StartsAt,
    DateTimeOffset EndsAt,
    long? MaxDiscount = null,
    long? ProductId = null,
    long? MinOrderAmount = null,
    DateTimeOffset? ValidUntil = null,
    int? ValidDays = null) : ICommand<CampaignResponse>;

internal sealed class CreateCampaignValidator : AbstractValidator<CreateCampaign>
{
    public const long MaxFixedDiscount = 10_000_000;
    public const int MaxQuantity = 10_000_000;
    public const int MaxValidDays = 3650;

    public CreateCampaignValidator()
    {
        RuleFor(c => c.Name).Must(n => n?.Trim().Length is >= 1 and <= 100)
            .WithMessage("The name must have 1 to 100 characters.");
        RuleFor(c => c.DiscountType).Must(t => t is CouponTerms.Fixed or CouponTerms.Percent)
            .WithMessage($"The discount type must be {CouponTerms.Fixed} or {CouponTerms.Percent}.");
        RuleFor(c => c.DiscountValue).InclusiveBetween(1, MaxFixedDiscount).When(c => c.DiscountType == CouponTerms.Fixed)
            .WithMessage($"A FIXED discount is 1 to {MaxFixedDiscount:N0} won.");
        RuleFor(c => c.DiscountValue).InclusiveBetween(1, 100).When(c => c.DiscountType == CouponTerms.Percent)
            .WithMessage("A PERCENT discount is 1 to 100.");
        RuleFor(c => c.MaxDiscount).Null().When(c => c.DiscountType != CouponTerms.Percent)
            .WithMessage("Only a PERCENT discount has a cap.");
        RuleFor(c => c.MaxDiscount).InclusiveBetween(1, MaxFixedDiscount).When(c => c.MaxDiscount is not null);
        RuleFor(c => c.Target).Must(t => t is CouponTerms.TargetOrder or CouponTerms.TargetProduct)
            .WithMessage($"The target must be {CouponTerms.TargetOrder} or {CouponTerms.TargetProduct}.");
        RuleFor(c => c.ProductId).Must(p => p > 0).When(c => c.Target == CouponTerms.TargetProduct)
            .WithMessage("A PRODUCT coupon needs the id of its product.");
        RuleFor(c => c.ProductId).Null().When(c => c.Target != CouponTerms.TargetProduct)
            .WithMessage("Only a PRODUCT coupon names a product.");
        RuleFor(c => c.MinOrderAmount).GreaterThan(0).When(c => c.MinOrderAmount is not null);
        RuleFor(c => c.TotalQuantity).InclusiveBetween(1, MaxQuantity);
        RuleFor(c => c.EndsAt).GreaterThan(c => c.StartsAt).WithMessage("The issue window must end after it starts.");
        RuleFor(c => c.ValidDays).Must((c, days) => days is null != c.ValidUntil is null)
            .WithMessage("Give exactly one of validUntil (a date) and validDays (days after issue).");
        RuleFor(c => c.ValidDays).InclusiveBetween(1, MaxValidDays).When(c => c.ValidDays is not null);
        RuleFor(c => c.ValidUntil).GreaterThanOrEqualTo(c => c.EndsAt).When(c => c.ValidUntil is not null)
            .WithMessage("validUntil must not be before the end of the issue window, or coupons would be issued already expired.");
    }
}

internal sealed class CreateCampaignHandler(DbSession session, TimeProvider clock) : IRequestHandler<CreateCampaign, CampaignResponse>
{
    private const string InsertSql = $"""
        INSERT INTO coupons.campaigns (name, discount_type, discount_value, max_discount, target, product_id, min_order_amount,
                                       total_quantity, starts_at, ends_at, valid_until, valid_days, created_at, updated_at)
        VALUES (@Name, @DiscountType, @DiscountValue, @MaxDiscount, @Target, @ProductId, @MinOrderAmount,
                @TotalQuantity, @StartsAt, @EndsAt, @ValidUntil, @ValidDays, @Now, @Now)
        RETURNING {CouponsSql.CampaignColumns}
        """;

    public async Task<CampaignResponse> Handle(CreateCampaign command, CancellationToken ct)
    {
        // 1. One insert; the table's check constraints hold the same rules as the validator.
        return await session.Connection.QuerySingleAsync<CampaignResponse>(session.Command(InsertSql, new
        {
            Name = command.Name.Trim(),
            command.DiscountType,
            command.DiscountValue,
            command.MaxDiscount,
            command.Target,
            command.ProductId,
            command.MinOrderAmount,
            command.TotalQuantity,
            command.StartsAt,
            command.EndsAt,
            command.ValidUntil,
            command.ValidDays,
            Now = clock.GetUtcNow(),
        }, ct));
    }
}
