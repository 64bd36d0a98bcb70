using System.Diagnostics;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// packaging/build-deb.sh builds a self-contained .deb that lintian accepts, that installs with
/// dpkg -i, whose gatehouse runs a gateway, and that dpkg -r removes. Installs on this machine (as
/// root) and cleans up; purges only what did not exist before the test.
/// </summary>
public sealed class DebianPackageTests
{
    [Fact]
    [Trait("Category", "Slow")]
    public async Task The_package_builds_passes_lintian_installs_runs_a_gateway_and_is_removed()
    {
        Assert.True(Environment.UserName == "root", "dpkg -i needs root");
        Assert.True(File.Exists("/usr/bin/lintian"), "lintian is needed (apt-get install lintian)");
        Assert.False(File.Exists("/usr/bin/gatehouse"), "/usr/bin/gatehouse exists already: this test would replace it");
        using var cli = new CliProcess();
        string outDir = Path.Combine(cli.Root, "deb");
        var build = await RunAsync(TimeSpan.FromMinutes(15), Path.Combine(CliProcess.RepoRoot, "packaging", "build-deb.sh"), outDir);
        Assert.True(build.Exit == 0, $"build-deb.sh: exit {build.Exit}\n{build.Stdout}{build.Stderr}");
        string deb = build.Stdout.Trim().Split('\n')[^1];
        Assert.Matches(@"/gatehouse_\d+\.\d+\.\d+_amd64\.deb$", deb);

        var lintian = await RunAsync(TimeSpan.FromMinutes(5), "/usr/bin/lintian", "--tag-display-limit", "0", deb);
        Assert.DoesNotContain("E: ", lintian.Stdout + lintian.Stderr, StringComparison.Ordinal);

        bool stateExisted = Directory.Exists("/var/lib/gatehouse");
        bool userExisted = (await RunAsync(TimeSpan.FromMinutes(1), "getent", "passwd", "gatehouse")).Exit == 0;
        try
        {
            var install = await RunAsync(TimeSpan.FromMinutes(5), "dpkg", "-i", deb);
            Assert.True(install.Exit == 0, $"dpkg -i: {install.Stdout}{install.Stderr}");
            var version = await RunAsync(TimeSpan.FromMinutes(1), "/usr/bin/gatehouse", "--version");
            Assert.StartsWith("0.", version.Stdout, StringComparison.Ordinal);
            Assert.True(File.Exists("/usr/lib/systemd/system/gatehouse.service"));
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode("/var/lib/gatehouse"));
            Assert.Equal(0, (await RunAsync(TimeSpan.FromMinutes(1), "getent", "passwd", "gatehouse")).Exit);
            var check = await RunAsync(TimeSpan.FromMinutes(1), "/usr/bin/gatehouse", "gateway", "--config", "/etc/gatehouse/gateway.json", "--check");
            Assert.True(check.Exit == 0, check.Stderr);

            // A gateway from the installed files (its own state directory, a free loopback port).
            int port = CliProcess.FreePort();
            var (gateway, _) = await cli.StartAsync(
                cli.StartInfo("/usr/bin/gatehouse", ["gateway", "--listen", $"127.0.0.1:{port}"]),
                l => l.StartsWith("listening", StringComparison.Ordinal));
            using (var tcp = new System.Net.Sockets.TcpClient())
            {
                await tcp.ConnectAsync(System.Net.IPAddress.Loopback, port);
            }

            CliProcess.Stop(gateway);
            Assert.Equal(0, gateway.ExitCode);
        }
        finally
        {
            var remove = await RunAsync(TimeSpan.FromMinutes(5), "dpkg", "-r", "gatehouse");
            Assert.True(remove.Exit == 0, $"dpkg -r: {remove.Stdout}{remove.Stderr}");
            Assert.False(File.Exists("/usr/bin/gatehouse"));
            if (!stateExisted && !userExisted)
            {
                // Nothing of ours was there before: purge the state directory, the user and the conffile too.
                Assert.Equal(0, (await RunAsync(TimeSpan.FromMinutes(5), "dpkg", "-P", "gatehouse")).Exit);
                Assert.False(Directory.Exists("/var/lib/gatehouse"));
            }
        }
    }

    [Fact]
    [Trait("Category", "Slow")]
    public async Task The_dotnet_tool_package_carries_the_readme_and_installs_a_working_command()
    {
        using var cli = new CliProcess();
        string packDir = Path.Combine(cli.Root, "pack");
        var pack = await RunAsync(TimeSpan.FromMinutes(15), "dotnet", "pack", Path.Combine(CliProcess.RepoRoot, "src", "Gatehouse.Cli"), "-o", packDir, "-nologo", "-v", "q");
        Assert.True(pack.Exit == 0, $"dotnet pack: {pack.Stdout}{pack.Stderr}");
        string nupkg = Assert.Single(Directory.GetFiles(packDir, "Gatehouse.Cli.*.nupkg"));
        using (var zip = System.IO.Compression.ZipFile.OpenRead(nupkg))
        {
            var readme = zip.GetEntry("README.md");
            Assert.NotNull(readme);
            using var reader = new StreamReader(readme.Open());
            Assert.Equal(File.ReadAllText(Path.Combine(CliProcess.RepoRoot, "README.md")), await reader.ReadToEndAsync());
        }

        string toolPath = Path.Combine(cli.Root, "tools");
        var install = await RunAsync(TimeSpan.FromMinutes(5), "dotnet", "tool", "install", "Gatehouse.Cli", "--tool-path", toolPath, "--add-source", packDir, "--ignore-failed-sources");
        Assert.True(install.Exit == 0, $"dotnet tool install: {install.Stdout}{install.Stderr}");
        var version = await RunAsync(TimeSpan.FromMinutes(1), Path.Combine(toolPath, "gatehouse"), "--version");
        Assert.True(version.Exit == 0, version.Stderr);
        Assert.StartsWith("0.", version.Stdout, StringComparison.Ordinal);
    }

    private static async Task<(int Exit, string Stdout, string Stderr)> RunAsync(TimeSpan timeout, string file, params string[] args)
    {
        var psi = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false, WorkingDirectory = CliProcess.RepoRoot };
        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_NOLOGO"] = "1";
        using var p = Process.Start(psi)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(timeout);
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }
}
