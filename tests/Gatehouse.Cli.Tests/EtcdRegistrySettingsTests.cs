using Gatehouse.Cli.Commands;
using Gatehouse.Gateway.Membership;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// <c>Cluster:Registry</c> and <c>Cluster:Etcd:*</c> (issue 21): read into <see cref="ClusterOptions"/>,
/// validated with the file and key named, the password never printed; a gateway on etcd binds no UDP and
/// serves while etcd is out of reach, saying so.
/// </summary>
public sealed class EtcdRegistrySettingsTests : IDisposable
{
    private const string Secret = "s3cr3t-etcd-pa55word";

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gatehouse-etcdcfg-" + Guid.NewGuid().ToString("N")[..10]);

    public EtcdRegistrySettingsTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string Write(string json)
    {
        string path = Path.Combine(_dir, "gateway.json");
        File.WriteAllText(path, json);
        return path;
    }

    private static string EtcdFile(string extra = "") => $$"""
        {
          "Cluster": {
            "Registry": "etcd",
            "Etcd": {
              "Endpoints": ["http://127.0.0.1:2379", "127.0.0.2:2379"],
              "Prefix": "/sites/paris",
              "Cluster": "paris",
              "LeaseTtl": "4s",
              "CaFile": "tls/ca.pem",
              "CertFile": "tls/client.pem",
              "KeyFile": "tls/client.key",
              "User": "gatehouse",
              "Password": "{{Secret}}"{{extra}}
            }
          }
        }
        """;

    [Fact]
    public void Without_settings_the_registry_is_gossip_and_etcd_has_its_documented_defaults()
    {
        var cluster = GatewayConfiguration.Load(null, []).Settings.Gateway.Cluster;
        Assert.Equal(ClusterRegistryKind.Gossip, cluster.Registry);
        Assert.Equal(["http://127.0.0.1:2379"], cluster.Etcd.Endpoints);
        Assert.Equal("/gatehouse", cluster.Etcd.Prefix);
        Assert.Equal("default", cluster.Etcd.Cluster);
        Assert.Equal(TimeSpan.FromSeconds(10), cluster.Etcd.LeaseTtl);
        Assert.Null(cluster.Etcd.Password);
    }

    [Fact]
    public void An_etcd_configuration_reaches_the_registry_options_with_paths_taken_from_the_file_directory()
    {
        var etcd = GatewayConfiguration.Load(Write(EtcdFile()), []).Settings.Gateway.Cluster;
        Assert.Equal(ClusterRegistryKind.Etcd, etcd.Registry);
        Assert.Equal(["http://127.0.0.1:2379", "127.0.0.2:2379"], etcd.Etcd.Endpoints);
        Assert.Equal("/sites/paris", etcd.Etcd.Prefix);
        Assert.Equal("paris", etcd.Etcd.Cluster);
        Assert.Equal(TimeSpan.FromSeconds(4), etcd.Etcd.LeaseTtl);
        Assert.Equal(Path.Combine(_dir, "tls", "ca.pem"), etcd.Etcd.CaFile);
        Assert.Equal(Path.Combine(_dir, "tls", "client.pem"), etcd.Etcd.CertFile);
        Assert.Equal(Path.Combine(_dir, "tls", "client.key"), etcd.Etcd.KeyFile);
        Assert.Equal("gatehouse", etcd.Etcd.User);
        Assert.Equal(Secret, etcd.Etcd.Password);
        etcd.Etcd.Validate(); // what EtcdRegistry would be given
    }

