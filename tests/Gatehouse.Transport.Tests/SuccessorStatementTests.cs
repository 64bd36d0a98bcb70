using Gatehouse.Transport.Security;

namespace Gatehouse.Transport.Tests;

public class SuccessorStatementTests
{
    [Fact]
    public void A_statement_signed_by_both_keys_verifies_and_names_them()
    {
        using var current = PeerIdentity.CreateEphemeral("a");
        using var next = PeerIdentity.CreateEphemeral("b");
        var issued = new DateTimeOffset(2026, 12, 2, 7, 0, 0, TimeSpan.Zero);
        var statement = SuccessorStatement.Verify(SuccessorStatement.Sign(SuccessorPurpose.Gateway, current, next, issued), SuccessorPurpose.Gateway, out string? error);
        Assert.Null(error);
        Assert.Equal(new SuccessorStatement(SuccessorPurpose.Gateway, current.Fingerprint, next.Fingerprint, issued), statement);
    }

    [Fact]
    public void Any_changed_byte_or_the_other_purpose_is_refused()
    {
        using var current = PeerIdentity.CreateEphemeral("a");
        using var next = PeerIdentity.CreateEphemeral("b");
        byte[] good = SuccessorStatement.Sign(SuccessorPurpose.Peer, current, next, DateTimeOffset.UtcNow);
        Assert.Null(SuccessorStatement.Verify(good, SuccessorPurpose.Gateway, out string? purposeError));
        Assert.Contains("purpose", purposeError, StringComparison.Ordinal);
        for (int i = 0; i < good.Length; i += 7)
        {
            byte[] bad = (byte[])good.Clone();
            bad[i] ^= 0x20;
            Assert.Null(SuccessorStatement.Verify(bad, SuccessorPurpose.Peer, out string? error));
            Assert.False(string.IsNullOrEmpty(error));
        }

        Assert.Null(SuccessorStatement.Verify(good.AsSpan(0, good.Length - 1), SuccessorPurpose.Peer, out _));
        Assert.Null(SuccessorStatement.Verify([.. good, 0], SuccessorPurpose.Peer, out _));
        Assert.Null(SuccessorStatement.Verify([], SuccessorPurpose.Peer, out _));
    }

    [Fact]
    public void Known_hosts_records_a_successor_only_for_the_pinned_key_and_promotion_leaves_the_new_key_alone()
    {
        string dir = Directory.CreateTempSubdirectory("gatehouse-kh-").FullName;
        try
        {
            var hosts = new KnownHosts(Path.Combine(dir, "known_hosts"));
            using var a = PeerIdentity.CreateEphemeral("a");
            using var b = PeerIdentity.CreateEphemeral("b");
            using var c = PeerIdentity.CreateEphemeral("c");
            hosts.Set("gw1:7340", a.Fingerprint);
            Assert.False(hosts.RecordSuccessor("gw1:7340", c.Fingerprint, b.Fingerprint)); // not the pinned key
            Assert.Null(hosts.FindEntry("gw1:7340")?.Next);
            Assert.True(hosts.RecordSuccessor("gw1:7340", a.Fingerprint, b.Fingerprint));
            Assert.Equal($"gw1:7340 {a.Fingerprint} next={b.Fingerprint}", File.ReadAllLines(hosts.Path).Single());
            Assert.False(hosts.Promote("gw1:7340", c.Fingerprint)); // not the announced one
            Assert.True(hosts.Promote("gw1:7340", b.Fingerprint));
            Assert.Equal($"gw1:7340 {b.Fingerprint}", File.ReadAllLines(hosts.Path).Single());
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }

    [Fact]
    public void A_bad_known_hosts_line_after_the_host_looked_up_is_still_an_error_and_blocks_edits()
    {
        // The old reader stopped at the first match, so a typo further down went unnoticed.
        string dir = Directory.CreateTempSubdirectory("gatehouse-kh-").FullName;
        try
        {
            string path = Path.Combine(dir, "known_hosts");
            string content = "gw1:7340 SHA256:" + new string('A', 43) + "\ngw2:7340 SHA256:nope\n";
            File.WriteAllText(path, content);
            var hosts = new KnownHosts(path);
            var ex = Assert.Throws<FormatException>(() => hosts.Find("gw1:7340"));
            Assert.Contains("known_hosts:2:", ex.Message, StringComparison.Ordinal);
            Assert.Throws<FormatException>(() => hosts.Set("gw3:7340", Fingerprint.Parse("SHA256:" + new string('B', 43))));
            Assert.Equal(content, File.ReadAllText(path));
        }
        finally
        {
            Directory.Delete(dir, true);
        }
    }
}
