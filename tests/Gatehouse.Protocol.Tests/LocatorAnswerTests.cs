using System.Text;

namespace Gatehouse.Protocol.Tests;

public sealed class LocatorAnswerTests
{
    [Theory]
    [InlineData("SHA256:abc", 30)]
    [InlineData("10.0.0.5:7340", 0)]
    [InlineData(null, 86400)]
    public void An_answer_round_trips(string? member, int ttlSeconds)
    {
        string line = LocatorAnswer.Format(member, TimeSpan.FromSeconds(ttlSeconds));
        Assert.True(LocatorAnswer.TryParse(Encoding.UTF8.GetBytes(line), out var answer, out string error), error);
        Assert.Equal(new LocatorAnswer(member, TimeSpan.FromSeconds(ttlSeconds)), answer);
    }

    [Fact]
    public void An_answer_without_a_ttl_leaves_it_to_the_gateway()
    {
        Assert.True(LocatorAnswer.TryParse("gw2:7340\r\n"u8, out var answer, out _));
        Assert.Equal("gw2:7340", answer.Member);
        Assert.Null(answer.Ttl);
        Assert.Equal("-\n", LocatorAnswer.Format(null, null));
        Assert.True(LocatorAnswer.TryParse("-"u8, out answer, out _));
        Assert.Null(answer.Member);
    }

    [Theory]
    [InlineData("", "not 'MEMBER [TTL]'")]
    [InlineData("a b c", "not 'MEMBER [TTL]'")]
    [InlineData("a\nb", "more than one line")]
    [InlineData("a -1", "TTL '-1'")]
    [InlineData("a 86401", "TTL '86401'")]
    [InlineData("a 1.5", "TTL '1.5'")]
    public void A_malformed_answer_is_refused_with_the_reason(string text, string reason)
    {
        Assert.False(LocatorAnswer.TryParse(Encoding.UTF8.GetBytes(text), out _, out string error));
        Assert.Contains(reason, error, StringComparison.Ordinal);
    }

    [Fact]
    public void An_answer_too_long_or_not_utf8_is_refused()
    {
        Assert.False(LocatorAnswer.TryParse(new byte[LocatorAnswer.MaxBytes + 1], out _, out string error));
        Assert.Contains("longer than", error, StringComparison.Ordinal);
        Assert.False(LocatorAnswer.TryParse([0xC3, 0x28], out _, out error));
        Assert.Contains("UTF-8", error, StringComparison.Ordinal);
    }

    [Fact]
    public void Format_refuses_what_could_not_be_parsed_back()
    {
        Assert.Throws<ArgumentException>(() => LocatorAnswer.Format("a b", null));
        Assert.Throws<ArgumentException>(() => LocatorAnswer.Format("-", null));
        Assert.Throws<ArgumentOutOfRangeException>(() => LocatorAnswer.Format("a", TimeSpan.FromSeconds(-1)));
        Assert.Throws<ArgumentOutOfRangeException>(() => LocatorAnswer.Format("a", TimeSpan.FromDays(2)));
    }

    [Fact]
    public void A_redirect_may_say_it_holds_for_the_requests_key_only()
    {
        string fp = "SHA256:" + new string('A', 43);
        Assert.True(SeeOtherHost.TryParse(SeeOtherHost.Format("10.0.0.1", 7340, fp, perKey: true), out string address, out string fingerprint, out bool perKey));
        Assert.Equal(("10.0.0.1:7340", fp, true), (address, fingerprint, perKey));
        Assert.True(SeeOtherHost.TryParse(SeeOtherHost.Format("::1", 7340, fp), out address, out fingerprint, out perKey));
        Assert.Equal(("[::1]:7340", fp, false), (address, fingerprint, perKey));
        Assert.False(SeeOtherHost.TryParse(";key", out _, out _, out _));
    }
}
