using Gatehouse.Cluster.Etcd;

namespace Gatehouse.Registry.Tests;

/// <summary>The etcd registry over TLS with a client certificate and an etcd user, against a real etcd cluster that requires both.</summary>
public sealed class EtcdSecurityTests
{
    private static readonly TimeSpan Soon = TimeSpan.FromSeconds(15);

    private static async Task Etcdctl(RegistryHarness h, params string[] args)
    {
        var (code, output) = await h.Etcd.EtcdctlAsync(args);
        Assert.True(code == 0, $"etcdctl {string.Join(' ', args)}: {output}");
    }

    [Fact]
    public async Task Over_tls_with_a_client_certificate_and_an_etcd_user_registries_agree_and_a_wrong_password_or_no_certificate_is_reported_down()
    {
        await using var h = await RegistryHarness.StartAsync(tls: true);
        // A user that may touch /gatehouse/ only; then auth on.
        await Etcdctl(h, "user", "add", "root", "--new-user-password=rootpw");
        await Etcdctl(h, "role", "add", "gatehouse");
        await Etcdctl(h, "role", "grant-permission", "gatehouse", "readwrite", "/gatehouse/", "--prefix=true");
        await Etcdctl(h, "user", "add", "gw", "--new-user-password=gwpw");
        await Etcdctl(h, "user", "grant-role", "gw", "gatehouse");
        await Etcdctl(h, "auth", "enable");
        h.Etcd.EtcdctlUser = "root:rootpw";

        var (certFile, keyFile) = h.Etcd.ClientCertificate!.Value;
        var secure = h.Options() with { CaFile = h.Etcd.CaFile, CertFile = certFile, KeyFile = keyFile, User = "gw", Password = "gwpw" };
        Assert.All(secure.Endpoints, e => Assert.StartsWith("https://", e, StringComparison.Ordinal));
        var (a, logA) = await h.AddAsync("SHA256:aaa", secure);
        var (b, _) = await h.AddAsync("SHA256:bbb", secure);
        await RegistryHarness.Eventually(() => a.View.Members.ContainsKey("SHA256:bbb") && b.View.Members.ContainsKey("SHA256:aaa"), Soon, "a and b see each other over TLS");
        await a.PutGrantAsync("SHA256:g", "SHA256:g g roles=client").WaitAsync(Soon);
        await RegistryHarness.Eventually(() => b.View.Grants.ContainsKey("SHA256:g"), Soon, "b sees a's grant");
        Assert.True(a.Health.Up && b.Health.Up);

        // Wrong password: down, saying why, and the password is in no log line.
        var (wrong, logWrong) = h.Start("SHA256:ccc", secure with { Password = "not-the-password" });
        Assert.False(await wrong.WaitReadyAsync(TimeSpan.FromSeconds(3)));
        Assert.False(wrong.Health.Up);
        Assert.Contains("auth", wrong.Health.Reason!, StringComparison.OrdinalIgnoreCase);

        // No client certificate: the TLS handshake is refused.
        var (anonymous, _) = h.Start("SHA256:ddd", secure with { CertFile = null, KeyFile = null });
        Assert.False(await anonymous.WaitReadyAsync(TimeSpan.FromSeconds(3)));
        Assert.False(anonymous.Health.Up);
        Assert.False(a.View.Members.ContainsKey("SHA256:ccc") || a.View.Members.ContainsKey("SHA256:ddd"));

        // A user without rights outside its prefix: a registry under another prefix is refused.
        var (elsewhere, _) = h.Start("SHA256:eee", secure with { Prefix = "/other" });
        Assert.False(await elsewhere.WaitReadyAsync(TimeSpan.FromSeconds(3)));
        Assert.Contains("permission", elsewhere.Health.Reason!, StringComparison.OrdinalIgnoreCase);

        Assert.DoesNotContain(logA.Lines.Concat(logWrong.Lines), l => l.Text.Contains("gwpw", StringComparison.Ordinal) || l.Text.Contains("not-the-password", StringComparison.Ordinal));
    }
}
