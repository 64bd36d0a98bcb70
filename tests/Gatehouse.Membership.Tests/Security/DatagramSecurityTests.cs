using Gatehouse.Cluster.Security;
using Gatehouse.Cluster.Wire;

namespace Gatehouse.Membership.Tests.Security;

public sealed class DatagramSecurityTests : IDisposable
{
    private readonly DatagramSecurity _alice = new("alice");
    private readonly DatagramSecurity _bob = new("bob");

    public DatagramSecurityTests()
    {
        _bob.InstallKey("alice", _alice.CurrentSendKey.KeyId, _alice.CurrentSendKey.Key.Span);
    }

    public void Dispose()
    {
        _alice.Dispose();
        _bob.Dispose();
    }

    private static byte[] Seal(DatagramSecurity from, byte[] body)
    {
        var d = new byte[body.Length + from.Overhead];
        Assert.Equal(d.Length, from.Seal(body, d));
        return d;
    }

    private static OpenResult Open(DatagramSecurity at, byte[] datagram, out byte[] body, out string? sender)
    {
        var buffer = new byte[WireLimits.MaxDatagramBytes];
        OpenResult r = at.Open(datagram, buffer, out sender, out int n);
        body = buffer[..n];
        return r;
    }

    [Fact]
    public void A_sealed_datagram_opens_to_its_body_and_names_its_sender()
    {
        byte[] d = Seal(_alice, [1, 2, 3, 4]);
        Assert.Equal(OpenResult.Ok, Open(_bob, d, out byte[] body, out string? sender));
        Assert.Equal([1, 2, 3, 4], body);
        Assert.Equal("alice", sender);
        Assert.Equal(1, _bob.Counters.Opened);
        Assert.Equal(2 + 5 + 4 + 8 + 16, _alice.Overhead);
    }

    [Fact]
    public void The_body_is_not_in_clear()
    {
        byte[] body = "secret-secret-secret"u8.ToArray();
        byte[] d = Seal(_alice, body);
        Assert.Equal(-1, d.AsSpan().IndexOf(body.AsSpan(0, 6)));
    }

    [Fact]
    public void A_flipped_bit_anywhere_is_dropped_as_forged_or_malformed_and_counted()
    {
        byte[] d = Seal(_alice, new byte[40]);
        for (int i = 0; i < d.Length * 8; i++)
        {
            byte[] copy = (byte[])d.Clone();
            copy[i / 8] ^= (byte)(1 << (i % 8));
            OpenResult r = Open(_bob, copy, out _, out _);
            Assert.NotEqual(OpenResult.Ok, r);
        }

        // Bits of the body, tag, key-id-preserving counter: forged; the sealed one still opens afterwards.
        Assert.True(_bob.Counters.Forged > 8 * 40);
        Assert.Equal(OpenResult.Ok, Open(_bob, d, out _, out _));
    }

    [Fact]
    public void A_replayed_datagram_is_dropped_and_counted_and_reordered_ones_pass()
    {
        byte[] first = Seal(_alice, [1]);
        byte[] second = Seal(_alice, [2]);
        Assert.Equal(OpenResult.Ok, Open(_bob, second, out _, out _));
        Assert.Equal(OpenResult.Ok, Open(_bob, first, out _, out _));
        Assert.Equal(OpenResult.Replayed, Open(_bob, first, out _, out _));
        Assert.Equal(OpenResult.Replayed, Open(_bob, second, out _, out _));
        Assert.Equal(2, _bob.Counters.Replayed);
    }

    [Fact]
    public void A_forged_datagram_does_not_advance_the_replay_window()
    {
        byte[] real = Seal(_alice, [1]);
        // A forger takes a future counter; the tag fails, so the real datagram must still pass.
        byte[] forged = (byte[])real.Clone();
        forged[2 + 5 + 4 + 7] = 200;
        Assert.Equal(OpenResult.Forged, Open(_bob, forged, out _, out _));
        Assert.Equal(OpenResult.Ok, Open(_bob, real, out _, out _));
    }

    [Fact]
    public void A_datagram_from_a_member_without_a_key_is_dropped_as_unknown_sender()
    {
        using var eve = new DatagramSecurity("eve");
        Assert.Equal(OpenResult.UnknownSender, Open(_bob, Seal(eve, [1]), out _, out string? sender));
        Assert.Null(sender);
        Assert.Equal(1, _bob.Counters.UnknownSender);
    }

