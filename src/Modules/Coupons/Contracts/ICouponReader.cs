namespace Commerce.Modules.Coupons.Contracts;

/// <summary>
/// A member's issued coupons as a price quote reads them: committed state, no lock, so a quote never waits for an
/// order. The same selection as <see cref="ICouponRedemption.LockAsync"/> and <see cref="ICouponRedemption.LockUsableAsync"/>.
/// </summary>
public interface ICouponReader
{
    Task<IReadOnlyList<IssuedCoupon>> ReadAsync(long memberId, IReadOnlyCollection<long> issuedCouponIds, CancellationToken ct);

    Task<IReadOnlyList<IssuedCoupon>> ReadUsableAsync(long memberId, DateTimeOffset now, CancellationToken ct);
}
