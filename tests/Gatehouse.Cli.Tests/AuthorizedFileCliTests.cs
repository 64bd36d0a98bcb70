using System.Diagnostics;
using System.Runtime.InteropServices;
using System.Text;

namespace Gatehouse.Cli.Tests;

/// <summary>
/// Issue 12, faults 4 and 5, with real processes: a gateway whose authorized file becomes
/// unreadable keeps running with the grants it had; <c>gatehouse authorize</c> refuses values that
/// would change the file's meaning and serialises concurrent runs.
/// </summary>
public class AuthorizedFileCliTests
{
    private const uint Nobody = 65534;
    private static readonly UnixFileMode Mode644 = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead | UnixFileMode.OtherRead;

    [DllImport("libc", EntryPoint = "chown", SetLastError = true)]
    private static extern int Chown(string path, uint uid, uint gid);

    [DllImport("libc", EntryPoint = "geteuid")]
    private static extern uint GetEuid();

    private static bool Logged(StringBuilder output, string text)
    {
        lock (output)
        {
            return output.ToString().Contains(text, StringComparison.Ordinal);
        }
    }

    private static int CountLines(StringBuilder output, string text)
    {
        lock (output)
        {
            return output.ToString().Split('\n').Count(l => l.Contains(text, StringComparison.Ordinal));
        }
    }

