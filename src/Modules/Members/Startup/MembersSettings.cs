namespace Commerce.Modules.Members.Startup;

/// <summary><c>Commerce:Admin</c>: the admin account created on first start when both are set.</summary>
public sealed class AdminOptions
{
    public const string Section = "Commerce:Admin";

    public string? Email { get; set; }

    public string? Password { get; set; }

    public string Name { get; set; } = "Administrator";
}

/// <summary><c>Commerce:DemoData</c>: sample accounts for trying the API, created when the database has no members yet.</summary>
public sealed class DemoDataOptions
{
    public const string Section = "Commerce:DemoData";

    public bool Enabled { get; set; }

    public List<DemoMember> Members { get; set; } = [];

    public sealed class DemoMember
    {
        public string Name { get; set; } = "";

        public string Email { get; set; } = "";

        public string Password { get; set; } = "";
    }
}
