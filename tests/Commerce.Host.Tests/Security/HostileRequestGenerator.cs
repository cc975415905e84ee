using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Commerce.Testing;
using static Commerce.Host.Tests.Security.HostileValues;

namespace Commerce.Host.Tests.Security;

/// <summary>
/// Bad requests for any endpoint, from its shape alone (route values, query parameters, body type, headers, access):
/// first a plausible request built from the seeded shop (real product, campaign, order and coupon ids, the right
/// caller), so it reaches deep code, then one hostile change of a chosen category. Deterministic: one seeded
/// <see cref="Random"/> and the endpoints in a fixed order.
/// </summary>
internal sealed partial class HostileRequestGenerator(SeededShop shop, Func<long, string, TimeSpan?, string> tokenFor, DateTimeOffset now, int seed)
{
    private static readonly (string Name, int Weight)[] AnyEndpoint = [("token", 10), ("method", 6), ("query-value", 8), ("header", 4)];

    private static readonly (string Name, int Weight)[] WithBody =
    [
        ("wrong-type", 10), ("missing-field", 8), ("extra-field", 6), ("number-edge", 12), ("long-string", 6), ("odd-unicode", 10),
        ("sql-string", 8), ("malformed-json", 10), ("oversize-body", 4), ("content-type", 6),
    ];

    private readonly Random _random = new(seed);
    private int _sequence;

    /// <summary><paramref name="perEndpoint"/> requests for every endpoint, shuffled so the endpoints' traffic interleaves.</summary>
    public IReadOnlyList<HostileRequest> Generate(IReadOnlyList<ApiEndpoint> endpoints, int perEndpoint)
    {
        var requests = endpoints.SelectMany(e => Enumerable.Range(0, perEndpoint).Select(_ => Next(e))).ToArray();
        _random.Shuffle(requests);
        return [.. requests.Select((request, id) => request with { Id = id })];
    }

    private HostileRequest Next(ApiEndpoint endpoint)
    {
        var draft = Plausible(endpoint);
        var categories = AnyEndpoint
            .Concat(endpoint.Body is null ? [] : WithBody)
            .Concat(endpoint.Route.Count > 0 ? [("route-value", 12)] : [])
            .Concat(OwnsIds(endpoint) ? [("other-members-ids", 8)] : [])
            .ToArray();
        draft.Category = PickWeighted(categories);
        Mutate(draft);
        return draft.Build();
    }

    // ---- the plausible request ----

    private Draft Plausible(ApiEndpoint endpoint)
    {
        var caller = endpoint.Access == "admin" ? shop.Admin : _random.Next(10) < 8 ? shop.Member : Pick(shop.Shoppers);
        var draft = new Draft(endpoint, caller) { Method = endpoint.Method ?? "GET" };
        draft.Authorization = endpoint.Access == "anonymous" && _random.Next(10) < 8 ? null : Bearer(caller);
        foreach (var value in endpoint.Route)
        {
            draft.Route[value.Name] = RouteValueFor(value, caller);
        }

        foreach (var query in endpoint.Query.Where(_ => _random.Next(2) == 0))
        {
            draft.Query.Add(new(query.Name, QueryValueFor(query)));
        }

        if (endpoint.Headers.Contains("Idempotency-Key") && _random.Next(2) == 0)
        {
            draft.Headers.Add(new("Idempotency-Key", $"fuzz-{seed}-{Interlocked.Increment(ref _sequence)}"));
        }

        if (endpoint.Body is not null)
        {
            draft.Body = ObjectFor(endpoint.Body, draft, 0);
        }

        return draft;
    }

    private string RouteValueFor(RouteValue value, TestMember caller) => value.Name switch
    {
        "productId" => Pick(shop.Products).ToString(),
        "campaignId" => Pick(shop.Campaigns).ToString(),
        "orderId" => Pick(shop.OrdersOf.GetValueOrDefault(caller.Id) ?? shop.OrdersOf[shop.Member.Id]).ToString(),
        "memberId" => Pick(shop.Victims).Id.ToString(),
        "cartId" => Pick(shop.GuestCarts),
        "documentName" => "v1",
        _ => value.Constraint switch
        {
            "guid" => NewGuid().ToString(),
            "long" or "int" => _random.Next(1, 1_000).ToString(),
            _ => "x",
        },
    };

    private string QueryValueFor(QueryValue query) => query.Name switch
    {
        "page" => _random.Next(1, 4).ToString(),
        "pageSize" or "limit" => _random.Next(1, 51).ToString(),
        "days" => _random.Next(1, 31).ToString(),
        "status" => Pick(Statuses),
        _ when query.Type == typeof(string) => "x",
        _ when query.Type == typeof(bool) => "true",
        _ => _random.Next(1, 10).ToString(),
    };

