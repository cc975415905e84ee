using Commerce.BuildingBlocks.Errors;
using Commerce.Modules.Members.Features.ChangeMemberStatus;
using Commerce.Modules.Members.Features.Login;
using Commerce.Modules.Members.Features.SignUp;
using Commerce.Testing;

namespace Commerce.Modules.Members.Tests;

public sealed class LoginTests(ModuleHost host) : IClassFixture<ModuleHost>
{
    [Fact]
    public async Task Login_with_the_right_password_returns_the_member_and_role()
    {
        var member = await host.SendAsync(new SignUp("Login", "login@example.com", "Secret-pass-1"));

        var result = await host.SendAsync(new Login("  LOGIN@example.com ", "Secret-pass-1"));

        Assert.Equal(new LoginResult(member.Id, "member"), result);
    }

    [Fact]
    public async Task Login_with_a_wrong_password_or_unknown_email_is_the_same_401()
    {
        await host.SendAsync(new SignUp("Wrong", "wrong@example.com", "Secret-pass-1"));

        var wrongPassword = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new Login("wrong@example.com", "Secret-pass-2")));
        var unknownEmail = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new Login("nobody@example.com", "Secret-pass-1")));

        Assert.Equal(("INVALID_CREDENTIALS", 401, "The email or password is wrong."), (wrongPassword.Code, wrongPassword.Status, wrongPassword.Message));
        Assert.Equal((wrongPassword.Code, wrongPassword.Status, wrongPassword.Message), (unknownEmail.Code, unknownEmail.Status, unknownEmail.Message));
    }

    [Fact]
    public async Task Login_of_a_disabled_member_is_refused_as_not_a_member()
    {
        var admin = await TestMembers.InsertOneAsync(host.Sql, role: "admin");
        var member = await host.SendAsync(new SignUp("Disabled", "disabled@example.com", "Secret-pass-1"));
        await host.SendAsync(new ChangeMemberStatus(admin.Id, member.Id, "DISABLED"));

        var error = await Assert.ThrowsAsync<AppException>(() => host.SendAsync(new Login("disabled@example.com", "Secret-pass-1")));

        Assert.Equal(("NOT_A_MEMBER", 403), (error.Code, error.Status));
        Assert.Equal("DISABLED", await host.Sql.ScalarAsync<string>("SELECT status FROM members.members WHERE id = @Id", new { member.Id }));
    }
}
