using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Tests;

public sealed class AuthorizedPeersTests : IDisposable
{
    private static readonly UnixFileMode Mode644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;
    private readonly TempState state = new();

    public void Dispose() => state.Dispose();

    private static PeerGrant Grant(string name, PeerRoles roles = PeerRoles.Client, params string[] domains) =>
        new(PeerIdentity.CreateEphemeral(name).Fingerprint, name, roles, domains);

    [Fact]
    public void Remove_takes_out_only_that_grant_and_keeps_comments_and_the_others()
    {
        string path = state.File("authorized_peers");
        var alice = Grant("alice");
        var bob = Grant("bob", PeerRoles.Gateway);
        AuthorizedPeers.Upsert(path, alice);
        AuthorizedPeers.Upsert(path, bob);
        File.AppendAllLines(path, ["# a note kept by hand"]);

        Assert.True(AuthorizedPeers.Remove(path, bob.Fingerprint));
        var peers = new AuthorizedPeers(path);
        Assert.Null(peers.Find(bob.Fingerprint));
        Assert.NotNull(peers.Find(alice.Fingerprint));
        Assert.Contains("# a note kept by hand", File.ReadAllLines(path));
        Assert.False(AuthorizedPeers.Remove(path, bob.Fingerprint)); // nothing left to remove
        Assert.False(AuthorizedPeers.Remove(state.File("missing"), bob.Fingerprint));
    }

    [Fact]
    public void A_file_that_does_not_parse_is_never_edited_and_the_error_names_its_line()
    {
        // The old Upsert appended to a broken file and exited 0: the new grant never took effect.
        string path = state.File("authorized_peers");
        var alice = Grant("alice");
        AuthorizedPeers.Upsert(path, alice);
        File.AppendAllLines(path, [alice.Fingerprint.ToString().Replace("SHA256:", "SHA265:", StringComparison.Ordinal) + " typo roles=client"]);
        string broken = File.ReadAllText(path);
        int badLine = File.ReadAllLines(path).Length;
        var ex = Assert.Throws<AuthorizedPeersException>(() => AuthorizedPeers.Upsert(path, Grant("bob")));
        Assert.Contains($"authorized_peers:{badLine}:", ex.Message, StringComparison.Ordinal);
        Assert.Throws<AuthorizedPeersException>(() => AuthorizedPeers.Remove(path, alice.Fingerprint));
        Assert.Throws<AuthorizedPeersException>(() => AuthorizedPeers.Move(path, alice.Fingerprint, Grant("carol").Fingerprint, DateTimeOffset.UtcNow));
        Assert.Equal(broken, File.ReadAllText(path));
    }

    [Fact]
    public void Move_gives_the_grant_to_the_next_key_in_place_and_refuses_a_key_already_granted()
    {
        string path = state.File("authorized_peers");
        var alice = Grant("alice", PeerRoles.Service, "mail");
        var bob = Grant("bob");
        AuthorizedPeers.Upsert(path, alice);
        AuthorizedPeers.Upsert(path, bob);
        var next = PeerIdentity.CreateEphemeral("next").Fingerprint;
        var moved = AuthorizedPeers.Move(path, alice.Fingerprint, next, DateTimeOffset.UtcNow);
        Assert.Equal((alice with { Fingerprint = next }).ToLine(), moved!.ToLine());
        var grants = AuthorizedPeers.ReadFile(path);
        Assert.Equal([next, bob.Fingerprint], grants.Select(g => g.Fingerprint));
        Assert.Throws<AuthorizedPeersException>(() => AuthorizedPeers.Move(path, next, bob.Fingerprint, DateTimeOffset.UtcNow));
        Assert.Null(AuthorizedPeers.Move(path, alice.Fingerprint, PeerIdentity.CreateEphemeral("x").Fingerprint, DateTimeOffset.UtcNow));
    }