    [Theory]
    [InlineData("""{ "Cluster": { "Registry": "zookeeper" } }""", "Cluster:Registry", "'zookeeper' is not a registry: gossip or etcd")]
    [InlineData("""{ "Cluster": { "Etcd": { "LeaseTtl": "1s" } } }""", "Cluster:Etcd:LeaseTtl", "LeaseTtl is 00:00:02 to 00:05:00")]
    [InlineData("""{ "Cluster": { "Registry": "etcd", "Etcd": { "Endpoints": ["ftp://10.0.0.5:2379"] } } }""", "Cluster:Etcd:Endpoints", "Endpoints: 'ftp://10.0.0.5:2379' is not http(s)://HOST:PORT or HOST:PORT")]
    [InlineData("""{ "Cluster": { "Registry": "etcd", "Etcd": { "Endpoints": "" } } }""", "Cluster:Etcd:Endpoints", "needs 1 to 32 etcd client URLs")]
    [InlineData("""{ "Cluster": { "Etcd": { "Prefix": "gatehouse" } } }""", "Cluster:Etcd:Prefix", "Prefix: must start with '/', at most 200 characters, no control characters")]
    [InlineData("""{ "Cluster": { "Etcd": { "Cluster": "a/b" } } }""", "Cluster:Etcd:Cluster", "Cluster: 1 to 64 letters, digits, '-', '_' or '.'")]
    [InlineData("""{ "Cluster": { "Registry": "etcd", "Etcd": { "CertFile": "c.pem" } } }""", "Cluster:Etcd:CertFile", "CertFile and KeyFile go together (the client certificate and its key)")]
    [InlineData("""{ "Cluster": { "Registry": "etcd", "Etcd": { "KeyFile": "c.key" } } }""", "Cluster:Etcd:KeyFile", "CertFile and KeyFile go together (the client certificate and its key)")]
    [InlineData("""{ "Cluster": { "Registry": "etcd", "Etcd": { "Password": "x" } } }""", "Cluster:Etcd:Password", "User and Password go together")]
    public void A_bad_etcd_value_is_refused_naming_the_file_and_key(string json, string key, string message)
    {
        string path = Write(json);
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayConfiguration.Load(path, []));
        Assert.Equal($"{path}:{key}: {message}", Assert.Single(ex.Errors));
    }

    [Fact]
    public void A_user_without_a_password_is_refused_only_with_the_etcd_registry_naming_the_user()
    {
        string path = Write("""{ "Cluster": { "Etcd": { "User": "gatehouse" } } }""");
        Assert.Equal("gatehouse", GatewayConfiguration.Load(path, []).Settings.Gateway.Cluster.Etcd.User); // carried ahead of a switch
        path = Write("""{ "Cluster": { "Registry": "etcd", "Etcd": { "User": "gatehouse" } } }""");
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayConfiguration.Load(path, []));
        Assert.Equal($"{path}:Cluster:Etcd:User: User and Password go together", Assert.Single(ex.Errors));
    }

    [Fact]
    public async Task The_password_is_never_printed_by_print_config_or_check_and_check_names_an_etcd_TLS_file_it_cannot_load()
    {
        using var cli = new CliProcess();
        string path = Path.Combine(cli.Root, "gateway.json");
        File.WriteAllText(path, EtcdFile());

        var print = await cli.RunAsync("gateway", "--config", path, "--print-config");
        Assert.True(print.Exit == 0, print.Stderr);
        Assert.DoesNotContain(Secret, print.Stdout + print.Stderr, StringComparison.Ordinal);
        string line = Assert.Single(print.Stdout.Split('\n'), l => l.StartsWith("Cluster:Etcd:Password ", StringComparison.Ordinal));
        Assert.Contains($"{GatewaySettingKeys.Hidden}  ({path}:Cluster:Etcd:Password)", line, StringComparison.Ordinal);
        Assert.Contains("gatehouse", Assert.Single(print.Stdout.Split('\n'), l => l.StartsWith("Cluster:Etcd:User ", StringComparison.Ordinal)), StringComparison.Ordinal);

        // The CA file named does not exist: --check (run by the unit before every start) says which setting and file.
        var check = await cli.RunAsync("gateway", "--config", path, "--check");
        Assert.Equal(78, check.Exit);
        Assert.StartsWith($"gatehouse gateway: Cluster:Etcd:CaFile: cannot load {Path.Combine(cli.Root, "tls", "ca.pem")}: ", check.Stderr, StringComparison.Ordinal);
        Assert.Single(check.Stderr.TrimEnd('\n').Split('\n'));
        Assert.DoesNotContain(Secret, check.Stdout + check.Stderr, StringComparison.Ordinal);

        // A bad value next to the password: the error names the key, never the password.
        File.WriteAllText(path, EtcdFile(", \"RetryInterval\": \"1h\""));
        var bad = await cli.RunAsync("gateway", "--config", path, "--check");
        Assert.Equal(78, bad.Exit);
        Assert.StartsWith($"gatehouse gateway: {path}:Cluster:Etcd:RetryInterval: ", bad.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Secret, bad.Stdout + bad.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_on_etcd_that_cannot_reach_it_serves_binds_no_UDP_and_says_the_registry_is_down()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort(), diagnostics = CliProcess.FreePort(), nobody = CliProcess.FreePort();
        var (p, output) = await cli.StartAsync(cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{port}", "--set", "Cluster:Registry=etcd",
            "--set", $"Cluster:Etcd:Endpoints=127.0.0.1:{nobody}", "--set", "Cluster:Etcd:OperationTimeout=300ms", "--set", $"DiagnosticsListen=127.0.0.1:{diagnostics}"]),
            l => l.StartsWith("registry", StringComparison.Ordinal));
        lock (output)
        {
            Assert.Contains($"registry     etcd 127.0.0.1:{nobody}, keys under /gatehouse/default/ (lease 10 s)", output.ToString(), StringComparison.Ordinal);
            Assert.Contains("(TCP; no UDP: the cluster registry is etcd)", output.ToString(), StringComparison.Ordinal);
        }

        using (var udp = new System.Net.Sockets.UdpClient(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, port)))
        {
            Assert.NotNull(udp.Client.LocalEndPoint); // the port's UDP side is free: no gossip
        }

        using var http = new HttpClient();
        string readyz = "";
        for (int i = 0; i < 100 && !readyz.Contains("registry etcd: down", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            readyz = await http.GetStringAsync($"http://127.0.0.1:{diagnostics}/readyz");
        }

        Assert.StartsWith("ready; registry etcd: down since ", readyz, StringComparison.Ordinal);
        Assert.EndsWith("; serving from the last view\n", readyz, StringComparison.Ordinal);
        Assert.Contains("gatehouse_cluster_registry_up{registry=\"etcd\"} 0", await http.GetStringAsync($"http://127.0.0.1:{diagnostics}/metrics"), StringComparison.Ordinal);

        Assert.Equal("ok\n", await http.GetStringAsync($"http://127.0.0.1:{diagnostics}/healthz"));
        Assert.False(p.HasExited);
    }

    [Fact]
    public async Task A_gateway_reaches_etcd_over_TLS_with_a_client_certificate_and_one_without_it_says_why_it_cannot()
    {
        await using var etcd = await Gatehouse.Bench.Processes.EtcdCluster.StartAsync(1, tls: true);
        var (cert, key) = etcd.ClientCertificate!.Value;
        using var good = new CliProcess();
        using var bad = new CliProcess();
        int goodPort = CliProcess.FreePort(), badPort = CliProcess.FreePort(), badDiagnostics = CliProcess.FreePort();
        string endpoints = string.Join(",", etcd.ClientUrls);
        var (_, goodOutput) = await good.StartAsync(good.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{goodPort}", "--set", "Cluster:Registry=etcd",
            "--set", "Cluster:Etcd:Endpoints=" + endpoints, "--set", "Cluster:Etcd:CaFile=" + etcd.CaFile, "--set", "Cluster:Etcd:CertFile=" + cert, "--set", "Cluster:Etcd:KeyFile=" + key]),
            l => l.StartsWith("registry", StringComparison.Ordinal));
        string fingerprint;
        lock (goodOutput)
        {
            fingerprint = goodOutput.ToString().Split('\n').First(l => l.StartsWith("fingerprint", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1];
        }

        string keys = "";
        for (int i = 0; i < 100 && !keys.Contains(fingerprint, StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            keys = (await etcd.EtcdctlAsync(["get", "--prefix", "--keys-only", "/gatehouse/default/members/"])).Output;
        }

        Assert.Contains("/gatehouse/default/members/" + fingerprint, keys, StringComparison.Ordinal);

        // The CA but no client certificate: etcd refuses the handshake; the gateway serves and says why.
        await bad.StartAsync(bad.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", $"127.0.0.1:{badPort}", "--set", "Cluster:Registry=etcd",
            "--set", "Cluster:Etcd:Endpoints=" + endpoints, "--set", "Cluster:Etcd:CaFile=" + etcd.CaFile, "--set", "Cluster:Etcd:OperationTimeout=500ms", "--set", $"DiagnosticsListen=127.0.0.1:{badDiagnostics}"]),
            l => l.StartsWith("registry", StringComparison.Ordinal));
        using var http = new HttpClient();
        string readyz = "";
        for (int i = 0; i < 100 && !readyz.Contains("registry etcd: down", StringComparison.Ordinal); i++)
        {
            await Task.Delay(100);
            readyz = await http.GetStringAsync($"http://127.0.0.1:{badDiagnostics}/readyz");
        }

        Assert.StartsWith("ready; registry etcd: down since ", readyz, StringComparison.Ordinal);
        var members = (await etcd.EtcdctlAsync(["get", "--prefix", "--keys-only", "/gatehouse/default/members/"])).Output.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(["/gatehouse/default/members/" + fingerprint], members); // only the gateway with the certificate got in
    }
}
