namespace Commerce.Host.OpenApi;

/// <summary>
/// The closed sets of values the API sends and accepts, as the document's enums, so a generated client gets a type a
/// misspelt comparison cannot compile against. The modules keep them as string constants (many are internal to their
/// module); <c>ApiVocabularyTests</c> checks these lists against those constants, so a new value cannot go undocumented.
/// </summary>
internal static class ApiVocabulary
{
    public static readonly string[] OrderStatuses = ["PENDING_PAYMENT", "PAYING", "PAID", "PAYMENT_FAILED", "CANCELLED", "EXPIRED", "REFUNDING", "REFUNDED"];
    public static readonly string[] OrderFlows = ["PLACE_ORDER", "CHECKOUT"];
    public static readonly string[] PaymentStatuses = ["PENDING", "APPROVED", "DECLINED", "REJECTED"];
    public static readonly string[] PaymentMethods = ["GATEWAY", "POINTS"];
    public static readonly string[] RefundStatuses = ["PENDING", "COMPLETED", "DECLINED"];
    public static readonly string[] DiscountTypes = ["FIXED", "PERCENT"];
    public static readonly string[] CouponTargets = ["ORDER", "PRODUCT"];
    public static readonly string[] CouponStatuses = ["AVAILABLE", "USED", "EXPIRED"];
    public static readonly string[] ProductStatuses = ["ON_SALE", "DISCONTINUED"];
    public static readonly string[] MemberStatuses = ["ACTIVE", "DISABLED"];
    public static readonly string[] MemberRoles = ["member", "admin"];
    public static readonly string[] LedgerTypes = ["CHARGE", "USE", "REFUND"];

    /// <summary>The values of a string property, by the record that declares it and the property's JSON name.</summary>
    public static string[]? ForProperty(string type, string property) => (type, property) switch
    {
        ("OrderView" or "OrderSummary", "status") => OrderStatuses,
        ("OrderView" or "OrderSummary", "flow") => OrderFlows,
        ("PaymentView", "status") => PaymentStatuses,
        ("PaymentView" or "RefundView", "method") => PaymentMethods,
        ("RefundView", "status") => RefundStatuses,
        ("CartLineView", "productStatus") => ProductStatuses,
        ("CampaignResponse" or "CouponResponse" or "CreateCampaign", "discountType") => DiscountTypes,
        ("CampaignResponse" or "CouponResponse" or "CreateCampaign", "target") => CouponTargets,
        ("CouponResponse", "status") => CouponStatuses,
        ("ProductResponse" or "PopularProduct" or "UpdateProductRequest", "status") => ProductStatuses,
        ("MemberResponse" or "ChangeMemberStatusRequest", "status") => MemberStatuses,
        ("MemberResponse", "role") => MemberRoles,
        ("LedgerEntry", "type") => LedgerTypes,
        _ => null,
    };

    /// <summary>The values of a <c>status</c> query filter, by operation.</summary>
    public static string[]? ForStatusFilter(string operationId) => operationId switch
    {
        "ListProducts" => ProductStatuses,
        "GetMyCoupons" => CouponStatuses,
        "ListMyOrders" => OrderStatuses,
        _ => null,
    };
}