    [Fact]
    public void A_file_that_cannot_be_opened_keeps_the_grants_loaded_before_and_says_why()
    {
        string path = state.File("authorized_peers");
        var alice = Grant("alice");
        AuthorizedPeers.Upsert(path, alice);
        var peers = new AuthorizedPeers(path);
        Assert.NotNull(peers.Find(alice.Fingerprint));

        using var socket = TempState.SocketAt(path); // exists, cannot be opened: the read fails
        Assert.False(peers.ReloadIfChanged());
        Assert.NotNull(peers.Reload());
        Assert.Contains(path, peers.LastError, StringComparison.Ordinal);
        Assert.NotNull(peers.Find(alice.Fingerprint));
    }

    [Fact]
    public void A_file_that_disappears_after_loading_keeps_its_grants_until_it_is_back()
    {
        string path = state.File("authorized_peers");
        var alice = Grant("alice");
        AuthorizedPeers.Upsert(path, alice);
        var peers = new AuthorizedPeers(path);
        File.Delete(path);

        Assert.False(peers.ReloadIfChanged());
        Assert.Contains("is missing", peers.LastError, StringComparison.Ordinal);
        Assert.NotNull(peers.Find(alice.Fingerprint));

        var bob = Grant("bob");
        AuthorizedPeers.Upsert(path, bob);
        Assert.True(peers.ReloadIfChanged());
        Assert.Null(peers.LastError);
        Assert.Null(peers.Find(alice.Fingerprint));
        Assert.NotNull(peers.Find(bob.Fingerprint));
    }

    [Fact]
    public void A_file_that_never_existed_means_no_peers_without_an_error()
    {
        var peers = new AuthorizedPeers(state.File("authorized_peers"));
        Assert.Empty(peers.All());
        Assert.Null(peers.LastError);
    }

    [Fact]
    public void A_world_writable_file_is_refused_as_StrictModes_would_and_loaded_once_fixed_by_chmod_alone()
    {
        string path = state.File("authorized_peers");
        var alice = Grant("alice");
        AuthorizedPeers.Upsert(path, alice);
        File.SetUnixFileMode(path, Mode644 | UnixFileMode.GroupWrite | UnixFileMode.OtherWrite);

        var peers = new AuthorizedPeers(path);
        Assert.Empty(peers.All());
        Assert.Contains("writable by group or others (mode 0666)", peers.LastError, StringComparison.Ordinal);
        Assert.Contains("StrictModes", peers.LastError, StringComparison.Ordinal);

        // chmod changes only the status-change time, not the modification time: still noticed.
        File.SetUnixFileMode(path, Mode644);
        Assert.True(peers.ReloadIfChanged());
        Assert.NotNull(peers.Find(alice.Fingerprint));
    }

    [Fact]
    public void A_group_writable_directory_makes_the_file_refused_and_keeps_the_old_grants()
    {
        string path = state.File("authorized_peers");
        var alice = Grant("alice");
        AuthorizedPeers.Upsert(path, alice);
        var peers = new AuthorizedPeers(path);

        File.SetUnixFileMode(state.Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute);
        AuthorizedPeers.Upsert(path, Grant("mallory", PeerRoles.Admin));
        Assert.False(peers.ReloadIfChanged());
        Assert.Contains($"{state.Path} is writable by group or others", peers.LastError, StringComparison.Ordinal);
        Assert.Single(peers.All());
        Assert.NotNull(peers.Find(alice.Fingerprint));
    }

    [Fact]
    public void A_second_roles_option_on_a_line_is_an_error_not_a_wider_grant()
    {
        var fp = PeerIdentity.CreateEphemeral().Fingerprint;
        var ex = Assert.Throws<FormatException>(() => AuthorizedPeers.Parse([$"{fp} mail roles=client domains=mail roles=service,admin"], "f"));
        Assert.Contains("roles= given twice", ex.Message, StringComparison.Ordinal);
        Assert.Throws<FormatException>(() => AuthorizedPeers.Parse([$"{fp} mail domains=a domains=b"], "f"));
    }

    [Theory]
    [InlineData("mail roles=service,admin")]
    [InlineData("mail\nSHA256:AAAA evil roles=admin")]
    [InlineData("")]
    [InlineData("-mail")]
    [InlineData("mail=x")]
    [InlineData("ma#il")]
    public void Upsert_refuses_a_domain_outside_the_documented_syntax_and_leaves_the_file_alone(string domain)
    {
        string path = state.File("authorized_peers");
        AuthorizedPeers.Upsert(path, Grant("alice"));
        string before = File.ReadAllText(path);
        Assert.Throws<ArgumentException>(() => AuthorizedPeers.Upsert(path, Grant("svc", PeerRoles.Service, domain)));
        Assert.Equal(before, File.ReadAllText(path));
    }