    private JsonObject ObjectFor(Type type, Draft draft, int depth)
    {
        var node = new JsonObject();
        var constructor = type.GetConstructors().OrderByDescending(c => c.GetParameters().Length).FirstOrDefault();
        foreach (var parameter in constructor?.GetParameters() ?? [])
        {
            var name = JsonNamingPolicy.CamelCase.ConvertName(parameter.Name!);
            // Optional members are left out now and then, as clients do.
            if (parameter.HasDefaultValue && _random.Next(10) < 4)
            {
                continue;
            }

            node[name] = ValueFor(parameter.ParameterType, name, draft, depth);
        }

        return node;
    }

    private JsonNode? ValueFor(Type type, string name, Draft draft, int depth)
    {
        var t = Nullable.GetUnderlyingType(type) ?? type;
        if (t == typeof(string))
        {
            return StringFor(name, draft.Caller);
        }

        if (t == typeof(long) || t == typeof(int))
        {
            return NumberFor(name);
        }

        if (t == typeof(bool))
        {
            return _random.Next(2) == 0;
        }

        if (t == typeof(DateTimeOffset))
        {
            return name switch
            {
                "startsAt" => now.AddHours(-1),
                "endsAt" => now.AddDays(7),
                _ => now.AddDays(30),
            };
        }

        if (t == typeof(Guid))
        {
            return NewGuid();
        }

        if (ElementType(t) is { } element)
        {
            if (name == "couponIds")
            {
                var coupons = shop.CouponsOf.GetValueOrDefault(draft.Caller.Id) ?? [];
                return new JsonArray([.. coupons.Where(_ => _random.Next(3) == 0).Select(id => (JsonNode)id)]);
            }

            var items = new JsonArray();
            for (var i = _random.Next(1, 4); i > 0 && depth < 4; i--)
            {
                items.Add(ValueFor(element, name, draft, depth + 1));
            }

            return items;
        }

        return depth < 4 ? ObjectFor(t, draft, depth + 1) : null;
    }

    private JsonNode StringFor(string name, TestMember caller) => name switch
    {
        // New addresses reach sign-up's insert; a few fixed unknown ones soon lock (as known ones do), which keeps the
        // run from spending most of its time hashing passwords.
        "email" => _random.Next(10) switch
        {
            < 3 => $"fuzz{seed}-{Interlocked.Increment(ref _sequence)}@test.local",
            < 6 => $"unknown{_random.Next(3)}@test.local",
            _ => Pick(shop.Shoppers).Email,
        },
        "password" => _random.Next(10) < 7 ? TestMembers.Password : $"Secret-pass-{_random.Next(100)}",
        "status" => Pick(Statuses),
        "discountType" => Pick(DiscountTypes),
        "target" => Pick(Targets),
        "name" => $"Fuzz {Interlocked.Increment(ref _sequence)}",
        "description" => "Made by the hostile-input test",
        "cartId" => Pick(shop.GuestCarts),
        _ => caller.Email,
    };

    private JsonNode NumberFor(string name) => name switch
    {
        "productId" => Pick(shop.Products),
        "quantity" => _random.Next(1, 4),
        "amount" => _random.Next(1_000, 50_001),
        "price" => _random.Next(1_000, 100_001),
        "stock" => _random.Next(0, 101),
        "totalQuantity" => _random.Next(10, 5_001),
        "discountValue" => _random.Next(5, 51),
        "maxDiscount" => _random.Next(1_000, 10_001),
        "minOrderAmount" => _random.Next(1_000, 20_001),
        "validDays" => _random.Next(1, 61),
        "memberId" => Pick(shop.Victims).Id,
        _ => _random.Next(1, 11),
    };

    // ---- the hostile change ----