    [Fact]
    public async Task A_gateway_whose_authorized_file_becomes_unreadable_keeps_running_and_serving_its_old_grants()
    {
        using var cli = new CliProcess();
        int port = CliProcess.FreePort();
        string host = $"127.0.0.1:{port}";
        string authorized = Path.Combine(cli.StateDir, "authorized_peers");
        bool root = GetEuid() == 0;
        Directory.CreateDirectory(cli.StateDir, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        ProcessStartInfo psi;
        if (root)
        {
            // The set-up: the gateway runs as another user, the operator works as root.
            Assert.Equal(0, Chown(cli.StateDir, Nobody, Nobody));
            psi = cli.StartInfo("setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "dotnet", CliProcess.CliDll, "gateway", "--listen", host]);
            psi.Environment["HOME"] = cli.StateDir;
        }
        else
        {
            psi = cli.StartInfo("dotnet", [CliProcess.CliDll, "gateway", "--listen", host]);
        }

        var (gateway, output) = await cli.StartAsync(psi, l => l.StartsWith("listening", StringComparison.Ordinal));
        Assert.Equal(0, (await cli.RunAsync("authorize", "--self", "--name", "tester")).Exit);
        if (root)
        {
            // authorize run as root gave the new file the state directory's owner, so the gateway can read it.
            Assert.True(Transport.Security.FileStatus.TryGet(authorized, out var st, out _));
            Assert.Equal(Nobody, st.Uid);
        }

        Assert.Equal(0, (await cli.RunAsync("trust", host, "--yes")).Exit);
        var deadline = DateTime.UtcNow.AddSeconds(30);
        (int Exit, string Stdout, string Stderr) who;
        do
        {
            who = await cli.RunAsync("call", host, "--domain", "gatehouse", "whoami");
        }
        while (who.Exit != 0 && DateTime.UtcNow < deadline);
        Assert.True(who.Exit == 0, $"whoami: exit {who.Exit}: {who.Stderr}");

        // Now make the file unreadable for the gateway, as `sudo gatehouse authorize` with umask 077
        // did before: owned by root, mode 0600 (as non-root: mode 0000), with a new modification time.
        if (root)
        {
            Assert.Equal(0, Chown(authorized, 0, 0));
            File.SetUnixFileMode(authorized, UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }
        else
        {
            File.SetUnixFileMode(authorized, UnixFileMode.None);
        }

        File.SetLastWriteTimeUtc(authorized, DateTime.UtcNow.AddSeconds(5));
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Logged(output, "the grants loaded before stay in force") && !gateway.HasExited && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        await Task.Delay(2500); // more sweeps meet the same error
        Assert.False(gateway.HasExited, "the gateway died:\n" + output);
        Assert.Equal(1, CountLines(output, "the grants loaded before stay in force"));
        who = await cli.RunAsync("call", host, "--domain", "gatehouse", "whoami");
        Assert.True(who.Exit == 0, $"whoami with the old grant: exit {who.Exit}: {who.Stderr}");
        Assert.StartsWith("tester", who.Stdout, StringComparison.Ordinal);

        // Fixed by chmod alone (no new modification time): noticed and loaded again.
        File.SetUnixFileMode(authorized, Mode644);
        deadline = DateTime.UtcNow.AddSeconds(30);
        while (!Logged(output, "read again without error") && DateTime.UtcNow < deadline)
        {
            await Task.Delay(100);
        }

        Assert.True(Logged(output, "read again without error"), output.ToString());
        CliProcess.Stop(gateway);
    }

    [Fact]
    public async Task Authorize_as_root_with_umask_077_keeps_the_file_readable_by_the_gateway_user()
    {
        if (GetEuid() != 0)
        {
            return; // Only root can give a file to another user; as anyone else there is nothing to keep.
        }

        using var cli = new CliProcess();
        Directory.CreateDirectory(cli.StateDir);
        Assert.Equal(0, Chown(cli.StateDir, Nobody, Nobody));
        Assert.Equal(0, (await cli.RunAsync("authorize", "SHA256:" + new string('A', 43), "--name", "first")).Exit);
        string authorized = Path.Combine(cli.StateDir, "authorized_peers");
        Assert.Equal(Mode644, File.GetUnixFileMode(authorized));

        var psi = cli.StartInfo("sh", ["-c", "umask 077 && exec \"$@\"", "sh", "dotnet", CliProcess.CliDll, "authorize", "SHA256:" + new string('B', 43), "--name", "second"]);
        using var p = Process.Start(psi)!;
        p.StandardInput.Close();
        string err = await p.StandardError.ReadToEndAsync();
        await p.WaitForExitAsync();
        Assert.True(p.ExitCode == 0, err);
        Assert.Equal(Mode644, File.GetUnixFileMode(authorized));
        Assert.Equal(2, File.ReadAllLines(authorized).Count(l => l.StartsWith("SHA256:", StringComparison.Ordinal)));
        Assert.True(Transport.Security.FileStatus.TryGet(authorized, out var st, out _));
        Assert.Equal(Nobody, st.Uid);
    }

    [Theory]
    [InlineData("--domain", "mail roles=service,admin")]
    [InlineData("--domain", "mail\nSHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA evil roles=admin")]
    [InlineData("--domain", "mail,")]
    [InlineData("--name", "evil roles=admin")]
    [InlineData("--name", "evil\nSHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA x roles=admin")]
    public async Task Authorize_refuses_a_value_that_would_add_an_option_or_a_line_and_leaves_the_file_alone(string option, string value)
    {
        using var cli = new CliProcess();
        string fp = "SHA256:" + new string('C', 43);
        Assert.Equal(0, (await cli.RunAsync("authorize", fp, "--name", "ok")).Exit);
        string authorized = Path.Combine(cli.StateDir, "authorized_peers");
        string before = File.ReadAllText(authorized);

        string[] args = option == "--name"
            ? ["authorize", fp, "--name", value, "--role", "service", "--domain", "mail"]
            : ["authorize", fp, "--name", "mail", "--role", "service", "--domain", value];
        var result = await cli.RunAsync(args);
        Assert.Equal(64, result.Exit);
        Assert.StartsWith($"gatehouse authorize: {option}:", result.Stderr, StringComparison.Ordinal);
        Assert.Single(result.Stderr.TrimEnd('\n').Split('\n'));
        Assert.Equal(before, File.ReadAllText(authorized));
    }

    [Fact]
    public async Task Authorize_with_role_gateway_writes_a_gateway_only_grant_and_the_help_lists_the_role()
    {
        using var cli = new CliProcess();
        string fp = "SHA256:" + new string('G', 42) + "Q"; // canonical: the last character's unused bits are zero
        var result = await cli.RunAsync("authorize", fp, "--name", "gw2", "--role", "gateway");
        Assert.True(result.Exit == 0, result.Stderr);
        Assert.Contains($"{fp} gw2 roles=gateway", File.ReadAllLines(Path.Combine(cli.StateDir, "authorized_peers")));

        var help = await cli.RunAsync("authorize", "--help");
        Assert.Equal(0, help.Exit);
        Assert.Contains("gateway (a cluster member; implies nothing else)", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Twenty_concurrent_authorize_runs_all_land()
    {
        using var cli = new CliProcess();
        var fingerprints = Enumerable.Range(0, 20).Select(i => "SHA256:" + Convert.ToBase64String(System.Security.Cryptography.SHA256.HashData([(byte)i])).TrimEnd('=')).ToList();
        var runs = fingerprints.Select((fp, i) => cli.RunAsync("authorize", fp, "--name", "peer" + i)).ToList();
        var results = await Task.WhenAll(runs);
        Assert.All(results, r => Assert.True(r.Exit == 0, $"exit {r.Exit}: {r.Stderr}"));
        var lines = File.ReadAllLines(Path.Combine(cli.StateDir, "authorized_peers")).Where(l => l.StartsWith("SHA256:", StringComparison.Ordinal)).ToList();
        Assert.Equal(20, lines.Count);
        Assert.Equal(fingerprints.Order(StringComparer.Ordinal), lines.Select(l => l.Split(' ')[0]).Order(StringComparer.Ordinal));
        Assert.Empty(Directory.GetFiles(cli.StateDir, "authorized_peers.tmp*"));
    }
}
