using System.Diagnostics;
using System.Globalization;
using System.Text;

namespace Gatehouse.Bench.Processes;

/// <summary>
/// A real etcd cluster of a few members on loopback (Debian's <c>etcd-server</c>), for the etcd
/// registry's tests and benchmark: ports from <see cref="FreePorts"/>, data directories under one
/// temporary directory, members killed and restarted one by one. Only the processes it started are
/// ever signalled (by their PID); disposing kills them all and deletes the directory.
/// </summary>
public sealed class EtcdCluster : IAsyncDisposable
{
    private readonly Member[] _members;
    private readonly string _dir;

    private EtcdCluster(string dir, Member[] members)
    {
        _dir = dir;
        _members = members;
    }

    /// <summary>The members' client URLs (<c>http://127.0.0.1:PORT</c>), in member order.</summary>
    public IReadOnlyList<string> ClientUrls => [.. _members.Select(m => m.ClientUrl)];

    /// <summary>How many members.</summary>
    public int Count => _members.Length;

    /// <summary>True while member <paramref name="index"/>'s process runs.</summary>
    public bool IsRunning(int index) => _members[index].Process is { HasExited: false };

    /// <summary>With TLS: the CA (PEM) that signed the members' certificate; null without.</summary>
    public string? CaFile { get; private set; }

    /// <summary>With TLS: a client certificate etcd accepts (<c>--client-cert-auth</c>) and its key.</summary>
    public (string Cert, string Key)? ClientCertificate { get; private set; }

    /// <summary>The etcd user etcdctl runs as (<c>USER:PASSWORD</c>), once auth is on; null before.</summary>
    public string? EtcdctlUser { get; set; }