    private void Mutate(Draft draft)
    {
        switch (draft.Category)
        {
            case "token":
                draft.Authorization = HostileAuthorization(draft.Caller);
                break;
            case "method":
                draft.Method = Pick(Methods.Where(m => m != draft.Method).ToArray());
                break;
            case "query-value":
                HostileQuery(draft);
                break;
            case "header":
                HostileHeader(draft);
                break;
            case "route-value":
                draft.Route[Pick(draft.Endpoint.Route).Name] = Inject(draft, Pick(RouteValues));
                break;
            case "other-members-ids":
                OtherMembersIds(draft);
                break;
            case "wrong-type":
                // List elements get their share: a null line slipped past binding once (items: [..., null]).
                var elements = Slots(draft.Body).Where(slot => slot.Parent is JsonArray).ToArray();
                SetRaw(draft, elements.Length > 0 && _random.Next(3) == 0 ? Pick(elements) : Pick(Slots(draft.Body)), Pick(WrongTypes));
                break;
            case "missing-field":
                Remove(Pick(Slots(draft.Body)), all: _random.Next(5) == 0, draft);
                break;
            case "extra-field":
                ExtraField(draft);
                break;
            case "number-edge":
                SetRaw(draft, Pick(Slots(draft.Body, JsonValueKind.Number)), Pick(NumberEdges));
                break;
            case "long-string":
                Set(draft, Pick(Slots(draft.Body, JsonValueKind.String)),
                    Inject(draft, new string(Pick(LongStringChars), Pick(LongStringLengths))));
                break;
            case "odd-unicode":
                OddUnicode(draft);
                break;
            case "sql-string":
                Set(draft, Pick(Slots(draft.Body, JsonValueKind.String)), Inject(draft, Pick(SqlStrings)));
                break;
            case "malformed-json":
                MalformedJson(draft);
                break;
            case "oversize-body":
                Oversize(draft);
                break;
            case "content-type":
                draft.ContentType = _random.Next(8) == 0 ? null : Pick(ContentTypes);
                if (draft.ContentType == "application/x-www-form-urlencoded" && _random.Next(2) == 0)
                {
                    draft.RawBody = "amount=5&name=x";
                }

                break;
            default:
                throw new InvalidOperationException($"Unknown category {draft.Category}");
        }
    }

    private string? HostileAuthorization(TestMember caller)
    {
        var valid = tokenFor(caller.Id, caller.Role, null);
        return _random.Next(18) switch
        {
            0 => null,
            1 => "Bearer " + tokenFor(caller.Id, caller.Role, TimeSpan.FromMinutes(-1)),
            2 => "Bearer " + Convert.ToBase64String(RandomBytes(_random.Next(50, 400))).TrimEnd('=').Replace('+', '-').Replace('/', '_'),
            3 => "Bearer " + Tamper(valid),
            4 => "Bearer " + tokenFor(999_999_999, "member", null),
            5 => "Bearer " + tokenFor(shop.Disabled.Id, "member", null),
            6 => "Bearer " + tokenFor(shop.Member.Id, "admin", null),
            7 => "Basic dXNlcjpwYXNzd29yZA==",
            8 => "Bearer",
            9 => "Bearer ",
            10 => "Bearer " + valid + " extra",
            11 => "Token " + valid,
            12 => "Bearer " + new string('A', 8_000),
            13 => "Bearer " + valid + ", Bearer " + valid,
            14 => "Bearer null",
            15 => "Bearer ' OR 1=1 --",
            16 => "Bearer " + valid[..(valid.Length / 2)],
            _ => "bearer " + valid,
        };
    }

    private void HostileQuery(Draft draft)
    {
        if (draft.Endpoint.Query.Count > 0 && _random.Next(4) != 0)
        {
            var query = Pick(draft.Endpoint.Query);
            draft.Query.RemoveAll(q => q.Key == query.Name);
            draft.Query.Add(new(query.Name, Inject(draft, Pick(QueryValues))));
            if (_random.Next(5) == 0)
            {
                draft.Query.Add(new(query.Name, "2"));
            }

            return;
        }

        draft.Query.Add(Pick(new KeyValuePair<string, string>[]
        {
            new("admin", "true"), new("memberId", shop.Other.Id.ToString()), new("page", "-1"), new("%00", "x"), new("", ""),
            new("a[b]", "c"), new("status", "PAID'--"), new("__proto__", "x"), new("callback", "alert(1)"),
        }));
    }

    private void HostileHeader(Draft draft)
    {
        if (draft.Endpoint.Headers.Contains("Idempotency-Key") && _random.Next(3) != 0)
        {
            draft.Headers.RemoveAll(h => h.Key == "Idempotency-Key");
            draft.Headers.Add(new("Idempotency-Key", Inject(draft, Pick(IdempotencyKeys))));
            return;
        }

        var (name, value) = Pick(OddHeaders);
        draft.Headers.Add(new(name, value));
    }

