using System.Collections.Immutable;
using System.Security.Cryptography;
using Gatehouse.Cluster.Registry;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Gateway.Cluster;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Tests;

/// <summary>
/// <see cref="RegistryGrants"/>: a gateway's authorized_peers and the registry store's grants kept in
/// step both ways (issue 21), on an in-memory store (the real etcd is in Gatehouse.Cli.Tests'
/// EtcdClusterCliTests). Adoption at the first step, local edits written to the store, store changes
/// written to the file, writes the view does not show yet held, the store out of reach, a gateway's
/// own grant removed in the store not granted again, a bad store line left out.
/// </summary>
public sealed class RegistryGrantsTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-reggrants-").FullName;
    private readonly Fingerprint _self = NewFingerprint();
    private readonly MemoryStore _store = new();

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string AuthorizedPath => Path.Combine(_dir, "authorized_peers");

    private string BasePath => Path.Combine(_dir, RegistryGrants.FileName);

    private RegistryGrants New() => new(AuthorizedPath, BasePath, _self);

    private static Fingerprint NewFingerprint() => Fingerprint.Parse("SHA256:" + Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('='));

    private static PeerGrant Grant(Fingerprint fp, string name, PeerRoles roles = PeerRoles.Client, params string[] domains) => new(fp, name, roles, domains);

    private Dictionary<Fingerprint, string> FileGrants() => AuthorizedPeers.ReadFile(AuthorizedPath).ToDictionary(g => g.Fingerprint, g => g.ToLine());

    [Fact]
    public async Task The_first_step_adopts_the_files_grants_the_store_lacks_keeps_the_stores_where_both_hold_one_and_grants_itself_the_gateway_role()
    {
        Fingerprint alice = NewFingerprint(), bob = NewFingerprint(), carol = NewFingerprint();
        AuthorizedPeers.Upsert(AuthorizedPath, Grant(alice, "alice"));
        AuthorizedPeers.Upsert(AuthorizedPath, Grant(bob, "bob-old"));
        _store.Set(bob, Grant(bob, "bob", PeerRoles.Client | PeerRoles.Admin).ToLine());
        _store.Set(carol, Grant(carol, "carol").ToLine());

        var step = await New().StepAsync(_store, CancellationToken.None);

        Assert.Null(step.Problem);
        Assert.Equal(2, step.Written); // alice adopted, the gateway's own grant
        Assert.True(step.FileChanged);
        Assert.Equal(Grant(alice, "alice").ToLine(), _store.Line(alice));
        Assert.Equal(Grant(bob, "bob", PeerRoles.Client | PeerRoles.Admin).ToLine(), _store.Line(bob)); // the store's wins
        Assert.Contains("roles=gateway", _store.Line(_self), StringComparison.Ordinal);
        var file = FileGrants();
        Assert.True(file.Keys.ToHashSet().SetEquals([alice, bob, carol, _self]), File.ReadAllText(AuthorizedPath));
        Assert.Equal(Grant(bob, "bob", PeerRoles.Client | PeerRoles.Admin).ToLine(), file[bob]);
        Assert.Contains(GrantSync.ClusterNote, File.ReadAllLines(AuthorizedPath));
        Assert.True(File.Exists(BasePath));
    }

    [Fact]
    public async Task An_edit_of_the_file_is_written_to_the_store_and_a_change_in_the_store_is_written_to_the_file()
    {
        var grants = New();
        await grants.StepAsync(_store, CancellationToken.None);
        Fingerprint dave = NewFingerprint(), erin = NewFingerprint();

        // gatehouse authorize on this host: the grant goes to the store.
        AuthorizedPeers.Upsert(AuthorizedPath, Grant(dave, "dave", PeerRoles.Client, "demo"));
        var step = await grants.StepAsync(_store, CancellationToken.None);
        Assert.Equal(1, step.Written);
        Assert.False(step.FileChanged);
        Assert.Equal(Grant(dave, "dave", PeerRoles.Client, "demo").ToLine(), _store.Line(dave));

        // Another gateway grants erin and changes dave: the file follows, nothing is written back.
        _store.Set(erin, Grant(erin, "erin").ToLine());
        _store.Set(dave, Grant(dave, "dave", PeerRoles.Client | PeerRoles.Admin).ToLine());
        step = await grants.StepAsync(_store, CancellationToken.None);
        Assert.Equal(0, step.Written);
        Assert.True(step.FileChanged);
        Assert.Equal(Grant(erin, "erin").ToLine(), FileGrants()[erin]);
        Assert.Equal(Grant(dave, "dave", PeerRoles.Client | PeerRoles.Admin).ToLine(), FileGrants()[dave]);

        // Removed here: removed from the store. Removed in the store: removed from the file.
        AuthorizedPeers.Remove(AuthorizedPath, dave);
        step = await grants.StepAsync(_store, CancellationToken.None);
        Assert.Equal(1, step.Written);
        Assert.Null(_store.Line(dave));
        _store.Remove(erin);
        step = await grants.StepAsync(_store, CancellationToken.None);
        Assert.True(step.FileChanged);
        Assert.False(FileGrants().ContainsKey(erin));

        // Nothing changed: nothing written, the file left alone.
        step = await grants.StepAsync(_store, CancellationToken.None);
        Assert.Equal(RegistryGrantsStep.None, step);
    }

    [Fact]
    public async Task A_write_the_view_does_not_show_yet_is_held_so_the_file_does_not_flap()
    {
        var grants = New();
        await grants.StepAsync(_store, CancellationToken.None);
        _store.Lagging = true; // writes reach the store but not yet the view (a watch that has not caught up)
        var frank = NewFingerprint();
        AuthorizedPeers.Upsert(AuthorizedPath, Grant(frank, "frank"));
        await grants.StepAsync(_store, CancellationToken.None);
        var stamp = File.GetLastWriteTimeUtc(AuthorizedPath);
        for (int i = 0; i < 3; i++)
        {
            var step = await grants.StepAsync(_store, CancellationToken.None);
            Assert.False(step.FileChanged, "the file was rewritten from a view that did not show this gateway's own write yet");
            Assert.Equal(0, step.Written);
            Assert.True(FileGrants().ContainsKey(frank));
        }

        _store.Lagging = false;
        _store.CatchUp();
        Assert.Equal(RegistryGrantsStep.None, await grants.StepAsync(_store, CancellationToken.None));
        Assert.Equal(stamp, File.GetLastWriteTimeUtc(AuthorizedPath));
        Assert.True(FileGrants().ContainsKey(frank));
    }

    [Fact]
    public async Task While_the_store_cannot_be_reached_edits_wait_and_the_file_stays_then_they_are_written()
    {
        var grants = New();
        await grants.StepAsync(_store, CancellationToken.None);
        _store.Unreachable = true;
        var gina = NewFingerprint();
        AuthorizedPeers.Upsert(AuthorizedPath, Grant(gina, "gina"));
        var step = await grants.StepAsync(_store, CancellationToken.None);
        Assert.Equal(0, step.Written);
        Assert.False(step.FileChanged);
        Assert.Contains("not in the registry yet", step.Problem, StringComparison.Ordinal);
        Assert.True(FileGrants().ContainsKey(gina)); // the gateway keeps authorizing from the file

        _store.Unreachable = false;
        step = await grants.StepAsync(_store, CancellationToken.None);
        Assert.Equal(1, step.Written);
        Assert.Equal(Grant(gina, "gina").ToLine(), _store.Line(gina));
    }

    [Fact]
    public async Task A_gateway_whose_own_grant_was_removed_in_the_store_does_not_grant_itself_again_even_after_a_restart()
    {
        await New().StepAsync(_store, CancellationToken.None);
        Assert.NotNull(_store.Line(_self));
        _store.Remove(_self); // the operator revoked this gateway with etcdctl
        var step = await New().StepAsync(_store, CancellationToken.None); // a restart: registry_grants remembers
        Assert.Equal(0, step.Written);
        Assert.Null(_store.Line(_self));
        Assert.False(FileGrants().ContainsKey(_self));
    }

    [Fact]
    public async Task A_store_grant_that_does_not_parse_or_names_another_fingerprint_grants_nothing_and_is_said_once()
    {
        Fingerprint hank = NewFingerprint(), ivy = NewFingerprint();
        _store.Set(hank, "this is not a grant");
        _store.Set(ivy, Grant(hank, "hank").ToLine()); // under ivy's key, a line for hank
        var grants = New();
        var first = await grants.StepAsync(_store, CancellationToken.None);
        Assert.Null(grants.Find(_store.View, hank));
        Assert.Null(grants.Find(_store.View, ivy));
        Assert.False(FileGrants().ContainsKey(hank));
        var second = await grants.StepAsync(_store, CancellationToken.None);
        string said = first.Problem + "\n" + second.Problem;
        Assert.Contains($"the registry's grant under {hank} is not an authorized_peers line", said, StringComparison.Ordinal);
        Assert.Contains($"the registry's grant under {ivy} grants {hank}: left out", said, StringComparison.Ordinal);
        Assert.Null((await grants.StepAsync(_store, CancellationToken.None)).Problem);
    }

    [Fact]
    public async Task Before_the_store_was_ever_read_nothing_is_written_anywhere()
    {
        var alice = NewFingerprint();
        AuthorizedPeers.Upsert(AuthorizedPath, Grant(alice, "alice"));
        string before = File.ReadAllText(AuthorizedPath);
        var step = await New().StepAsync(new MemoryStore { NeverRead = true }, CancellationToken.None);
        Assert.Equal(RegistryGrantsStep.None, step);
        Assert.Equal(before, File.ReadAllText(AuthorizedPath));
        Assert.False(File.Exists(BasePath));
    }

    /// <summary>A registry store in memory: grants only (what RegistryGrants uses), with a view that may lag and a store that may be out of reach.</summary>
    private sealed class MemoryStore : IClusterRegistry
    {
        private readonly Dictionary<string, string> _grants = new(StringComparer.Ordinal);
        private RegistryView _view = RegistryView.Empty with { Revision = 1 };

        public bool Lagging { get; set; }

        public bool Unreachable { get; set; }

        public bool NeverRead
        {
            init => _view = RegistryView.Empty;
        }

        public string LocalId => "local";

        public string Kind => "memory";

        public RegistryView View => _view;

        public RegistryHealth Health => new(!Unreachable, DateTimeOffset.UtcNow, Unreachable ? "away" : null);

        public event EventHandler<RegistryChange>? Changed
        {
            add { }
            remove { }
        }

        public event EventHandler<RegistryHealth>? HealthChanged
        {
            add { }
            remove { }
        }

        public string? Line(Fingerprint fp) => _grants.GetValueOrDefault(fp.ToString());

        public void Set(Fingerprint fp, string line)
        {
            _grants[fp.ToString()] = line;
            CatchUp();
        }

        public void Remove(Fingerprint fp)
        {
            _grants.Remove(fp.ToString());
            CatchUp();
        }

        public void CatchUp() => _view = _view with { Grants = _grants.ToImmutableDictionary(StringComparer.Ordinal), Revision = _view.Revision + 1 };

        public Task PublishMemberAsync(LocalMember self, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task PublishRoutesAsync(MemberRoutes routes, CancellationToken cancellationToken = default) => Task.CompletedTask;

        public Task PutGrantAsync(string fingerprint, string line, CancellationToken cancellationToken = default)
        {
            Check();
            _grants[fingerprint] = line;
            if (!Lagging)
            {
                CatchUp();
            }

            return Task.CompletedTask;
        }

        public Task RemoveGrantAsync(string fingerprint, CancellationToken cancellationToken = default)
        {
            Check();
            _grants.Remove(fingerprint);
            if (!Lagging)
            {
                CatchUp();
            }

            return Task.CompletedTask;
        }

        private void Check()
        {
            if (Unreachable)
            {
                throw new RegistryUnavailableException("etcd cannot be reached: test");
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
