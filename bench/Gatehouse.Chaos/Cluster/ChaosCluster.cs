using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Reflection;
using Gatehouse.Bench.Processes;
using Gatehouse.Chaos.Roles;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Chaos.Cluster;

/// <summary>
/// The processes under test: one real <c>gatehouse gateway</c> (the CLI, on a fixed loopback port
/// and state directory so that a restarted gateway is the same gateway) serving a remctl.conf exec
/// command, and N chaos service processes attached to it. Every process is started, killed and
/// restarted here, by PID. All files live in a private temporary directory.
/// </summary>
internal sealed class ChaosCluster : IAsyncDisposable
{
    /// <summary>The remctl.conf command that runs the exec script (default domain).</summary>
    public const string ExecCommand = "chaos";

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);
    private readonly string _cliDll;
    private readonly ServiceSlot[] _slots;
    private readonly Action<string> _say;
    private ChildProcess? _gateway;

    private ChaosCluster(string directory, string cliDll, int services, Action<string> say)
    {
        Directory = directory;
        _cliDll = cliDll;
        _say = say;
        StateDirectory = Sub("gateway-state");
        Port = FreePort();
        Endpoint = new Endpoint("127.0.0.1", Port);
        ExecLog = Path.Combine(directory, "exec.log");
        _slots = Enumerable.Range(0, services).Select(i => new ServiceSlot(i, Sub($"service-{i}"), Path.Combine(directory, $"service-{i}.log"))).ToArray();
    }

    /// <summary>The private temporary directory.</summary>
    public string Directory { get; }

    public string StateDirectory { get; }

    public int Port { get; }

    public Endpoint Endpoint { get; }

    /// <summary>The gateway's fingerprint (its identity is made before the first start, so it is known up front).</summary>
    public Fingerprint Fingerprint { get; private set; }

    /// <summary>Where the exec command records each execution.</summary>
    public string ExecLog { get; }

    /// <summary>Every execution log (services and exec), for the audit.</summary>
    public IEnumerable<string> ExecutionLogs => _slots.Select(s => s.LogPath).Append(ExecLog);

    /// <summary>The current gateway's PID, or 0 while none runs.</summary>
    public int GatewayPid => _gateway is { HasExited: false } g ? g.Pid : 0;

    public int ServiceCount => _slots.Length;

    /// <summary>Processes that exited without being told to (a crash): role and last output lines.</summary>
    public List<string> Crashes { get; } = [];

    /// <summary>
    /// Prepares the directory: the gateway's identity and authorized peers (the client, as client
    /// of the <c>chaos</c> and default domains and admin, to read the gateway's view of its services; each service, as service of <c>chaos</c>), the exec
    /// script and the remctl.conf that serves it.
    /// </summary>
    public static ChaosCluster Create(string? cliDll, int services, PeerIdentity client, Action<string> say)
    {
        string dll = cliDll ?? typeof(ChaosCluster).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "GatehouseCliDll").Value!;
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"the gatehouse CLI is not built at {dll} (dotnet build src/Gatehouse.Cli, or pass --gatehouse PATH)");
        }

        string dir = System.IO.Directory.CreateTempSubdirectory("gatehouse-chaos-").FullName;
        var cluster = new ChaosCluster(dir, dll, services, say);
        using (var gateway = PeerIdentity.LoadOrCreate(cluster.StateDirectory, "gatehouse-gateway chaos", out _))
        {
            cluster.Fingerprint = gateway.Fingerprint;
        }

        string authorized = Path.Combine(cluster.StateDirectory, "authorized_peers");
        AuthorizedPeers.Upsert(authorized, new PeerGrant(client.Fingerprint, "chaos-client", PeerRoles.Client | PeerRoles.Admin, [ChaosServiceRole.Domain, "default"]));
        foreach (var slot in cluster._slots)
        {
            using var identity = PeerIdentity.LoadOrCreate(slot.IdentityDirectory, "chaos-service", out _);
            AuthorizedPeers.Upsert(authorized, new PeerGrant(identity.Fingerprint, $"chaos-service-{slot.Index}", PeerRoles.Service, [ChaosServiceRole.Domain]));
        }

        // The exec command: append the id to the exec log (O_APPEND: one small write is atomic), then print it.
        string script = Path.Combine(dir, "chaos-exec.sh");
        File.WriteAllText(script, $"#!/bin/sh\nprintf '%s\\n' \"$1\" >> '{cluster.ExecLog}'\nprintf '%s\\n' \"$1\"\n");
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("the chaos soak runs on Linux (it reads /proc)");
        }

        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        File.WriteAllText(Path.Combine(dir, "remctl.conf"), $"{ExecCommand} ALL {script} ANYUSER\n");
        return cluster;
    }

    /// <summary>Starts the gateway and every service and waits until all are attached.</summary>
    public async Task StartAsync()
    {
        await StartGatewayAsync();
        foreach (var slot in _slots)
        {
            StartService(slot);
        }

        foreach (var slot in _slots)
        {
            await slot.Process!.WaitReadyAsync(ReadyTimeout);
        }
    }

    /// <summary>
    /// Restarts the gateway on the same port and state directory: SIGKILL, or SIGTERM (it drains
    /// open requests, then exits). Waits until the new one listens and every service reattached.
    /// Returns how long the old one took to exit.
    /// </summary>
    public async Task<TimeSpan> RestartGatewayAsync(bool kill)
    {
        var old = _gateway!;
        var readyBefore = _slots.Select(s => s.Process!.ReadyLines).ToArray();
        var started = System.Diagnostics.Stopwatch.GetTimestamp();
        if (kill)
        {
            old.KillNow(TimeSpan.FromSeconds(10));
        }
        else if (!old.TerminateNow(TimeSpan.FromSeconds(45)))
        {
            Crashes.Add($"gateway pid {old.Pid} did not exit within 45 s of SIGTERM (killed):\n{old.Tail}");
        }

        var exitTime = System.Diagnostics.Stopwatch.GetElapsedTime(started);
        if (!kill && old.ExitCode is { } code && code != 0)
        {
            Crashes.Add($"gateway pid {old.Pid} exited with {code} after SIGTERM:\n{old.Tail}");
        }

        await old.DisposeAsync();
        _gateway = null;
        await StartGatewayAsync();
        await WaitReattachedAsync(readyBefore);
        return exitTime;
    }

    /// <summary>SIGKILLs service <paramref name="index"/>, starts it again and waits until it is attached.</summary>
    public async Task KillServiceAsync(int index)
    {
        var slot = _slots[index];
        var old = slot.Process!;
        old.KillNow(TimeSpan.FromSeconds(10));
        await old.DisposeAsync();
        StartService(slot);
        await slot.Process!.WaitReadyAsync(ReadyTimeout);
    }

    /// <summary>Restarts (and records as crashes) any process that exited without being told to.</summary>
    public async Task ReviveCrashedAsync()
    {
        if (_gateway is { HasExited: true } g)
        {
            Crashes.Add($"gateway pid {g.Pid} exited by itself with {g.ExitCode}:\n{g.Tail}");
            _say($"CRASH: gateway pid {g.Pid} exited with {g.ExitCode}; restarting it");
            var readyBefore = _slots.Select(s => s.Process!.ReadyLines).ToArray();
            await g.DisposeAsync();
            _gateway = null;
            await StartGatewayAsync();
            await WaitReattachedAsync(readyBefore);
        }

        foreach (var slot in _slots)
        {
            if (slot.Process is { HasExited: true } p)
            {
                Crashes.Add($"service {slot.Index} pid {p.Pid} exited by itself with {p.ExitCode}:\n{p.Tail}");
                _say($"CRASH: service {slot.Index} pid {p.Pid} exited with {p.ExitCode}; restarting it");
                await p.DisposeAsync();
                StartService(slot);
                await slot.Process!.WaitReadyAsync(ReadyTimeout);
            }
        }
    }

    private async Task WaitReattachedAsync(int[] readyBefore)
    {
        var deadline = DateTime.UtcNow + ReadyTimeout;
        for (int i = 0; i < _slots.Length; i++)
        {
            while (_slots[i].Process!.ReadyLines <= readyBefore[i])
            {
                if (DateTime.UtcNow > deadline)
                {
                    throw new TimeoutException($"service {i} did not reattach to the restarted gateway within {ReadyTimeout.TotalSeconds:0} s:\n{_slots[i].Process!.Tail}");
                }

                await Task.Delay(20);
            }
        }
    }

    private async Task StartGatewayAsync()
    {
        // The port was just released by the old gateway; a few tries cover a slow exit.
        for (int attempt = 1; ; attempt++)
        {
            var (file, prefix) = ChildProcess.DotnetCommand(_cliDll);
            var gateway = ChildProcess.Start("gateway", file,
                [.. prefix, "gateway", "--listen", $"127.0.0.1:{Port}", "--state-dir", StateDirectory,
                 "--commands", Path.Combine(Directory, "remctl.conf"), "--log-level", "Warning"],
                readyMarker: "listening");
            try
            {
                await gateway.WaitReadyAsync(ReadyTimeout);
                _gateway = gateway;
                return;
            }
            catch (InvalidOperationException) when (attempt < 20)
            {
                // Exited before listening (address still in use): try again shortly.
                _say($"gateway start attempt {attempt} failed: {gateway.Tail.Split('\n').LastOrDefault()}");
                await gateway.DisposeAsync();
                await Task.Delay(250);
            }
        }
    }

    private void StartService(ServiceSlot slot)
    {
        slot.Process = ChildProcess.StartRole("service",
            "--gateway", Endpoint.ToString(), "--fingerprint", Fingerprint.ToString(),
            "--identity", slot.IdentityDirectory, "--log", slot.LogPath);
    }

    private string Sub(string name) => System.IO.Directory.CreateDirectory(Path.Combine(Directory, name)).FullName;

    private static int FreePort() => Gatehouse.Bench.Processes.FreePorts.Next();

    /// <summary>The PIDs of the running services.</summary>
    public IReadOnlyList<int> ServicePids => _slots.Select(s => s.Process?.Pid ?? 0).ToList();

    /// <summary>Stops every process (stdin EOF, SIGTERM, SIGKILL).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var slot in _slots)
        {
            if (slot.Process is { } p)
            {
                await p.DisposeAsync();
            }
        }

        if (_gateway is { } g)
        {
            await g.DisposeAsync();
        }
    }

    /// <summary>Removes the temporary directory.</summary>
    public void DeleteDirectory()
    {
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException ex)
        {
            _say($"could not remove {Directory}: {ex.Message}");
        }
    }

    private sealed class ServiceSlot(int index, string identityDirectory, string logPath)
    {
        public int Index { get; } = index;

        public string IdentityDirectory { get; } = identityDirectory;

        public string LogPath { get; } = logPath;

        public ChildProcess? Process { get; set; }
    }

    /// <summary>For log lines: <c>gw 1234, svc 1235 1236</c>.</summary>
    public override string ToString() =>
        $"gateway pid {GatewayPid}, services {string.Join(' ', ServicePids.Select(p => p.ToString(CultureInfo.InvariantCulture)))}";
}