    private void OtherMembersIds(Draft draft)
    {
        var other = draft.Caller.Id == shop.Other.Id ? shop.Member : shop.Other;
        if (draft.Route.ContainsKey("orderId"))
        {
            draft.Route["orderId"] = Pick(shop.OrdersOf[other.Id]).ToString();
        }

        if (draft.Route.ContainsKey("memberId"))
        {
            draft.Route["memberId"] = Pick(new[] { shop.Admin.Id, 999_999_999L }).ToString();
        }

        if (draft.Body is JsonObject body && body.ContainsKey("couponIds"))
        {
            body["couponIds"] = new JsonArray([.. shop.CouponsOf[other.Id].Select(id => (JsonNode)id)]);
        }
    }

    private void ExtraField(Draft draft)
    {
        var target = Slots(draft.Body).Select(s => s.Value).OfType<JsonObject>().Prepend(draft.Body as JsonObject).OfType<JsonObject>().ToArray();
        if (target.Length == 0)
        {
            draft.RawBody = "{\"isAdmin\":true}";
            return;
        }

        var node = Pick(target);
        var existing = node.Select(p => p.Key).ToArray();
        var name = existing.Length > 0 && _random.Next(4) == 0
            ? existing[0].ToUpperInvariant()
            : Pick(ExtraFieldNames);
        node[name] = Pick(new JsonNode?[] { true, "admin", shop.Other.Id, null, new JsonObject(), 0 });
    }

    private void OddUnicode(Draft draft)
    {
        var slot = Pick(Slots(draft.Body, JsonValueKind.String));
        draft.RelaxedEscaping = _random.Next(2) == 0;
        if (_random.Next(3) == 0)
        {
            SetRaw(draft, slot, Pick(RawOddStrings));
        }
        else
        {
            Set(draft, slot, Inject(draft, Pick(OddStrings)));
        }
    }

    private void MalformedJson(Draft draft)
    {
        var json = draft.Serialize();
        switch (_random.Next(6))
        {
            case 0:
                draft.RawBody = json[..Math.Max(0, _random.Next(json.Length))];
                break;
            case 1:
                var depth = Pick(NestingDepths);
                draft.RawBody = "{\"items\":" + new string('[', depth) + new string(']', depth) + "}";
                break;
            case 2:
                draft.BodyBytes = [.. Encoding.UTF8.GetBytes(json), 0xFF, 0xFE];
                draft.BodyBytes[_random.Next(draft.BodyBytes.Length)] = 0xC3;
                break;
            case 3:
                draft.RawBody = json.Length > 2 ? json[..^1] + "," + json[1..] : json + json;
                break;
            default:
                draft.RawBody = Pick(MalformedBodies);
                break;
        }
    }

    private void Oversize(Draft draft)
    {
        var size = Pick(OversizeBodies);
        var json = draft.Serialize();
        draft.RawBody = _random.Next(2) == 0 && json.StartsWith('{')
            ? "{" + new string(' ', Math.Max(0, size - json.Length)) + json[1..]
            : "{\"padding\":\"" + new string('x', size) + "\"}";
        draft.Chunked = _random.Next(3) == 0;
    }

    // ---- JSON slots ----

    private sealed record Slot(JsonNode Parent, string? Name, int Index, JsonNode? Value);

    private static Slot[] Slots(JsonNode? root, JsonValueKind? kind = null)
    {
        var slots = new List<Slot>();
        void Walk(JsonNode? node)
        {
            switch (node)
            {
                case JsonObject obj:
                    foreach (var (name, value) in obj.ToArray())
                    {
                        slots.Add(new Slot(obj, name, -1, value));
                        Walk(value);
                    }

                    break;
                case JsonArray array:
                    for (var i = 0; i < array.Count; i++)
                    {
                        slots.Add(new Slot(array, null, i, array[i]));
                        Walk(array[i]);
                    }

                    break;
            }
        }

        Walk(root);
        var matching = kind is null ? slots : slots.Where(s => s.Value?.GetValueKind() == kind).ToList();
        // An endpoint without such a field gets the change on any field (a type error on top of it).
        return matching.Count > 0 ? [.. matching] : slots.Count > 0 ? [.. slots] : [new Slot(root ?? new JsonObject(), "value", -1, null)];
    }

    private static void Set(Draft draft, Slot slot, JsonNode? value)
    {
        draft.Body ??= slot.Parent;
        if (slot.Parent is JsonObject obj)
        {
            obj[slot.Name!] = value;
        }
        else if (slot.Parent is JsonArray array)
        {
            array[slot.Index] = value;
        }
    }

    private static void SetRaw(Draft draft, Slot slot, string rawJson) => Set(draft, slot, draft.Raw(rawJson));

    private static void Remove(Slot slot, bool all, Draft draft)
    {
        if (all)
        {
            draft.RawBody = "{}";
        }
        else if (slot.Parent is JsonObject obj)
        {
            obj.Remove(slot.Name!);
        }
        else if (slot.Parent is JsonArray array && slot.Index < array.Count)
        {
            array.RemoveAt(slot.Index);
        }
    }

