using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Security;

namespace Gatehouse.Gateway.Tests;

/// <summary>Issue 14, item 4: the <c>gateway</c> role that admits a gateway to the cluster.</summary>
public sealed class GatewayRoleTests : IDisposable
{
    private readonly TempState state = new();

    public void Dispose() => state.Dispose();

    private static Fingerprint NewFingerprint(string name) => PeerIdentity.CreateEphemeral(name).Fingerprint;

    [Fact]
    public void Roles_gateway_parses_to_the_gateway_flag_alone()
    {
        var fp = NewFingerprint("gw2");
        var grant = Assert.Single(AuthorizedPeers.Parse([$"{fp} gw2 roles=gateway"], "f"));
        Assert.Equal(PeerRoles.Gateway, grant.Roles);
        Assert.True(grant.Has(PeerRoles.Gateway));
        Assert.False(grant.Has(PeerRoles.Client));
        Assert.False(grant.Has(PeerRoles.Service));
        Assert.False(grant.Has(PeerRoles.Admin));
        Assert.Equal(8, (int)PeerRoles.Gateway);
    }

    [Fact]
    public void Gateway_combines_with_other_roles_and_writes_them_in_a_fixed_order()
    {
        var fp = NewFingerprint("gw3");
        var grant = Assert.Single(AuthorizedPeers.Parse([$"{fp} gw3 roles=gateway,admin"], "f"));
        Assert.Equal(PeerRoles.Gateway | PeerRoles.Admin | PeerRoles.Client, grant.Roles);
        Assert.Equal($"{fp} gw3 roles=client,admin,gateway", grant.ToLine());
        Assert.Equal("client,admin,gateway", grant.RolesText);
    }

    [Fact]
    public void A_gateway_grant_survives_Upsert_and_reload_unchanged()
    {
        string path = state.File("authorized_peers");
        var grant = new PeerGrant(NewFingerprint("gw2"), "gw2", PeerRoles.Gateway, []);
        AuthorizedPeers.Upsert(path, grant);
        Assert.Contains($"{grant.Fingerprint} gw2 roles=gateway", File.ReadAllLines(path));
        Assert.Contains("gateway", File.ReadAllLines(path)[0], StringComparison.Ordinal); // the header lists the role

        var loaded = new AuthorizedPeers(path).Find(grant.Fingerprint);
        Assert.NotNull(loaded);
        Assert.Equal(PeerRoles.Gateway, loaded.Roles);
    }

    [Fact]
    public void An_unknown_role_error_lists_gateway_among_the_accepted_roles()
    {
        var ex = Assert.Throws<FormatException>(() => AuthorizedPeers.ParseRoles("gateways"));
        Assert.Contains("unknown role 'gateways' (client, service, admin, gateway)", ex.Message, StringComparison.Ordinal);
    }
}
