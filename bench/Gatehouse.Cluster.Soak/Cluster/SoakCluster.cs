using System.Diagnostics;
using System.Globalization;
using Gatehouse.Bench.Processes;
using Gatehouse.Cluster.Soak.Network;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;

namespace Gatehouse.Cluster.Soak.Cluster;

/// <summary>
/// The gateways under test: member i (1-based) runs in namespace i at 10.X.Y.i:7340 with its own
/// state directory (its identity is made before its first start, so every fingerprint is known up
/// front and a restart is the same member). Member 1 starts alone; each other member is started
/// with <c>--join</c> through member 1 and admitted by one <c>gatehouse authorize FP --role gateway</c>
/// run against member 1's state directory (the grant spreads). The soak's admin (to ask every member
/// for <c>members</c>) and service (for route changes) are authorized on member 1 the same way.
/// </summary>
internal sealed class SoakCluster : IAsyncDisposable
{
    public const int Port = 7340;

    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(90);
    private readonly string _cliDll;
    private readonly Action<string> _say;
    private readonly GatewayProcess?[] _processes;
    private readonly MembersClient[] _clients;
    private readonly List<int> _pids = [];
    private int _cleaned;

    private SoakCluster(int count, string cliDll, string directory, SoakNetwork network, Action<string> say)
    {
        _cliDll = cliDll;
        _say = say;
        Directory = directory;
        Network = network;
        Count = count;
        Admin = PeerIdentity.CreateEphemeral("gatehouse-soak-admin");
        Service = PeerIdentity.CreateEphemeral("gatehouse-soak-service");
        Fingerprints = new string[count + 1];
        _processes = new GatewayProcess?[count + 1];
        _clients = new MembersClient[count + 1];
        for (int i = 1; i <= count; i++)
        {
            System.IO.Directory.CreateDirectory(ConfigDir(i));
            using (var identity = PeerIdentity.LoadOrCreate(StateDir(i), $"gatehouse-soak-gw{i}", out _))
            {
                Fingerprints[i] = identity.Fingerprint.ToString();
            }

            _clients[i] = new MembersClient(Endpoint(i), Fingerprint.Parse(Fingerprints[i]), Admin);
        }
    }

    /// <summary>The soak's one clock: every output line, kill and signal is stamped with it.</summary>
    public Stopwatch Clock { get; } = Stopwatch.StartNew();

    public double Now => Clock.Elapsed.TotalSeconds;

    public EventLog Events { get; } = new();

    public int Count { get; }

    /// <summary>The temporary directory (state and config dirs, one log per member).</summary>
    public string Directory { get; }

    public SoakNetwork Network { get; }

    /// <summary>Member i's fingerprint (index 0 unused).</summary>
    public string[] Fingerprints { get; }

    public PeerIdentity Admin { get; }

    public PeerIdentity Service { get; }

    /// <summary>Every gateway PID this run started.</summary>
    public IReadOnlyList<int> Pids
    {
        get
        {
            lock (_pids)
            {
                return [.. _pids];
            }
        }
    }

    public IEnumerable<int> Members => Enumerable.Range(1, Count);

    public string StateDir(int i) => Path.Combine(Directory, $"gw{i}", "state");

    private string ConfigDir(int i) => Path.Combine(Directory, $"gw{i}", "config");

    public Endpoint Endpoint(int i) => new(Network.Address(i), Port);

    /// <summary>The member whose id is <paramref name="fingerprint"/>, or 0.</summary>
    public int IndexOf(string fingerprint) => Array.IndexOf(Fingerprints, fingerprint) is > 0 and int i ? i : 0;

    public GatewayProcess? Process(int i) => _processes[i];