    // ---- helpers ----

    private string Bearer(TestMember member) => "Bearer " + tokenFor(member.Id, member.Role, null);

    private static string Inject(Draft draft, string value)
    {
        draft.Injected.Add(value);
        return value;
    }

    private static bool OwnsIds(ApiEndpoint endpoint) =>
        endpoint.Route.Any(r => r.Name is "orderId" or "memberId") ||
        endpoint.Body?.GetConstructors().Any(c => c.GetParameters().Any(p => p.Name == "CouponIds")) == true;

    private static Type? ElementType(Type type) =>
        type.IsArray ? type.GetElementType()
        : type.IsGenericType && type.GetGenericTypeDefinition() is var definition &&
          (definition == typeof(IReadOnlyList<>) || definition == typeof(List<>) || definition == typeof(IEnumerable<>) || definition == typeof(IList<>))
            ? type.GetGenericArguments()[0]
            : null;

    private string Tamper(string token)
    {
        var chars = token.ToCharArray();
        for (var i = 0; i < 3; i++)
        {
            var at = _random.Next(chars.Length);
            chars[at] = chars[at] == 'A' ? 'B' : 'A';
        }

        return new string(chars);
    }

    private byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        _random.NextBytes(bytes);
        return bytes;
    }

    private Guid NewGuid() => new(RandomBytes(16));

    private T Pick<T>(IReadOnlyList<T> items) => items[_random.Next(items.Count)];

    private string PickWeighted((string Name, int Weight)[] weighted)
    {
        var roll = _random.Next(weighted.Sum(w => w.Weight));
        foreach (var (name, weight) in weighted)
        {
            if ((roll -= weight) < 0)
            {
                return name;
            }
        }

        return weighted[^1].Name;
    }

    /// <summary>The request being built.</summary>
    private sealed partial class Draft(ApiEndpoint endpoint, TestMember caller)
    {
        private readonly Dictionary<string, string> _raw = [];

        public ApiEndpoint Endpoint { get; } = endpoint;

        public TestMember Caller { get; } = caller;

        public string Category { get; set; } = "";

        public string Method { get; set; } = "GET";

        public string? Authorization { get; set; }

        public Dictionary<string, string> Route { get; } = [];

        public List<KeyValuePair<string, string>> Query { get; } = [];

        public List<KeyValuePair<string, string>> Headers { get; } = [];

        public List<string> Injected { get; } = [];

        public JsonNode? Body { get; set; }

        /// <summary>Replaces the serialized body.</summary>
        public string? RawBody { get; set; }

        /// <summary>Replaces the body bytes (for invalid UTF-8).</summary>
        public byte[]? BodyBytes { get; set; }

        public string? ContentType { get; set; } = "application/json";

        public bool Chunked { get; set; }

        public bool RelaxedEscaping { get; set; }

        /// <summary>A placeholder value that is replaced by <paramref name="rawJson"/> in the serialized body.</summary>
        public JsonValue Raw(string rawJson)
        {
            var marker = $"@@raw{_raw.Count}@@";
            _raw[marker] = rawJson;
            Injected.Add(rawJson);
            return JsonValue.Create(marker);
        }

        public string Serialize()
        {
            if (Body is null)
            {
                return "";
            }

            var json = Body.ToJsonString(new JsonSerializerOptions { Encoder = RelaxedEscaping ? JavaScriptEncoder.UnsafeRelaxedJsonEscaping : JavaScriptEncoder.Default });
            return _raw.Aggregate(json, (text, raw) => text.Replace($"\"{raw.Key}\"", raw.Value, StringComparison.Ordinal));
        }

        public HostileRequest Build()
        {
            var path = RouteParameter().Replace(Endpoint.Pattern, m => Route.GetValueOrDefault(m.Groups["name"].Value, "1"));
            var query = Query.Count == 0 ? "" : "?" + string.Join('&', Query.Select(q => $"{q.Key}={q.Value}"));
            var body = BodyBytes ?? (RawBody ?? (Body is null ? null : Serialize())) switch
            {
                null => null,
                var text => Encoding.UTF8.GetBytes(text),
            };
            return new HostileRequest(0, Endpoint, Category, Method, path + query, Authorization, body is null ? null : ContentType,
                body, Chunked, Headers, Injected);
        }

        [GeneratedRegex(@"\{(?<name>\w+)(:[^}]*)?\}")]
        private static partial Regex RouteParameter();
    }
}