    /// <summary>Starts <paramref name="members"/> members and waits until the cluster answers.</summary>
    /// <param name="members">How many members.</param>
    /// <param name="timeout">How long the cluster may take to become healthy (30 s).</param>
    /// <param name="tls">Clients must use TLS with a client certificate (a CA, a server and a client certificate are made with openssl; peers talk plain HTTP on loopback).</param>
    /// <exception cref="InvalidOperationException">etcd is not installed, or the cluster did not become healthy; the message says which and shows the output.</exception>
    public static async Task<EtcdCluster> StartAsync(int members = 3, TimeSpan? timeout = null, bool tls = false)
    {
        if (Which("etcd") is null || Which("etcdctl") is null)
        {
            throw new InvalidOperationException("etcd and etcdctl are needed (Debian: apt-get install etcd-server etcd-client; test.sh installs them)");
        }

        string dir = Directory.CreateTempSubdirectory("gatehouse-etcd-").FullName;
        string token = "gh-" + Guid.NewGuid().ToString("N")[..12];
        var list = Enumerable.Range(0, members).Select(i => new Member($"e{i}", FreePorts.Next(), FreePorts.Next(), Path.Combine(dir, $"e{i}"), tls)).ToArray();
        string[] tlsArgs = [];
        (string Cert, string Key)? client = null;
        if (tls)
        {
            await MakeCertificatesAsync(dir).ConfigureAwait(false);
            tlsArgs = ["--cert-file", Path.Combine(dir, "server.pem"), "--key-file", Path.Combine(dir, "server.key"), "--trusted-ca-file", Path.Combine(dir, "ca.pem"), "--client-cert-auth"];
            client = (Path.Combine(dir, "client.pem"), Path.Combine(dir, "client.key"));
        }

        string initial = string.Join(",", list.Select(m => $"{m.Name}={m.PeerUrl}"));
        foreach (var m in list)
        {
            m.Args =
            [
                "--name", m.Name, "--data-dir", m.DataDir,
                "--listen-client-urls", m.ClientUrl, "--advertise-client-urls", m.ClientUrl,
                "--listen-peer-urls", m.PeerUrl, "--initial-advertise-peer-urls", m.PeerUrl,
                "--initial-cluster", initial, "--initial-cluster-token", token, "--initial-cluster-state", "new",
                "--logger", "zap", "--log-outputs", "stderr", "--log-level", "warn",
                .. tlsArgs,
            ];
        }

        var cluster = new EtcdCluster(dir, list) { CaFile = tls ? Path.Combine(dir, "ca.pem") : null, ClientCertificate = client };
        try
        {
            foreach (var m in list)
            {
                m.Launch();
            }

            await cluster.WaitHealthyAsync(timeout ?? TimeSpan.FromSeconds(30)).ConfigureAwait(false);
            return cluster;
        }
        catch
        {
            await cluster.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    /// <summary>Waits until every running member reports healthy (a leader, a quorum).</summary>
    /// <exception cref="InvalidOperationException">Not healthy within <paramref name="timeout"/>.</exception>
    public async Task WaitHealthyAsync(TimeSpan timeout)
    {
        var sw = Stopwatch.StartNew();
        string last = "";
        while (sw.Elapsed < timeout)
        {
            var running = _members.Where(m => m.Process is { HasExited: false }).ToList();
            var (code, output) = await EtcdctlAsync(["endpoint", "health", "--command-timeout=1s", "--endpoints", string.Join(",", running.Select(m => m.ClientUrl))]).ConfigureAwait(false);
            if (code == 0 && running.Count > 0)
            {
                return;
            }

            last = output;
            await Task.Delay(200).ConfigureAwait(false);
        }

        throw new InvalidOperationException($"etcd not healthy after {timeout}: {last}\n{string.Join("\n", _members.Select(m => m.Name + ": " + m.Tail))}");
    }

    /// <summary>SIGKILLs member <paramref name="index"/> (its data stays; <see cref="Restart"/> brings it back).</summary>
    public void Kill(int index) => _members[index].Kill();

    /// <summary>Starts member <paramref name="index"/> again on its data directory and ports.</summary>
    public void Restart(int index)
    {
        if (IsRunning(index))
        {
            throw new InvalidOperationException($"etcd member {index} is running");
        }

        _members[index].Launch();
    }

    /// <summary>The index of the current leader, or -1.</summary>
    public async Task<int> LeaderAsync()
    {
        for (int i = 0; i < _members.Length; i++)
        {
            if (!IsRunning(i))
            {
                continue;
            }

            var (code, output) = await EtcdctlAsync(["endpoint", "status", "--command-timeout=1s", "--endpoints", _members[i].ClientUrl, "-w", "fields"]).ConfigureAwait(false);
            if (code == 0 && output.Contains("\"Leader\" :", StringComparison.Ordinal))
            {
                string Field(string name) => output.Split('\n').First(l => l.StartsWith($"\"{name}\" :", StringComparison.Ordinal)).Split(':', 2)[1].Trim();
                if (Field("Leader") == Field("MemberID"))
                {
                    return i;
                }
            }
        }

        return -1;
    }

    /// <summary>Runs etcdctl (API v3) against the running members with <paramref name="args"/>; returns its exit code and output.</summary>
    public async Task<(int Code, string Output)> EtcdctlAsync(IReadOnlyList<string> args)
    {
        var psi = new ProcessStartInfo("etcdctl") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.Environment["ETCDCTL_API"] = "3";
        if (CaFile is not null && ClientCertificate is { } cc)
        {
            foreach (string a in (string[])["--cacert", CaFile, "--cert", cc.Cert, "--key", cc.Key])
            {
                psi.ArgumentList.Add(a);
            }
        }

        if (EtcdctlUser is not null)
        {
            psi.ArgumentList.Add("--user");
            psi.ArgumentList.Add(EtcdctlUser);
        }

        if (!args.Contains("--endpoints"))
        {
            psi.ArgumentList.Add("--endpoints");
            psi.ArgumentList.Add(string.Join(",", _members.Where(m => m.Process is { HasExited: false }).Select(m => m.ClientUrl).DefaultIfEmpty(_members[0].ClientUrl)));
        }

        foreach (string a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var p = Process.Start(psi) ?? throw new InvalidOperationException("etcdctl did not start");
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        try
        {
            await p.WaitForExitAsync(limit.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            throw new InvalidOperationException("etcdctl " + string.Join(' ', args) + " did not finish in 20 s");
        }

        return (p.ExitCode, await stdout.ConfigureAwait(false) + await stderr.ConfigureAwait(false));
    }

    /// <summary>The cluster's current revision (etcdctl endpoint status).</summary>
    public async Task<long> RevisionAsync()
    {
        var (code, output) = await EtcdctlAsync(["endpoint", "status", "-w", "fields", "--command-timeout=2s"]).ConfigureAwait(false);
        var line = output.Split('\n').FirstOrDefault(l => l.StartsWith("\"Revision\" :", StringComparison.Ordinal));
        if (code != 0 || line is null)
        {
            throw new InvalidOperationException("etcdctl endpoint status: " + output);
        }

        return long.Parse(line.Split(':', 2)[1].Trim(), CultureInfo.InvariantCulture);
    }

    /// <summary>Kills every member this cluster started (by PID) and deletes its directory.</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (var m in _members)
        {
            m.Kill();
        }

        await Task.Yield();
        try
        {
            Directory.Delete(_dir, recursive: true);
        }
        catch (IOException)
        {
            // A member's files may still be closing; the directory is under the temporary directory.
        }
    }

    /// <summary>A CA, a server certificate for 127.0.0.1 and a client certificate (P-256, one day), made with openssl in <paramref name="dir"/>.</summary>
    private static async Task MakeCertificatesAsync(string dir)
    {
        await File.WriteAllTextAsync(Path.Combine(dir, "server.ext"), "subjectAltName=IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n").ConfigureAwait(false);
        await File.WriteAllTextAsync(Path.Combine(dir, "client.ext"), "extendedKeyUsage=clientAuth\n").ConfigureAwait(false);
        string[][] steps =
        [
            ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "ca.key", "-out", "ca.pem", "-days", "1", "-subj", "/CN=gatehouse-test-etcd-ca"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=etcd"],
            ["x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "server.pem", "-days", "1", "-extfile", "server.ext"],
            ["req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", "client.key", "-out", "client.csr", "-subj", "/CN=gatehouse"],
            ["x509", "-req", "-in", "client.csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial", "-out", "client.pem", "-days", "1", "-extfile", "client.ext"],
        ];
        foreach (var step in steps)
        {
            var psi = new ProcessStartInfo("openssl") { WorkingDirectory = dir, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in step)
            {
                psi.ArgumentList.Add(a);
            }

            using var p = Process.Start(psi) ?? throw new InvalidOperationException("openssl did not start");
            string output = await p.StandardError.ReadToEndAsync().ConfigureAwait(false) + await p.StandardOutput.ReadToEndAsync().ConfigureAwait(false);
            await p.WaitForExitAsync().ConfigureAwait(false);
            if (p.ExitCode != 0)
            {
                throw new InvalidOperationException($"openssl {string.Join(' ', step)}: {output}");
            }
        }
    }

    private static string? Which(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);

    private sealed class Member(string name, int clientPort, int peerPort, string dataDir, bool tls)
    {
        private readonly Queue<string> _tail = new();

        public string Name { get; } = name;

        public string ClientUrl { get; } = $"{(tls ? "https" : "http")}://127.0.0.1:{clientPort.ToString(CultureInfo.InvariantCulture)}";

        public string PeerUrl { get; } = $"http://127.0.0.1:{peerPort.ToString(CultureInfo.InvariantCulture)}";

        public string DataDir { get; } = dataDir;

        public string[] Args { get; set; } = [];

        public Process? Process { get; private set; }

        public string Tail
        {
            get
            {
                lock (_tail)
                {
                    return string.Join("\n", _tail);
                }
            }
        }

        public void Launch()
        {
            var psi = new ProcessStartInfo("etcd") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
            foreach (string a in Args)
            {
                psi.ArgumentList.Add(a);
            }

            var p = new Process { StartInfo = psi };
            p.OutputDataReceived += (_, e) => Keep(e.Data);
            p.ErrorDataReceived += (_, e) => Keep(e.Data);
            p.Start();
            p.BeginOutputReadLine();
            p.BeginErrorReadLine();
            Process = p;
        }

        private void Keep(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (_tail)
            {
                _tail.Enqueue(line.Length > 400 ? line[..400] : line);
                while (_tail.Count > 20)
                {
                    _tail.Dequeue();
                }
            }
        }

        public void Kill()
        {
            if (Process is { } p)
            {
                try
                {
                    if (!p.HasExited)
                    {
                        p.Kill(); // SIGKILL, this PID only
                        p.WaitForExit(5000);
                    }
                }
                catch (InvalidOperationException)
                {
                    // It exited meanwhile.
                }

                p.Dispose();
                Process = null;
            }
        }
    }
}