    public static SoakCluster Create(int count, string? cliDll, SoakNetwork network, Action<string> say)
    {
        string dll = cliDll ?? typeof(SoakCluster).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "GatehouseCliDll").Value!;
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException($"the gatehouse CLI is not built at {dll} (dotnet build src/Gatehouse.Cli, or pass --gatehouse PATH/gatehouse.dll)");
        }

        string dir = System.IO.Directory.CreateTempSubdirectory("gatehouse-soak-").FullName;
        return new SoakCluster(count, dll, dir, network, say);
    }

    /// <summary>Member 1 alone, the grants on it, then every other member joining through it; waits until all see all alive.</summary>
    public async Task<double> FormAsync(TimeSpan timeout, CancellationToken cancel)
    {
        double t0 = Now;
        Start(1, []);
        await _processes[1]!.WaitReadyAsync(ReadyTimeout, cancel);
        await AuthorizeAsync(Admin.Fingerprint.ToString(), "soak-admin", "admin", cancel);
        await AuthorizeAsync(Service.Fingerprint.ToString(), "soak-service", "service", cancel);
        foreach (int i in Members.Skip(1))
        {
            await AuthorizeAsync(Fingerprints[i], $"gw{i}", "gateway", cancel);
        }

        foreach (int i in Members.Skip(1))
        {
            Start(i, [1]);
        }

        foreach (int i in Members.Skip(1))
        {
            await _processes[i]!.WaitReadyAsync(ReadyTimeout, cancel);
        }

        if (await UntilAllAliveAsync(timeout, cancel) is null)
        {
            throw new TimeoutException($"the {Count} members did not all see each other alive within {timeout.TotalSeconds:0} s of forming; views: {await DescribeViewsAsync(cancel)}");
        }

        return Now - t0;
    }

    /// <summary>Runs <c>gatehouse authorize</c> against member 1's state directory.</summary>
    private async Task AuthorizeAsync(string fingerprint, string name, string role, CancellationToken cancel)
    {
        var (exit, stdout, stderr) = await DotnetExec.RunAsync(_cliDll, ["authorize", fingerprint, "--name", name, "--role", role, "--state-dir", StateDir(1)], TimeSpan.FromSeconds(60));
        cancel.ThrowIfCancellationRequested();
        if (exit != 0)
        {
            throw new InvalidOperationException($"gatehouse authorize {name} --role {role} failed ({exit}): {stderr.Trim()} {stdout.Trim()}");
        }
    }

    /// <summary>Starts member <paramref name="i"/> (same state dir and address), joining through <paramref name="seeds"/>.</summary>
    public void Start(int i, IEnumerable<int> seeds)
    {
        var args = new List<string> { "--listen", Endpoint(i).ToString(), "--state-dir", StateDir(i) };
        foreach (int s in seeds)
        {
            args.Add("--join");
            args.Add($"{Endpoint(s)}={Fingerprints[s]}");
        }

        _processes[i]?.Dispose();
        var p = GatewayProcess.Start(i, Fingerprints[i], Network.Namespace(i), _cliDll, args, ConfigDir(i), Path.Combine(Directory, $"gw{i}.log"), Clock, Events);
        _processes[i] = p;
        lock (_pids)
        {
            _pids.Add(p.Pid);
        }
    }

    /// <summary>Seeds for a restart of member i: two other members (the first ones).</summary>
    public IEnumerable<int> SeedsFor(int i) => Members.Where(m => m != i).Take(2);

    /// <summary>SIGKILLs member <paramref name="i"/> and returns the clock reading just before the signal.</summary>
    public double Kill(int i)
    {
        var p = _processes[i] ?? throw new InvalidOperationException($"gateway {i} is not running");
        double at = Now;
        p.Kill(TimeSpan.FromSeconds(10));
        return at;
    }

    /// <summary>
    /// Restarts every member whose process ended by itself (a crash), and says so; returns what it
    /// found, for the report.
    /// </summary>
    public async Task<List<string>> ReviveCrashedAsync(CancellationToken cancel)
    {
        var crashes = new List<string>();
        foreach (int i in Members)
        {
            if (_processes[i] is { ExitedUnexpectedly: true } p)
            {
                string what = $"gateway {i} (pid {p.Pid}) exited by itself:\n{p.Tail}";
                crashes.Add(what);
                _say("CRASH: " + what);
                Start(i, SeedsFor(i));
                await _processes[i]!.WaitReadyAsync(ReadyTimeout, cancel);
            }
        }

        return crashes;
    }

    /// <summary>Every member's view (null where the call failed).</summary>
    public async Task<List<MemberView>?[]> ViewsAsync(CancellationToken cancel)
    {
        var tasks = Members.Select(i => _clients[i].TryGetAsync(cancel)).ToArray();
        var views = await Task.WhenAll(tasks);
        return [null, .. views];
    }

    /// <summary>Closes the admin connections to every member (they keep no keepalive traffic going while idle).</summary>
    public Task CloseViewConnectionsAsync() => Task.WhenAll(Members.Select(i => _clients[i].CloseAsync()));

    public Task<List<MemberView>?> ViewAsync(int i, CancellationToken cancel) => _clients[i].TryGetAsync(cancel);

    /// <summary>True when <paramref name="view"/> lists every member alive.</summary>
    public bool AllAlive(List<MemberView>? view) =>
        view is not null && Members.All(m => view.Any(v => v.Fingerprint == Fingerprints[m] && v.State == "alive"));

    /// <summary>Polls until every member lists every member alive; the seconds it took, or null at the timeout.</summary>
    public async Task<double?> UntilAllAliveAsync(TimeSpan timeout, CancellationToken cancel)
    {
        double t0 = Now;
        while (Now - t0 < timeout.TotalSeconds)
        {
            var views = await ViewsAsync(cancel);
            if (Members.All(i => AllAlive(views[i])))
            {
                return Now - t0;
            }

            await Task.Delay(250, cancel);
        }

        return null;
    }

    /// <summary>For error messages: each member's count of alive members as it sees them.</summary>
    public async Task<string> DescribeViewsAsync(CancellationToken cancel)
    {
        var views = await ViewsAsync(cancel);
        return string.Join(", ", Members.Select(i => views[i] is { } v
            ? string.Create(CultureInfo.InvariantCulture, $"gw{i}: {v.Count(m => m.State == "alive")} alive of {v.Count}")
            : $"gw{i}: no answer"));
    }

    /// <summary>SIGKILLs every gateway (by PID) and waits for each; idempotent.</summary>
    public void KillAll()
    {
        for (int i = 1; i <= Count; i++)
        {
            if (_processes[i] is { } p)
            {
                _processes[i] = null;
                p.Dispose();
            }
        }
    }

    /// <summary>The PIDs this run started that still exist (after cleanup: none).</summary>
    public IReadOnlyList<int> LivePids() => [.. Pids.Where(pid => File.Exists($"/proc/{pid}/stat") && !IsZombie(pid))];

    private static bool IsZombie(int pid)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{pid}/stat");
            return stat[(stat.LastIndexOf(')') + 2)..].StartsWith('Z');
        }
        catch (IOException)
        {
            return true;
        }
    }

    /// <summary>Stops every gateway and removes the network; keeps or deletes the directory. Runs once.</summary>
    public void Cleanup(bool keepDirectory)
    {
        if (Interlocked.Exchange(ref _cleaned, 1) != 0)
        {
            return;
        }

        KillAll();
        try
        {
            Network.Dispose();
        }
        catch (InvalidOperationException ex)
        {
            _say(ex.Message);
        }

        if (keepDirectory)
        {
            _say($"kept {Directory}");
        }
        else
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
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _clients.Skip(1))
        {
            await c.DisposeAsync();
        }

        Admin.Dispose();
        Service.Dispose();
    }
}
