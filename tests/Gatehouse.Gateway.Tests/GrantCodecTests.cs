using System.Text;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Cluster;
using Microsoft.Extensions.Time.Testing;
using static Gatehouse.Gateway.Tests.GrantLedgerTests;

namespace Gatehouse.Gateway.Tests;

/// <summary>Issue 14, item 5: the grants text format, with hostile input.</summary>
public sealed class GrantCodecTests
{
    private static readonly string M = Member(1);
    private static readonly string F = Fp(1).ToString();

    private static List<GrantEntry> Sample()
    {
        var ledger = new GrantLedger(M, new FakeTimeProvider(Start));
        ledger.ObserveLocal([Grant(1, PeerRoles.Client | PeerRoles.Admin), Grant(2, PeerRoles.Service, "mailsvc", "mail", "default"), Grant(3, PeerRoles.Gateway)]);
        ledger.ObserveLocal([Grant(1, PeerRoles.Client | PeerRoles.Admin), Grant(3, PeerRoles.Gateway)]);
        return [.. ledger.Export()];
    }

    [Fact]
    public void Entries_round_trip_through_utf8()
    {
        var entries = Sample();
        var back = GrantCodec.ReadEntriesUtf8(GrantCodec.WriteUtf8(entries), "pull");
        Assert.Equal(entries, back);
        Assert.Contains(back, e => e.IsRemoval);
        Assert.Contains(back, e => e.Grant?.Has(PeerRoles.Gateway) == true);
    }

    [Fact]
    public void A_state_document_round_trips_its_clock_and_baseline()
    {
        var entries = Sample();
        var baseline = new[] { Grant(1), Grant(9, PeerRoles.Gateway) };
        string text = string.Join('\n', GrantCodec.WriteLines(entries, 12345, baseline, ["# note"])) + "\n";
        var document = GrantCodec.Read(text, "state");
        Assert.Equal(entries, document.Entries);
        Assert.Equal(12345, document.Clock);
        Assert.Equal(baseline.Select(g => g.ToLine()), document.Baseline!.Select(g => g.ToLine()));
        Assert.Throws<FormatException>(() => GrantCodec.ReadEntriesUtf8(Encoding.UTF8.GetBytes(text), "pull")); // not a pull's answer
    }

    [Fact]
    public void Every_truncation_is_refused_with_a_format_error()
    {
        byte[] bytes = GrantCodec.WriteUtf8(Sample());
        for (int n = 0; n < bytes.Length; n++)
        {
            var ex = Assert.Throws<FormatException>(() => GrantCodec.ReadUtf8(bytes.AsSpan(0, n), "pull"));
            Assert.StartsWith("pull", ex.Message, StringComparison.Ordinal);
        }
    }

    public static TheoryData<string, string> Hostile => new()
    {
        { "", "ends before the header" },
        { "hello\nend\n", "expected 'gatehouse-grants 1 ENTRIES" },
        { "gatehouse-grants 2 0\nend\n", "format version '2' is not supported" },
        { "gatehouse-grants 1 999999999\nend\n", "is not a number from 0 to 100000" },
        { "gatehouse-grants 1 -1\nend\n", "count '-1'" },
        { "gatehouse-grants 1 2\nend\n", "expected 'grant TS ORIGIN" },
        { "gatehouse-grants 1 0\n", "ends before 'end'" },
        { "gatehouse-grants 1 0\nend", "no line end" },
        { "gatehouse-grants 1 0\nend\nextra\n", "text after 'end'" },
        { "gatehouse-grants 1 0 clock=-5\nend\n", "timestamp '-5'" },
        { "gatehouse-grants 1 0 colour=red\nend\n", "unknown header field 'colour=red'" },
        { $"gatehouse-grants 1 1\ngrant 99999999999999999999 {M} {F} a roles=client\nend\n", "timestamp '99999999999999999999'" },
        { $"gatehouse-grants 1 1\ngrant 253402300800000 {M} {F} a roles=client\nend\n", "timestamp '253402300800000'" },
        { $"gatehouse-grants 1 1\ngrant 1 alice {F} a roles=client\nend\n", "origin 'alice' is not a member fingerprint" },
        { $"gatehouse-grants 1 1\ngrant 1 {M} {F} a roles=root\nend\n", "unknown role 'root'" },
        { $"gatehouse-grants 1 1\ngrant 1 {M} {F} a roles=client roles=admin\nend\n", "roles= given twice" },
        { $"gatehouse-grants 1 1\ngrant 1 {M} {F} a domains=bad/domain\nend\n", "domain 'bad/domain'" },
        { $"gatehouse-grants 1 1\ngrant 1 {M} {F} a\u0001b roles=client\nend\n", "control or format character U+0001" },
        { $"gatehouse-grants 1 1\ngrant 1 {M} {F} a\u200Bb roles=client\nend\n", "control or format character U+200B" },
        { $"gatehouse-grants 1 1\nremove 1 {M} SHA256:short\nend\n", "'SHA256:short' is not a fingerprint" },
        { $"gatehouse-grants 1 1\nremove 1 {M}\nend\n", "expected 'grant TS ORIGIN" },
        { $"gatehouse-grants 1 2\nremove 1 {M} {F}\nremove 2 {M} {F}\nend\n", "already has an entry on line 2" },
        { $"gatehouse-grants 1 0\nbaseline 1\n{F} a roles=client\n{F} b roles=client\nend\n", "expected 'end'" },
        { $"gatehouse-grants 1 0\nbaseline 2\n{F} a roles=client\n{F} b roles=client\nend\n", "in the baseline twice" },
        { "gatehouse-grants 1 0\r\nend\n", "control or format character U+000D" },
        { "gatehouse-grants 1 0\n" + new string('x', GrantCodec.MaxLineLength + 1) + "\n", "longer than 65536" },
    };

    [Theory]
    [MemberData(nameof(Hostile))]
    public void Hostile_documents_are_refused_with_a_clear_format_error(string text, string expected)
    {
        var ex = Assert.Throws<FormatException>(() => GrantCodec.ReadUtf8(Encoding.UTF8.GetBytes(text), "peer gw2"));
        Assert.Contains(expected, ex.Message, StringComparison.Ordinal);
        Assert.StartsWith("peer gw2", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Invalid_utf8_and_an_oversized_document_are_refused_before_parsing()
    {
        Assert.Contains("not valid UTF-8", Assert.Throws<FormatException>(() => GrantCodec.ReadUtf8([0x67, 0xFF, 0x0A], "p")).Message, StringComparison.Ordinal);
        byte[] big = new byte[GrantCodec.MaxBytes + 1];
        Assert.Contains("at most", Assert.Throws<FormatException>(() => GrantCodec.ReadUtf8(big, "p")).Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Random_mutations_of_a_valid_document_give_a_format_error_or_valid_entries_never_another_exception()
    {
        byte[] valid = GrantCodec.WriteUtf8(Sample());
        var random = new Random(14);
        for (int round = 0; round < 5000; round++)
        {
            byte[] bytes = (byte[])valid.Clone();
            for (int k = random.Next(1, 4); k > 0; k--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            try
            {
                var entries = GrantCodec.ReadEntriesUtf8(bytes, "fuzz");
                Assert.All(entries, e => Assert.Null(GrantEntry.OriginProblem(e.Origin)));
            }
            catch (FormatException)
            {
                // The expected outcome for most mutations.
            }
        }
    }
}