    [Fact]
    public void A_member_claiming_another_members_id_fails_authentication()
    {
        using var mallory = new DatagramSecurity("alice");   // same id, its own key
        byte[] d = Seal(mallory, [1]);
        Assert.Equal(OpenResult.UnknownKey, Open(_bob, d, out _, out _));
        // Claiming alice's key id as well: the tag cannot verify under alice's key.
        System.Buffers.Binary.BinaryPrimitives.WriteUInt32BigEndian(d.AsSpan(2 + 5), _alice.CurrentSendKey.KeyId);
        Assert.Equal(OpenResult.Forged, Open(_bob, d, out _, out _));
    }

    [Fact]
    public void After_rotation_the_old_key_is_accepted_once_then_stale()
    {
        byte[] underOld = Seal(_alice, [1]);
        byte[] underOld2 = Seal(_alice, [2]);
        byte[] underOld3 = Seal(_alice, [3]);
        SendKey next = _alice.PrepareNextSendKey();
        Assert.Equal(next, _alice.PrepareNextSendKey());
        Assert.NotEqual(next.KeyId, _alice.CurrentSendKey.KeyId);

        // Not delivered yet: a datagram under it is an unknown key, not a forgery.
        _alice.ActivateNextSendKey();
        byte[] underNew = Seal(_alice, [4]);
        Assert.Equal(OpenResult.UnknownKey, Open(_bob, underNew, out _, out _));

        _bob.InstallKey("alice", next.KeyId, next.Key.Span);
        Assert.Equal(OpenResult.Ok, Open(_bob, underNew, out _, out _));
        Assert.Equal(OpenResult.Ok, Open(_bob, underOld, out _, out _));   // rotation grace

        _bob.RetireOldKeys("alice");
        Assert.Equal(OpenResult.StaleKey, Open(_bob, underOld2, out _, out _));
        Assert.Equal(1, _bob.Counters.StaleKey);

        // Two more rotations also retire the previous key.
        SendKey third = _alice.ActivateNextSendKey();
        _bob.InstallKey("alice", third.KeyId, third.Key.Span);
        SendKey fourth = _alice.ActivateNextSendKey();
        _bob.InstallKey("alice", fourth.KeyId, fourth.Key.Span);
        Assert.Equal(OpenResult.StaleKey, Open(_bob, underOld3, out _, out _));
        Assert.Equal(OpenResult.Ok, Open(_bob, Seal(_alice, [5]), out _, out _));
    }

    [Fact]
    public void A_rotations_old_key_installed_again_after_the_new_one_keeps_both_and_their_replay_windows()
    {
        // A member hands over its current and its next key together; exchanges may deliver them in
        // any order and more than once. Installing a key held already must not reset its replay window
        // (a reset would accept replays) nor treat the member as restarted.
        byte[] underOld = Seal(_alice, [1]);
        Assert.Equal(OpenResult.Ok, Open(_bob, underOld, out _, out _));
        SendKey old = _alice.CurrentSendKey;
        SendKey next = _alice.PrepareNextSendKey();
        Assert.Equal(next, _alice.NextSendKey);
        _bob.InstallKey("alice", next.KeyId, next.Key.Span);
        _bob.InstallKey("alice", old.KeyId, old.Key.Span); // the old key again, after the new one
        Assert.Equal(OpenResult.Replayed, Open(_bob, underOld, out _, out _));
        Assert.Equal(OpenResult.Ok, Open(_bob, Seal(_alice, [2]), out _, out _));
        _alice.ActivateNextSendKey();
        Assert.Null(_alice.NextSendKey);
        byte[] underNew = Seal(_alice, [3]);
        _bob.InstallKey("alice", next.KeyId, next.Key.Span); // and the new one again
        Assert.Equal(OpenResult.Ok, Open(_bob, underNew, out _, out _));
        Assert.Equal(OpenResult.Replayed, Open(_bob, underNew, out _, out _));
    }

    [Fact]
    public void A_retired_key_delivered_late_does_not_push_out_the_keys_in_use()
    {
        // Seen with one-second rotations: an exchange reply carrying an old key arrived after two
        // rotations had been installed; the old key became the newest and the key in use was dropped.
        SendKey k1 = _alice.CurrentSendKey;
        SendKey k2 = _alice.ActivateNextSendKey();
        _bob.InstallKey("alice", k2.KeyId, k2.Key.Span);
        SendKey k3 = _alice.ActivateNextSendKey();
        _bob.InstallKey("alice", k3.KeyId, k3.Key.Span); // k1 retired now
        _bob.InstallKey("alice", k1.KeyId, k1.Key.Span); // the late delivery
        Assert.Equal(OpenResult.Ok, Open(_bob, Seal(_alice, [1]), out _, out _));
        _bob.InstallKey("alice", k2.KeyId, k2.Key.Span); // held as previous: nothing changes
        Assert.Equal(OpenResult.Ok, Open(_bob, Seal(_alice, [2]), out _, out _));
    }

