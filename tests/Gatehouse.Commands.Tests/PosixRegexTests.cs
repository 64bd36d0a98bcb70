using Gatehouse.Commands.Acl;

namespace Gatehouse.Commands.Tests;

public class PosixRegexTests
{
    [Theory]
    [InlineData("^a$", @"^a\z")]
    [InlineData("(a|b)+", "(?:a|b)+")]
    [InlineData("[[:digit:]_-]", "[0-9_-]")]
    [InlineData(@"[\]", @"[\\]")]
    [InlineData("[]a]", @"[\]a]")]
    [InlineData("[^]a]", @"[^\]a]")]
    [InlineData("a{,3}", "a{0,3}")]
    [InlineData(@"\.", @"\.")]
    [InlineData(@"\q", "q")]
    [InlineData(@"\<x\>", @"\b(?=\w)x\b(?<=\w)")]
    [InlineData("[a-[]", @"[a\-\[]")]
    public void Translates_to_equivalent_dotnet_patterns(string ere, string expected)
    {
        Assert.Equal(expected, PosixRegex.Translate(ere));
    }

    [Theory]
    [InlineData("a[b")]
    [InlineData("a\\")]
    [InlineData("[[:nosuch:]]")]
    [InlineData("[[.ab.]]")]
    public void Rejects_malformed_expressions(string ere)
    {
        Assert.Throws<ArgumentException>(() => PosixRegex.Translate(ere));
    }

    [Fact]
    public void Catastrophic_patterns_time_out_and_deny()
    {
        var entry = (AclEntry.RegexAcl)AclParser.Parse("regex:^(a+)+$", AclMethod.File);
        var evaluator = new AclEvaluator();
        string principal = new string('a', 40) + "!";
        var decision = evaluator.Check([entry], new AclSubject(principal, false), new Gatehouse.Commands.Configuration.SourceLocation("t", 2));
        // .NET's backtracking engine may answer quickly or hit the timeout; either way this must not allow.
        Assert.False(decision.Allowed);
    }
}
