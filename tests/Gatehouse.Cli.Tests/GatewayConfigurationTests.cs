using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Gatehouse.Cli.Commands;

namespace Gatehouse.Cli.Tests;

/// <summary><c>gatehouse gateway --config</c>: every documented key reaches the options, bad values name their source, precedence.</summary>
public sealed class GatewayConfigurationTests : IDisposable
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gatehouse-config-" + Guid.NewGuid().ToString("N")[..10]);

    public GatewayConfigurationTests() => Directory.CreateDirectory(_dir);

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// <summary>The keys of the table in docs/operations.md ("Every key").</summary>
    private static List<string> DocumentedKeys()
    {
        string doc = File.ReadAllText(Path.Combine(CliProcess.RepoRoot, "docs", "operations.md"));
        int start = doc.IndexOf("| key | default | meaning |", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/operations.md has no key table");
        return [.. doc[start..].Split('\n').Skip(2).TakeWhile(l => l.StartsWith('|')).Select(l => Regex.Match(l, "^\\| `([^`]+)`").Groups[1].Value)];
    }

    /// <summary>A JSON file setting <paramref name="key"/> to its example value.</summary>
    private string FileSetting(SettingKey key, string value)
    {
        var root = new JsonObject();
        var node = root;
        string[] parts = key.Path.Split(':');
        foreach (string part in parts[..^1])
        {
            node = (JsonObject)(node[part] ??= new JsonObject());
        }

        node[parts[^1]] = key.Shape switch
        {
            SettingShape.List => new JsonArray([.. value.Split(", ").Select(v => (JsonNode)JsonValue.Create(v))]),
            SettingShape.Map => new JsonObject(value.Split(", ").Select(p => p.Split('=')).Select(p => KeyValuePair.Create(p[0], (JsonNode?)JsonValue.Create(p[1])))),
            _ => JsonValue.Create(value),
        };
        string path = Path.Combine(_dir, "gateway.json");
        File.WriteAllText(path, "// written by a test\n" + root.ToJsonString());
        return path;
    }

    [Fact]
    public void The_documented_keys_are_exactly_the_keys_the_gateway_reads_with_their_defaults()
    {
        Assert.Equal(GatewaySettingKeys.All.Select(k => k.Path), DocumentedKeys());
        string doc = File.ReadAllText(Path.Combine(CliProcess.RepoRoot, "docs", "operations.md"));
        var defaults = new GatewaySettings();
        foreach (var key in GatewaySettingKeys.All.Where(k => k.Path != "StateDirectory"))
        {
            Assert.Contains($"| `{key.Path}` | `{key.Show(defaults)}` | {key.Description} |", doc, StringComparison.Ordinal);
        }
    }

    [Fact]
    public void Every_documented_key_set_in_a_file_reaches_the_gateway_options_and_nothing_else()
    {
        var defaults = new GatewaySettings();
        foreach (string path in DocumentedKeys())
        {
            var key = GatewaySettingKeys.Find(path)!;
            Assert.NotEqual(key.Show(defaults), key.Example);
            var loaded = GatewayConfiguration.Load(FileSetting(key, key.Example), []);
            Assert.Equal(key.Example, key.Show(loaded.Settings));
            Assert.Equal($"{Path.Combine(_dir, "gateway.json")}:{key.Path}", loaded.SourceOf(key).Replace(":mail", string.Empty, StringComparison.Ordinal));
            foreach (var other in GatewaySettingKeys.All.Where(k => k != key))
            {
                Assert.True(other.Show(defaults) == other.Show(loaded.Settings), $"setting {key.Path} also changed {other.Path}");
            }
        }
    }

    [Fact]
    public void Each_key_set_by_set_flag_reaches_the_options_too()
    {
        foreach (var key in GatewaySettingKeys.All.Where(k => k.Shape != SettingShape.Map))
        {
            var loaded = GatewayConfiguration.Load(null, [new FlagValue(key.Path, key.Example, "--set " + key.Path)]);
            Assert.Equal(key.Example, key.Show(loaded.Settings));
            Assert.Equal("--set " + key.Path, loaded.SourceOf(key));
        }
    }

    [Fact]
    public void Durations_and_sizes_are_read_in_their_documented_forms()
    {
        Assert.Equal(TimeSpan.FromMilliseconds(500), SettingValues.ParseDuration("500ms"));
        Assert.Equal(TimeSpan.FromSeconds(1.5), SettingValues.ParseDuration("1.5s"));
        Assert.Equal(TimeSpan.FromDays(1), SettingValues.ParseDuration("1d"));
        Assert.Equal(TimeSpan.FromSeconds(10), SettingValues.ParseDuration("00:00:10"));
        Assert.Throws<FormatException>(() => SettingValues.ParseDuration("10"));
        Assert.Throws<FormatException>(() => SettingValues.ParseDuration("-5s"));
        Assert.Equal(4L << 20, SettingValues.ParseSize("4MiB", long.MaxValue));
        Assert.Equal(65536, SettingValues.ParseSize("64K", long.MaxValue));
        Assert.Throws<FormatException>(() => SettingValues.ParseSize("3GiB", int.MaxValue));
        Assert.Equal("1h", SettingValues.FormatDuration(TimeSpan.FromHours(1)));
        Assert.Equal("1500ms", SettingValues.FormatDuration(TimeSpan.FromSeconds(1.5)));
    }

    [Fact]
    public void A_misspelt_key_is_refused_with_the_file_and_key()
    {
        string path = Path.Combine(_dir, "gateway.json");
        File.WriteAllText(path, """{ "Limits": { "MaxExecProcesess": 5 }, "Listen": { "first": "*:1" } }""");
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayConfiguration.Load(path, []));
        Assert.Contains($"{path}:Limits:MaxExecProcesess: unknown setting", ex.Errors[0], StringComparison.Ordinal);
        Assert.Contains($"{path}:Listen:first: unknown setting", ex.Errors[1], StringComparison.Ordinal);
    }

    [Fact]
    public void A_check_involving_two_keys_names_the_key_it_is_about_with_the_values_given()
    {
        string path = Path.Combine(_dir, "gateway.json");
        File.WriteAllText(path, """{ "Cluster": { "Swim": { "ProbeInterval": "2s", "ProbeTimeout": "3s" } } }""");
        var ex = Assert.Throws<GatewayConfigurationException>(() => GatewayConfiguration.Load(path, []));
        Assert.Equal($"{path}:Cluster:Swim:ProbeTimeout: the probe timeout must be shorter than the probe interval (00:00:02)", Assert.Single(ex.Errors));
        File.WriteAllText(path, """{ "Cluster": { "Swim": { "ProbeInterval": "5s", "ProbeTimeout": "3s" } } }""");
        Assert.Equal(TimeSpan.FromSeconds(3), GatewayConfiguration.Load(path, []).Settings.Gateway.Cluster.Swim.ProbeTimeout);
    }

    [Fact]
    public void Relative_paths_in_the_file_are_taken_from_its_directory()
    {
        string path = Path.Combine(_dir, "gateway.json");
        File.WriteAllText(path, """{ "StateDirectory": "state", "CommandsFile": "../remctl.conf" }""");
        var options = GatewayConfiguration.Load(path, []).Settings.Gateway;
        Assert.Equal(Path.Combine(_dir, "state"), options.StateDirectory);
        Assert.Equal(Path.GetFullPath(Path.Combine(_dir, "..", "remctl.conf")), options.CommandsFile);
    }

    [Fact]
    public void The_sample_file_in_packaging_validates()
    {
        var loaded = GatewayConfiguration.Load(Path.Combine(CliProcess.RepoRoot, "packaging", "gateway.json"), []);
        Assert.Equal("/var/lib/gatehouse", loaded.Settings.Gateway.StateDirectory);
    }

    [Fact]
    public async Task A_bad_value_in_the_file_exits_78_with_one_line_naming_file_and_key()
    {
        using var cli = new CliProcess();
        string path = Path.Combine(cli.Root, "gateway.json");
        File.WriteAllText(path, """
            {
              // the operator's typo
              "Limits": { "MaxExecProcesses": "lots" },
            }
            """);
        foreach (string[] args in new[] { new[] { "gateway", "--config", path }, ["gateway", "--config", path, "--check"] })
        {
            var (exit, stdout, stderr) = await cli.RunAsync(args);
            Assert.Equal(78, exit);
            Assert.Equal($"gatehouse gateway: {path}:Limits:MaxExecProcesses: 'lots' is not a whole number (up to 2147483647)", stderr.TrimEnd('\n'));
            Assert.DoesNotContain("listening", stdout, StringComparison.Ordinal);
        }

        File.WriteAllText(path, """{ "Listen": [ """);
        var broken = await cli.RunAsync("gateway", "--config", path, "--check");
        Assert.Equal(78, broken.Exit);
        Assert.Single(broken.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Contains($"{path}: ", broken.Stderr, StringComparison.Ordinal);
        Assert.Contains("LineNumber", broken.Stderr, StringComparison.Ordinal);

        var missing = await cli.RunAsync("gateway", "--config", Path.Combine(cli.Root, "nosuch.json"), "--check");
        Assert.Equal(78, missing.Exit);
        Assert.Contains("nosuch.json: no such file", missing.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Flags_override_environment_variables_which_override_the_file()
    {
        using var cli = new CliProcess();
        string path = Path.Combine(cli.Root, "gateway.json");
        File.WriteAllText(path, """
            {
              "Listen": ["127.0.0.1:7001", "127.0.0.1:7002"],
              "QueueLength": 10,
              "DrainTimeout": "10s",
              "Limits": { "MaxExecProcesses": 20 },
              "Cluster": { "RedirectByDomain": { "mail": "redirect", "web": "redirect" } }
            }
            """);
        var psi = cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--config", path, "--print-config", "--listen", "127.0.0.1:7003", "--set", "QueueLength=12", "--redirect", "web=forward"]);
        psi.Environment["GATEHOUSE__QUEUELENGTH"] = "11";
        psi.Environment["GATEHOUSE__LIMITS__MAXEXECPROCESSES"] = "21";
        psi.Environment["GATEHOUSE__LISTEN"] = "127.0.0.1:7004";
        psi.Environment["GATEHOUSE__CLUSTER__REDIRECTBYDOMAIN__mail"] = "large-input";
        using var p = System.Diagnostics.Process.Start(psi)!;
        p.StandardInput.Close();
        string stdout = await p.StandardOutput.ReadToEndAsync();
        string stderr = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, stderr);
        var lines = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).ToDictionary(l => l.Split(' ')[0], l => Regex.Replace(l[(l.IndexOf(' ', StringComparison.Ordinal) + 1)..].Trim(), " +", " "));
        Assert.Equal("127.0.0.1:7003 (--listen)", lines["Listen"]); // the flag's list replaces the others whole
        Assert.Equal("12 (--set QueueLength)", lines["QueueLength"]);
        Assert.Equal("21 (GATEHOUSE__LIMITS__MAXEXECPROCESSES)", lines["Limits:MaxExecProcesses"]);
        Assert.Equal($"10s ({path}:DrainTimeout)", lines["DrainTimeout"]);
        Assert.Equal("30s (default)", lines["QueueTimeout"]);
        Assert.StartsWith("mail=large-input, web=forward (", lines["Cluster:RedirectByDomain"], StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_bad_environment_variable_or_flag_is_named_as_such()
    {
        using var cli = new CliProcess();
        var psi = cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--check"]);
        psi.Environment["GATEHOUSE__QUEUETIMEOUT"] = "soon";
        using (var p = System.Diagnostics.Process.Start(psi)!)
        {
            p.StandardInput.Close();
            string stderr = await p.StandardError.ReadToEndAsync();
            await p.WaitForExitAsync();
            Assert.Equal(78, p.ExitCode);
            Assert.Equal("gatehouse gateway: GATEHOUSE__QUEUETIMEOUT: 'soon' is not a duration (e.g. 500ms, 10s, 5m, 1h, 1d)", stderr.TrimEnd('\n'));
        }

        var flag = await cli.RunAsync("gateway", "--check", "--listen", "1.2.3.4.5:80");
        Assert.Equal(78, flag.Exit);
        Assert.StartsWith("gatehouse gateway: --listen: '1.2.3.4.5:80'", flag.Stderr, StringComparison.Ordinal);
        var range = await cli.RunAsync("gateway", "--check", "--set", "Cluster.Swim.GossipNodes=99");
        Assert.Equal(78, range.Exit);
        Assert.Equal("gatehouse gateway: --set Cluster:Swim:GossipNodes: GossipNodes must be 1 to 32", range.Stderr.TrimEnd('\n'));
    }
}
