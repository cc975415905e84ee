using FluentValidation;

namespace Commerce.Modules.Members;

internal static class PasswordRules
{
    public const int MinLength = 10;
    public const int MaxLength = 128;

    /// <summary>Length first (what guessing costs most), plus letters and digits so a lone repeated character or
    /// a plain word is refused.</summary>
    public static IRuleBuilderOptions<T, string> StrongPassword<T>(this IRuleBuilder<T, string> rule) => rule
        .NotEmpty()
        .Length(MinLength, MaxLength)
        .Must(p => p.Any(char.IsLetter) && p.Any(char.IsDigit)).WithMessage("The password must contain letters and digits.")
        .Must(p => p.Distinct().Count() >= 5).WithMessage("The password must use at least 5 different characters.");

    /// <summary>The same rules for passwords that come from settings (the admin and demo accounts): why it is too weak, or null.</summary>
    public static string? Weakness(string password)
    {
        var result = Validator.Validate(password);
        return result.IsValid ? null : string.Join(" ", result.Errors.Select(e => e.ErrorMessage));
    }

    private static readonly InlineValidator<string> Validator = CreateValidator();

    private static InlineValidator<string> CreateValidator()
    {
        var validator = new InlineValidator<string>();
        validator.RuleFor(p => p).StrongPassword().OverridePropertyName("Password");
        return validator;
    }
}

/// <summary>Shared by sign-up and seeding; the same hasher verifies logins.</summary>
internal static class MemberPasswordHasher
{
    private static readonly Microsoft.AspNetCore.Identity.PasswordHasher<object> Hasher = new();
    private static readonly object User = new();

    public static string Hash(string password) => Hasher.HashPassword(User, password);

    public static bool Verify(string hash, string password) =>
        Hasher.VerifyHashedPassword(User, hash, password) != Microsoft.AspNetCore.Identity.PasswordVerificationResult.Failed;
}