    [Theory]
    [InlineData("two words")]
    [InlineData("evil\nSHA256:x")]
    [InlineData("a=b")]
    [InlineData("a,b")]
    [InlineData("#a")]
    [InlineData("tab\there")]
    [InlineData("")]
    public void Upsert_refuses_a_name_outside_the_documented_syntax(string name)
    {
        string path = state.File("authorized_peers");
        Assert.Throws<ArgumentException>(() => AuthorizedPeers.Upsert(path, new PeerGrant(PeerIdentity.CreateEphemeral().Fingerprint, name, PeerRoles.Client, [])));
        Assert.False(File.Exists(path));
    }

    [Theory]
    [InlineData("alice@EXAMPLE.ORG", "mail")]
    [InlineData("host/web1.example.org", "hpc.batch_2-x")]
    [InlineData("root", "*")]
    public void Upsert_accepts_names_and_domains_in_the_documented_syntax(string name, string domain)
    {
        string path = state.File("authorized_peers");
        var grant = new PeerGrant(PeerIdentity.CreateEphemeral().Fingerprint, name, PeerRoles.Service, [domain]);
        AuthorizedPeers.Upsert(path, grant);
        Assert.Equal(grant.ToLine(), new AuthorizedPeers(path).Find(grant.Fingerprint)!.ToLine());
    }

