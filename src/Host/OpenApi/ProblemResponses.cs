using System.Text.Json.Nodes;

namespace Commerce.Host.OpenApi;

/// <summary>
/// One problem-details schema per family of error (per status), with <c>code</c> as the enum of the stable codes that
/// status carries and the extension members those codes add. Each is a reusable response under
/// <c>components/responses</c> (e.g. <c>Conflict</c>) that every operation answering that status points to.
/// The codes are the API's contract: <c>ApiVocabularyTests</c> fails when the source raises one that is not listed here.
/// </summary>
internal static class ProblemResponses
{
    internal sealed record Family(int Status, string Name, string Description, string[] Codes, (string Name, JsonObject Schema)[] Extensions);

    private static JsonObject Integer(string description) => new() { ["type"] = "integer", ["format"] = "int64", ["description"] = description };

    private static JsonObject Text(string description, params string[] values)
    {
        var schema = new JsonObject { ["type"] = "string", ["description"] = description };
        if (values.Length > 0)
        {
            schema["enum"] = new JsonArray([.. values.Select(v => (JsonNode)v)]);
        }

        return schema;
    }

    private static readonly (string, JsonObject) Retryable =
        ("retryable", new JsonObject { ["type"] = "boolean", ["description"] = "True when the same request may succeed if sent again (LOCK_TIMEOUT, BUSY, DATABASE_UNAVAILABLE, OVERLOADED)." });

