using System.Text.Json;
using Gatehouse.Functional.Tests;
using Gatehouse.Gateway.Audit;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Interop.Tests;

/// <summary>
/// Issue 16, audit trail on the remctl front door: a stock remctl client (Kerberos) gets one record
/// per command, naming its Kerberos principal, with logmask applied; a refused command too.
/// </summary>
[Collection(KerberosCollection.Name)]
public sealed class RemctlAuditTests(KerberosRealm realm) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("gatehouse-remctl-audit-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task A_stock_remctl_client_gets_one_record_per_command_with_its_Kerberos_principal_and_logmask_applied()
    {
        string conf = Path.Combine(_dir, "remctl.conf");
        string audit = Path.Combine(_dir, "audit.jsonl");
        File.WriteAllText(conf, $"""
            account set /bin/echo logmask=2 ANYUSER
            account drop /bin/echo logmask=2 deny:princ:{KerberosRealm.UserPrincipal} ANYUSER
            """);
        await using var gw = await TestGateway.StartAsync(o => o with
        {
            RemctlListen = "127.0.0.1:0",
            RemctlKeytab = realm.HostKeytab,
            CommandsFile = conf,
            Audit = new AuditOptions { Destination = AuditDestination.File, Path = audit },
        });
        string remctl = ProcessRunner.Require("remctl", "remctl-client");
        string port = gw.Server.RemctlEndpoint!.Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
        var ok = await realm.RunAsync(remctl, ["-p", port, "localhost", "account", "set", "s3cret", "bob"]);
        Assert.Equal(0, ok.ExitCode);
        Assert.Equal("set s3cret bob\n", ok.Stdout);
        var denied = await realm.RunAsync(remctl, ["-p", port, "localhost", "account", "drop", "s3cret"]);
        Assert.NotEqual(0, denied.ExitCode);
        Assert.Contains("Access denied", denied.Stderr, StringComparison.Ordinal);

        await gw.Server.Runtime.Audit.FlushAsync(TimeSpan.FromSeconds(5));
        var records = File.ReadAllLines(audit).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(2, records.Count);
        Assert.DoesNotContain("s3cret", File.ReadAllText(audit), StringComparison.Ordinal);
        var set = records[0];
        Assert.Equal("remctl", set.GetProperty("frontDoor").GetString());
        Assert.Equal(KerberosRealm.UserPrincipal, set.GetProperty("principal").GetString());
        Assert.Equal(string.Empty, set.GetProperty("fingerprint").GetString());
        Assert.Equal("127.0.0.1", set.GetProperty("address").GetString());
        Assert.Equal("account set **MASKED** bob", set.GetProperty("command").GetString());
        Assert.Equal("exec", set.GetProperty("target").GetString());
        Assert.Equal("ok", set.GetProperty("outcome").GetString());
        Assert.Equal("set s3cret bob\n".Length, set.GetProperty("bytesOut").GetInt64());
        var drop = records[1];
        Assert.Equal("access", drop.GetProperty("outcome").GetString());
        Assert.Equal("account drop **MASKED**", drop.GetProperty("command").GetString());
    }
}