    [Fact]
    public void A_removed_member_is_dropped_as_revoked_until_keys_are_installed_again()
    {
        byte[] d1 = Seal(_alice, [1]);
        byte[] d2 = Seal(_alice, [2]);
        Assert.True(_bob.RemoveMember("alice"));
        Assert.False(_bob.HasKeyFor("alice"));
        Assert.Equal(OpenResult.Revoked, Open(_bob, d1, out _, out string? who));
        Assert.Equal("alice", who);
        Assert.Equal(1, _bob.Counters.Revoked);

        _bob.InstallKey("alice", _alice.CurrentSendKey.KeyId, _alice.CurrentSendKey.Key.Span);
        Assert.Equal(OpenResult.Ok, Open(_bob, d2, out _, out _));
        Assert.False(_bob.RemoveMember("nobody"));
    }

    [Fact]
    public void A_restarted_member_with_the_same_key_id_but_new_key_gets_a_fresh_window()
    {
        for (int i = 0; i < 5; i++)
        {
            Assert.Equal(OpenResult.Ok, Open(_bob, Seal(_alice, [1]), out _, out _));
        }

        using var restarted = new DatagramSecurity("alice");
        // Same id as before (worst case), other bytes: counters start at 1 again and must pass.
        _bob.InstallKey("alice", _alice.CurrentSendKey.KeyId, restarted.CurrentSendKey.Key.Span);
        var key = restarted.CurrentSendKey;
        using var again = new DatagramSecurity("bob");
        again.InstallKey("alice", key.KeyId, key.Key.Span);
        Assert.Equal(OpenResult.Ok, Open(again, Seal(restarted, [9]), out _, out _));
    }

    [Fact]
    public void Short_wrong_version_and_oversize_datagrams_are_malformed()
    {
        byte[] d = Seal(_alice, [1, 2]);
        for (int cut = 0; cut < 2 + 5 + 12 + 16; cut++)
        {
            Assert.Equal(OpenResult.Malformed, Open(_bob, d[..cut], out _, out _));
        }

        byte[] v2 = (byte[])d.Clone();
        v2[0] = 2;
        Assert.Equal(OpenResult.Malformed, Open(_bob, v2, out _, out _));
        Assert.Equal(OpenResult.Malformed, Open(_bob, new byte[WireLimits.MaxDatagramBytes + 1], out _, out _));
        byte[] badId = (byte[])d.Clone();
        badId[1] = 65;
        Assert.Equal(OpenResult.Malformed, Open(_bob, badId, out _, out _));
    }

    [Fact]
    public void Random_datagrams_never_throw_and_never_open()
    {
        var random = new Random(99);
        byte[] real = Seal(_alice, new byte[30]);
        var body = new byte[WireLimits.MaxDatagramBytes];
        for (int i = 0; i < 20_000; i++)
        {
            byte[] b = i % 2 == 0 ? new byte[random.Next(0, 100)] : (byte[])real.Clone();
            if (i % 2 == 0)
            {
                random.NextBytes(b);
            }
            else
            {
                b[random.Next(7, b.Length)] ^= (byte)random.Next(1, 256);
            }

            Assert.NotEqual(OpenResult.Ok, _bob.Open(b, body, out _, out _));
        }
    }

    [Fact]
    public void A_small_cipher_cache_still_opens_every_sender()
    {
        using var carol = new DatagramSecurity("carol", new DatagramSecurityOptions { MaxCachedCiphers = 1 });
        var senders = Enumerable.Range(0, 5).Select(i => new DatagramSecurity($"s{i}")).ToList();
        foreach (var s in senders)
        {
            carol.InstallKey(s.LocalMemberId, s.CurrentSendKey.KeyId, s.CurrentSendKey.Key.Span);
        }

        for (int round = 0; round < 3; round++)
        {
            foreach (var s in senders)
            {
                Assert.Equal(OpenResult.Ok, Open(carol, Seal(s, [(byte)round]), out byte[] body, out string? who));
                Assert.Equal(s.LocalMemberId, who);
                Assert.Equal([(byte)round], body);
            }
        }

        senders.ForEach(s => s.Dispose());
    }

    [Fact]
    public void Options_outside_their_ranges_are_refused()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatagramSecurityOptions { ReplayWindow = 100 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatagramSecurityOptions { MaxCachedCiphers = 0 });
        Assert.Throws<ArgumentOutOfRangeException>(() => new DatagramSecurityOptions { RetiredKeysRemembered = 65 });
        Assert.Throws<ArgumentException>(() => _bob.InstallKey("x", 1, new byte[16]));
    }
}