    public static readonly Family[] Families =
    [
        new(400, "BadRequest", "The request is malformed (MALFORMED_REQUEST: not JSON of the expected shape, a parameter of the wrong type) " +
                               "or breaks a rule of its fields (VALIDATION_FAILED). `errors` names each field or parameter with its messages.",
            ["VALIDATION_FAILED", "MALFORMED_REQUEST"],
            [("errors", new JsonObject
            {
                ["type"] = "object",
                ["description"] = "Messages by field (camelCase, dotted for nested fields, e.g. items[0].quantity) or parameter name.",
                ["additionalProperties"] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["type"] = "string" } },
            })]),
        new(401, "Unauthorized", "No valid credentials: no token, an expired, forged or tampered one (UNAUTHENTICATED), a wrong email or password " +
                                 "(INVALID_CREDENTIALS), or a refresh token that is expired, tampered with, already used or revoked (INVALID_REFRESH_TOKEN).",
            ["UNAUTHENTICATED", "INVALID_CREDENTIALS", "INVALID_REFRESH_TOKEN"], []),
        new(402, "PaymentDeclined", "The payment gateway declined the payment (PAYMENT_DECLINED); the points were refunded and the order released.",
            ["PAYMENT_DECLINED"], [("reason", new JsonObject { ["type"] = new JsonArray("string", "null"), ["description"] = "The gateway's reason, when it gave one." })]),
        new(403, "Forbidden", "The account behind a valid token is disabled or gone (NOT_A_MEMBER), or lacks the role (FORBIDDEN).",
            ["FORBIDDEN", "NOT_A_MEMBER"], []),
        new(404, "NotFound", "The resource does not exist, or is not the caller's (another member's order reads exactly like a missing one). " +
                             "The id that was not found is named in the problem.",
            ["NOT_FOUND", "PRODUCT_NOT_FOUND", "CAMPAIGN_NOT_FOUND", "ORDER_NOT_FOUND", "MEMBER_NOT_FOUND", "OUTBOX_MESSAGE_NOT_FOUND", "CART_NOT_FOUND"],
            [("productId", Integer("PRODUCT_NOT_FOUND: the product.")), ("campaignId", Integer("CAMPAIGN_NOT_FOUND: the campaign.")),
             ("orderId", Integer("ORDER_NOT_FOUND: the order."))]),
        new(409, "Conflict", "The request collides with the current state: a business rule (stock, coupons, points, order status, a taken email) " +
                             "or a busy resource (LOCK_TIMEOUT, `retryable: true`). Nothing was changed.",
            ["LOCK_TIMEOUT", "EMAIL_TAKEN", "OUT_OF_STOCK", "PRODUCT_DISCONTINUED", "STOCK_LIMIT_EXCEEDED", "COUPON_SOLD_OUT", "COUPON_ALREADY_ISSUED",
             "QUANTITY_BELOW_ISSUED", "INSUFFICIENT_POINTS", "BALANCE_LIMIT_EXCEEDED", "ORDER_NOT_PAYABLE", "ORDER_NOT_CANCELLABLE",
             "ORDER_NOT_REFUNDABLE", "REFUND_WINDOW_CLOSED", "CART_FULL", "CART_EMPTY", "OUTBOX_MESSAGE_NOT_DEAD_LETTERED"],
            [("productId", Integer("OUT_OF_STOCK, PRODUCT_DISCONTINUED, STOCK_LIMIT_EXCEEDED: the product.")),
             ("requested", Integer("OUT_OF_STOCK: the units asked for.")), ("available", Integer("OUT_OF_STOCK: the units in stock.")),
             ("stock", Integer("STOCK_LIMIT_EXCEEDED: the current stock.")), ("maxStock", Integer("STOCK_LIMIT_EXCEEDED: the most stock a product may hold.")),
             ("campaignId", Integer("COUPON_SOLD_OUT, COUPON_ALREADY_ISSUED, QUANTITY_BELOW_ISSUED: the campaign.")),
             ("issuedCount", Integer("QUANTITY_BELOW_ISSUED: coupons already issued.")),
             ("balance", Integer("INSUFFICIENT_POINTS, BALANCE_LIMIT_EXCEEDED: the current balance.")),
             ("required", Integer("INSUFFICIENT_POINTS: the points the order needs.")),
             ("maxBalance", Integer("BALANCE_LIMIT_EXCEEDED: the largest balance allowed.")),
             ("orderId", Integer("ORDER_NOT_PAYABLE, ORDER_NOT_CANCELLABLE, ORDER_NOT_REFUNDABLE, REFUND_WINDOW_CLOSED: the order.")),
             ("orderStatus", Text("ORDER_NOT_PAYABLE, ORDER_NOT_CANCELLABLE, ORDER_NOT_REFUNDABLE: the order's status.", ApiVocabulary.OrderStatuses)),
             ("paidAt", new JsonObject { ["type"] = "string", ["format"] = "date-time", ["description"] = "REFUND_WINDOW_CLOSED: when the order was paid." }),
             ("state", Text("OUTBOX_MESSAGE_NOT_DEAD_LETTERED: the message's state.")),
             Retryable]),
        new(413, "PayloadTooLarge", "The body is larger than the host accepts (Commerce:Http:MaxRequestBodyBytes, 64 KB by default).",
            ["PAYLOAD_TOO_LARGE"], []),
        new(415, "UnsupportedMediaType", "The body is not application/json, or not UTF-8.", ["UNSUPPORTED_MEDIA_TYPE"], []),
        new(422, "Unprocessable", "The request is well formed but cannot be carried out: a coupon that cannot be used (COUPON_NOT_USABLE), a campaign " +
                                  "outside its issue window (COUPON_NOT_ISSUABLE), or an Idempotency-Key already used with another body (IDEMPOTENCY_KEY_REUSED).",
            ["COUPON_NOT_USABLE", "COUPON_NOT_ISSUABLE", "IDEMPOTENCY_KEY_REUSED"],
            [("couponId", Integer("COUPON_NOT_USABLE: the first coupon that cannot be used.")),
             ("campaignId", Integer("COUPON_NOT_ISSUABLE: the campaign.")),
             ("startsAt", new JsonObject { ["type"] = "string", ["format"] = "date-time", ["description"] = "COUPON_NOT_ISSUABLE: when the issue window opens." }),
             ("endsAt", new JsonObject { ["type"] = "string", ["format"] = "date-time", ["description"] = "COUPON_NOT_ISSUABLE: when the issue window closes." })]),
        new(429, "TooManyRequests", "Too many requests (RATE_LIMITED) or too many failed logins for this email from this address (LOGIN_LOCKED). " +
                                    "The Retry-After header says how many seconds to wait.",
            ["RATE_LIMITED", "LOGIN_LOCKED"], []),
        new(502, "BadGateway", "The payment gateway declined the refund (REFUND_DECLINED); the order is still PAID.",
            ["REFUND_DECLINED"], [("reason", new JsonObject { ["type"] = new JsonArray("string", "null"), ["description"] = "The gateway's reason, when it gave one." })]),
        new(503, "ServiceUnavailable", "The service cannot answer now: the database is unreachable (DATABASE_UNAVAILABLE, with Retry-After), " +
                                       "a statement took too long (BUSY), or the instance is overloaded (OVERLOADED, with Retry-After). Retry later.",
            ["DATABASE_UNAVAILABLE", "BUSY", "OVERLOADED"], [Retryable]),
    ];

    public static Family? For(int status) => Families.FirstOrDefault(f => f.Status == status);

    public static string SchemaName(Family family) => family.Name + "Problem";

    /// <summary>Adds every family's schema and response to the document's components.</summary>
    public static void AddTo(JsonObject document)
    {
        var components = (JsonObject)(document["components"] ??= new JsonObject());
        var schemas = (JsonObject)(components["schemas"] ??= new JsonObject());
        var responses = (JsonObject)(components["responses"] ??= new JsonObject());
        foreach (var family in Families)
        {
            schemas[SchemaName(family)] = Schema(family);
            var response = new JsonObject
            {
                ["description"] = family.Description,
                ["content"] = new JsonObject
                {
                    ["application/problem+json"] = new JsonObject { ["schema"] = new JsonObject { ["$ref"] = $"#/components/schemas/{SchemaName(family)}" } },
                },
            };
            if (family.Status is 429 or 503)
            {
                response["headers"] = new JsonObject
                {
                    ["Retry-After"] = new JsonObject
                    {
                        ["description"] = "Seconds to wait before trying again" + (family.Status == 503 ? " (DATABASE_UNAVAILABLE and OVERLOADED)." : "."),
                        ["schema"] = new JsonObject { ["type"] = "integer", ["minimum"] = 1 },
                    },
                };
            }

            responses[family.Name] = response;
        }
    }

    private static JsonObject Schema(Family family)
    {
        var properties = new JsonObject
        {
            ["type"] = new JsonObject { ["type"] = "string", ["description"] = "A URI reference identifying the kind of problem (RFC 9457)." },
            ["title"] = new JsonObject { ["type"] = "string", ["description"] = "A short summary of the kind of problem." },
            ["status"] = new JsonObject { ["type"] = "integer", ["enum"] = new JsonArray(family.Status), ["description"] = "The HTTP status." },
            ["detail"] = new JsonObject { ["type"] = "string", ["description"] = "What went wrong with this request, for people." },
            ["instance"] = new JsonObject { ["type"] = "string", ["description"] = "The request path." },
            ["code"] = Text("The stable, machine-readable code: branch on this, not on the text.", family.Codes),
            ["traceId"] = new JsonObject { ["type"] = "string", ["description"] = "The request's trace id, as in the server's logs." },
        };
        foreach (var (name, schema) in family.Extensions)
        {
            properties[name] = schema.DeepClone();
        }

        return new JsonObject
        {
            ["type"] = "object",
            ["description"] = $"RFC 9457 problem details of a {family.Status} answer.",
            ["required"] = new JsonArray("status", "code", "traceId"),
            ["properties"] = properties,
            ["additionalProperties"] = false,
        };
    }
}
