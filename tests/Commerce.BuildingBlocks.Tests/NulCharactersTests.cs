using Commerce.BuildingBlocks.Mediation;

namespace Commerce.BuildingBlocks.Tests;

public sealed class NulCharactersTests
{
    public sealed record Line(long ProductId, string Note);

    public sealed record Request(string Name, string? Comment, IReadOnlyList<string> Tags, IReadOnlyList<Line> Lines, long[] Ids);

    [Fact]
    public void Names_every_string_with_a_nul_at_any_depth()
    {
        var request = new Request("ok", "bad\0", ["fine", "\0"], [new Line(1, "fine"), new Line(2, "x\0y")], [1, 2]);

        var failures = NulCharacters.Find(request);

        Assert.Equal(["Comment", "Tags[1]", "Lines[1].Note"], failures!.Select(f => f.PropertyName));
    }

    [Fact]
    public void Finds_nothing_in_clean_text()
    {
        Assert.Null(NulCharacters.Find(new Request("ok", null, ["a"], [new Line(1, "ü 🛒 \uFFFF")], [])));
    }
}
