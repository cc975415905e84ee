namespace Commerce.BuildingBlocks.Idempotency;

public sealed class IdempotencyOptions
{
    public const string Section = "Commerce:Idempotency";

    /// <summary>How long a stored response can be replayed. Never less than 24 hours.</summary>
    public TimeSpan Retention { get; set; } = TimeSpan.FromHours(24);

    public TimeSpan CleanupInterval { get; set; } = TimeSpan.FromMinutes(10);

    public const int MaxKeyLength = 100;

    public static bool IsValidKey(string key) =>
        key.Length is > 0 and <= MaxKeyLength && key.All(c => c is >= '!' and <= '~');
}
