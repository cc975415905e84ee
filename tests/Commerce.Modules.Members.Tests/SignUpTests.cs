using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Members.Features.SignUp;
using Commerce.Testing;
using FluentValidation;

namespace Commerce.Modules.Members.Tests;

public sealed class SignUpTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task SignUp_creates_an_active_member_with_a_hashed_password()
    {
        var member = await host.SendAsync(new SignUp("Jane Doe", "jane@example.com", "Secret-pass-1"));

        Assert.Equal(("Jane Doe", "jane@example.com", "member", "ACTIVE"), (member.Name, member.Email, member.Role, member.Status));
        var hash = await host.Sql.ScalarAsync<string>("SELECT password_hash FROM members.members WHERE id = @Id", new { member.Id });
        Assert.DoesNotContain("Secret-pass-1", hash);
        Assert.True(MemberPasswordHasher.Verify(hash, "Secret-pass-1"));
    }

    [Fact]
    public async Task SignUp_with_an_email_taken_in_another_case_is_refused()
    {
        await host.SendAsync(new SignUp("First", "Taken@Example.com", "Secret-pass-1"));

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new SignUp("Second", "taken@example.COM", "Secret-pass-2")));

        Assert.Equal(("EMAIL_TAKEN", 409), (error.Code, error.Status));
        Assert.Equal(1, await host.Sql.ScalarAsync<long>("SELECT count(*) FROM members.members WHERE lower(email) = 'taken@example.com'"));
    }

    [Fact]
    public async Task Concurrent_sign_ups_with_one_email_create_exactly_one_member()
    {
        var results = await Concurrently.RunAsync(10, async i =>
        {
            try
            {
                await host.SendAsync(new SignUp($"Racer {i}", "race@example.com", "Secret-pass-1"));
                return "created";
            }
            catch (AppException e)
            {
                return e.Code;
            }
        });

        Assert.Equal(1, results.Count(r => r == "created"));
        Assert.Equal(9, results.Count(r => r == "EMAIL_TAKEN"));
    }

    [Theory]
    [InlineData("", "a@b.co", "Secret-pass-1", "Name")]
    [InlineData("Jane", "not-an-email", "Secret-pass-1", "Email")]
    [InlineData("Jane", "a@b.co", "short1", "Password")]
    [InlineData("Jane", "a@b.co", "onlyletterspassword", "Password")]
    [InlineData("Jane", "a@b.co", "1111111111111", "Password")]
    [InlineData("Jane", "a@b.co", "a1a1a1a1a1a1", "Password")]
    public async Task SignUp_with_invalid_fields_is_a_validation_error(string name, string email, string password, string field)
    {
        var error = await Assert.ThrowsAsync<ValidationException>(() => host.SendAsync(new SignUp(name, email, password)));

        Assert.Contains(error.Errors, e => e.PropertyName == field);
    }
}
