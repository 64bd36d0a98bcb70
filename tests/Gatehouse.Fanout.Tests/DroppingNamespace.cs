using System.Diagnostics;
using Gatehouse.Transport.Connections;

namespace Gatehouse.Fanout.Tests;

/// <summary>
/// A network namespace of our own, joined to this one by a veth pair in a private /30
/// (10.213.X.4k+1 here, 10.213.X.4k+2 inside), with an iptables rule inside (default
/// <c>-A INPUT -j DROP</c>: every packet to the inside address is silently dropped, so TCP connects to
/// it time out). Shared with Gatehouse.Cli.Tests (linked file). Needs root,
/// <c>ip</c> (iproute2) and <c>iptables</c>; when they are missing, construction throws with a clear
/// message so the test fails instead of being skipped. Dispose deletes exactly the veth pair and
/// namespace this instance created.
/// </summary>
internal sealed class DroppingNamespace : IDisposable
{
    private readonly string _namespace;
    private readonly string _hostVeth;
    private bool _vethCreated;
    private bool _namespaceCreated;

    /// <param name="dropRule">The iptables rule inside (default: drop every packet in); e.g. <c>-A INPUT -p udp -j DROP</c> drops only UDP.</param>
    public DroppingNamespace(params string[] dropRule)
    {
        if (dropRule.Length == 0)
        {
            dropRule = ["-A", "INPUT", "-j", "DROP"];
        }

        string tag = Convert.ToHexStringLower(BitConverter.GetBytes(Random.Shared.Next()))[..6];
        _namespace = $"gh-fanout-{tag}";
        _hostVeth = $"ghc{tag}a";
        string innerVeth = $"ghc{tag}b";
        int octet = Random.Shared.Next(0, 256);
        int block = Random.Shared.Next(0, 64) * 4;
        HostAddress = $"10.213.{octet}.{block + 1}";
        InsideAddress = $"10.213.{octet}.{block + 2}";

        RequireTool("ip", "iproute2");
        RequireTool("iptables", "iptables");
        try
        {
            Run("ip", "netns", "add", _namespace);
            _namespaceCreated = true;
            Run("ip", "link", "add", _hostVeth, "type", "veth", "peer", "name", innerVeth, "netns", _namespace);
            _vethCreated = true;
            Run("ip", "addr", "add", $"{HostAddress}/30", "dev", _hostVeth);
            Run("ip", "link", "set", _hostVeth, "up");
            Run("ip", "netns", "exec", _namespace, "ip", "addr", "add", $"{InsideAddress}/30", "dev", innerVeth);
            Run("ip", "netns", "exec", _namespace, "ip", "link", "set", innerVeth, "up");
            Run("ip", "netns", "exec", _namespace, "ip", "link", "set", "lo", "up");
            Run("ip", ["netns", "exec", _namespace, "iptables", .. dropRule]);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>The namespace's name (for <c>ip netns exec</c>).</summary>
    public string Name => _namespace;

    /// <summary>This side's address on the veth pair.</summary>
    public string HostAddress { get; }

    /// <summary>The address inside the namespace; what the rule matches of what is sent to it is dropped.</summary>
    public string InsideAddress { get; }

    /// <summary>An endpoint at the dropping address.</summary>
    public Endpoint Endpoint(int port = Transport.Connections.Endpoint.DefaultPort) => new(InsideAddress, port);

    private static void RequireTool(string tool, string package)
    {
        bool found = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(':', StringSplitOptions.RemoveEmptyEntries)
            .Append("/usr/sbin").Append("/sbin")
            .Any(dir => File.Exists(Path.Combine(dir, tool)));
        if (!found)
        {
            throw new InvalidOperationException(
                $"'{tool}' is not installed: this test needs it (package {package}) and root to build a packet-dropping network namespace. Install it; the test must not be skipped.");
        }
    }

    private static void Run(string file, params string[] args)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"Could not start {file}");
        string stderr = process.StandardError.ReadToEnd();
        process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"'{file} {string.Join(' ', args)}' failed with exit code {process.ExitCode}: {stderr.Trim()} (this test needs root, iproute2 and iptables)");
        }
    }

    public void Dispose()
    {
        var problems = new List<string>();
        if (_vethCreated)
        {
            _vethCreated = false;
            TryRun(problems, "ip", "link", "del", _hostVeth);
        }

        if (_namespaceCreated)
        {
            _namespaceCreated = false;
            TryRun(problems, "ip", "netns", "del", _namespace);
        }

        if (problems.Count > 0)
        {
            throw new InvalidOperationException("Cleanup failed: " + string.Join("; ", problems));
        }
    }

    private static void TryRun(List<string> problems, string file, params string[] args)
    {
        try
        {
            Run(file, args);
        }
        catch (InvalidOperationException ex)
        {
            problems.Add(ex.Message);
        }
    }
}