    [Fact]
    public async Task Concurrent_upserts_keep_every_grant_and_leave_no_temporary_file()
    {
        string path = state.File("authorized_peers");
        var grants = Enumerable.Range(0, 20).Select(i => Grant("peer" + i)).ToList();
        using var start = new Barrier(grants.Count);
        await Task.WhenAll(grants.Select(g => Task.Factory.StartNew(
            () =>
            {
                start.SignalAndWait();
                AuthorizedPeers.Upsert(path, g);
            },
            CancellationToken.None,
            TaskCreationOptions.LongRunning,
            TaskScheduler.Default)));

        var peers = new AuthorizedPeers(path);
        Assert.Null(peers.LastError);
        Assert.Equal(20, peers.All().Count);
        Assert.Equal(["authorized_peers", "authorized_peers.lock"], Directory.GetFiles(state.Path).Select(Path.GetFileName).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Upsert_keeps_the_mode_of_the_file_it_replaces()
    {
        string path = state.File("authorized_peers");
        AuthorizedPeers.Upsert(path, Grant("alice"));
        Assert.Equal(Mode644, File.GetUnixFileMode(path));
        var mode640 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
        File.SetUnixFileMode(path, mode640);
        AuthorizedPeers.Upsert(path, Grant("bob"));
        Assert.Equal(mode640, File.GetUnixFileMode(path));
        Assert.Equal(2, new AuthorizedPeers(path).All().Count);
    }

    [Fact]
    public void Upsert_replaces_the_line_of_the_same_fingerprint()
    {
        string path = state.File("authorized_peers");
        var alice = Grant("alice");
        AuthorizedPeers.Upsert(path, alice);
        AuthorizedPeers.Upsert(path, alice with { Roles = PeerRoles.Admin | PeerRoles.Client });
        var peers = new AuthorizedPeers(path);
        Assert.Single(peers.All());
        Assert.True(peers.Find(alice.Fingerprint)!.Has(PeerRoles.Admin));
    }

    // Malformed input: every bad file gives one FormatException naming file:line (Parse), and Reload
    // reports it in LastError and keeps the grants loaded before; no other exception type escapes.

    private static readonly string Fp = PeerIdentity.CreateEphemeral("fp").Fingerprint.ToString();

    public static TheoryData<string, string, int> BadFiles => new()
    {
        // content, what the message must say, line named
        { Fp, "expected 'FINGERPRINT NAME", 1 },                                        // truncated: no name
        { "# header\n" + Fp[..20], "expected 'FINGERPRINT NAME", 2 },                  // truncated fingerprint
        { "SHA256:!!notbase64!!notbase64!!notbase64!!notbase64!! alice", "expected 'FINGERPRINT NAME", 1 },
        { "SHA256:AAAA alice", "expected 'FINGERPRINT NAME", 1 },                        // 3 bytes, not 32
        { "SHA256:" + Convert.ToBase64String(new byte[33]) + " alice", "expected 'FINGERPRINT NAME", 1 },
        { new string('a', 63) + " alice", "expected 'FINGERPRINT NAME", 1 },            // hex one digit short
        { new string('g', 64) + " alice", "expected 'FINGERPRINT NAME", 1 },            // not hex
        { Fp + " alice roles=root", "unknown role 'root'", 1 },
        { Fp + " alice roles=client,,superuser", "unknown role 'superuser'", 1 },
        { Fp + " alice colour=blue", "unknown option 'colour=blue'", 1 },
        { Fp + " alice # a comment after the grant", "unknown option '#'", 1 },
        { Fp + " alice\n" + Fp + " bob roles=admin", "already granted on line 1", 2 },  // duplicate fingerprint
        { Fp + " " + new string('n', 100_000), "a name is 1 to", 1 },                  // very long line
        { Fp + " ali\u0001ce", "no whitespace, control characters", 1 },
        { Fp + " alice domains=bad/domain", "domain", 1 },
    };

    [Theory]
    [MemberData(nameof(BadFiles))]
    public void A_malformed_line_is_a_FormatException_naming_the_file_and_line_and_Reload_keeps_the_old_grants(string content, string says, int line)
    {
        var ex = Assert.Throws<FormatException>(() => AuthorizedPeers.Parse(content.Split('\n'), "peers"));
        Assert.StartsWith($"peers:{line}: ", ex.Message, StringComparison.Ordinal);
        Assert.Contains(says, ex.Message, StringComparison.Ordinal);
        Assert.True(ex.Message.Length < 400, "the message quotes at most a bounded part of the line");

        string path = state.File("authorized_peers");
        var alice = Grant("alice");
        AuthorizedPeers.Upsert(path, alice);
        var peers = new AuthorizedPeers(path);
        File.WriteAllText(path, content);
        string? error = peers.Reload();
        Assert.NotNull(error);
        Assert.StartsWith($"{path}:{line}: ", error, StringComparison.Ordinal);
        Assert.NotNull(peers.Find(alice.Fingerprint));
    }

    [Fact]
    public void CRLF_line_ends_comments_blank_lines_and_an_empty_file_are_read_as_intended()
    {
        var bob = PeerIdentity.CreateEphemeral("bob").Fingerprint;
        var grants = AuthorizedPeers.Parse(($"# peers\r\n\r\n   \r\n{Fp} alice roles=service domains=mail\r\n  # indented comment\r\n{bob.ToHex()} bob\r\n").Split('\n'), "peers");
        Assert.Equal(["alice", "bob"], grants.Select(g => g.Name));
        Assert.Equal(PeerRoles.Service, grants[0].Roles);
        Assert.Equal(["mail"], grants[0].Domains);
        Assert.Equal(bob, grants[1].Fingerprint);

        string path = state.File("authorized_peers");
        File.WriteAllText(path, "");
        var peers = new AuthorizedPeers(path);
        Assert.Null(peers.Reload());
        Assert.Null(peers.Find(bob));
    }

    [Fact]
    public void Bytes_that_are_not_UTF8_in_a_name_are_an_error_not_a_garbled_grant()
    {
        string path = state.File("authorized_peers");
        var alice = Grant("alice");
        AuthorizedPeers.Upsert(path, alice);
        var peers = new AuthorizedPeers(path);
        File.WriteAllBytes(path, [.. System.Text.Encoding.ASCII.GetBytes(Fp + " al"), 0xFF, 0xFE, .. "ice\n"u8]);

        string? error = peers.Reload();
        Assert.NotNull(error);
        Assert.StartsWith($"{path}:1: ", error, StringComparison.Ordinal);
        Assert.NotNull(peers.Find(alice.Fingerprint));
    }
}
