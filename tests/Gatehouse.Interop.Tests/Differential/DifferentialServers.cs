using System.Diagnostics;
using System.Text.Json;
using Gatehouse.Commands.Tests;
using Gatehouse.Functional.Tests;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Interop.Tests.Differential;

/// <summary>One side's answer to a command, as python3-pyremctl saw it.</summary>
/// <param name="Status">The exit status, or null when the answer was an error.</param>
/// <param name="Error">The remctl error code and message, or null.</param>
/// <param name="Stdout">Length, SHA-256 and start of standard output.</param>
/// <param name="Stderr">Length, SHA-256 and start of standard error.</param>
public sealed record Reply(int? Status, ReplyError? Error, StreamSummary Stdout, StreamSummary Stderr);

/// <summary>A remctl error.</summary>
public sealed record ReplyError(int Code, string Message);

/// <summary>A stream's bytes, summarized.</summary>
public sealed record StreamSummary(long Length, string Sha256, string Head);

/// <summary>
/// The two servers of the differential suite, serving the same remctl.conf from the same directory:
/// a stock remctld 3.18 (the reference; Debian remctl-server, started here on the shared realm's
/// KDC and host keytab) and an in-process Gatehouse gateway's remctl port. Also made here, and
/// removed at dispose: a system user for <c>user=</c>, a local user <c>alice</c> (unless she
/// exists) in a fresh group for <c>localgroup:</c>, and bob's ticket cache. Started by the first
/// test that needs it (class fixtures cannot receive the collection's realm in xunit 2).
/// </summary>
public sealed class DifferentialServers : IAsyncLifetime
{
    private readonly SemaphoreSlim _gate = new(1, 1);
    private readonly List<Action> _cleanup = [];
    private Process? _remctld;
    private TestGateway? _gateway;
    private KerberosRealm? _realm;
    private ThrowawayUser? _user;
    private Exception? _startFailure;
    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _remctldOutput = new();

    public string Dir { get; } = Directory.CreateTempSubdirectory("gatehouse-differential-").FullName;

    public int RemctldPort { get; private set; }

    public int GatehousePort { get; private set; }

    public string BobCache => "FILE:" + Path.Combine(Dir, "bob.ccache");

    internal ThrowawayUser User => _user!;

    public string LocalGroup { get; private set; } = "";

    public async Task StartAsync(KerberosRealm realm)
    {
        await _gate.WaitAsync();
        try
        {
            if (_startFailure is not null)
            {
                throw new InvalidOperationException("the differential servers failed to start", _startFailure);
            }

            if (_realm is not null)
            {
                return;
            }

            _realm = realm;
            try
            {
                await StartCoreAsync(realm);
            }
            catch (Exception e)
            {
                _startFailure = e;
                throw;
            }
        }
        finally
        {
            _gate.Release();
        }
    }

    private async Task StartCoreAsync(KerberosRealm realm)
    {
        {
            File.SetUnixFileMode(Dir, (UnixFileMode)Convert.ToInt32("755", 8));
            _user = new ThrowawayUser();
            LocalGroup = "gh-lg-" + Guid.NewGuid().ToString("N")[..8];
            Run("groupadd", "--system", LocalGroup);
            _cleanup.Add(() => Run("groupdel", LocalGroup));
            if (!Succeeds("getent", "passwd", "alice"))
            {
                Run("useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", "alice");
                _cleanup.Insert(0, () => Run("userdel", "alice"));
            }

            Run("gpasswd", "--add", "alice", LocalGroup);
            string conf = DifferentialConfiguration.Write(Dir, _user.Name, LocalGroup);
            await realm.KinitAsync(KerberosRealm.OtherPrincipal, Path.Combine(realm.Dir, "bob.keytab"), BobCache);

            RemctldPort = KerberosRealm.FreePort();
            _remctld = Process.Start(ProcessRunner.StartInfo(
                ProcessRunner.Require("remctld", "remctl-server"),
                ["-F", "-m", "-S", "-b", "127.0.0.1", "-p", RemctldPort.ToString(), "-f", conf, "-k", realm.HostKeytab],
                realm.Environment))!;
            _remctld.OutputDataReceived += (_, e) => { if (e.Data is not null) { _remctldOutput.Enqueue(e.Data); } };
            _remctld.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _remctldOutput.Enqueue(e.Data); } };
            _remctld.BeginOutputReadLine();
            _remctld.BeginErrorReadLine();
            _remctld.StandardInput.Close();

            _gateway = await TestGateway.StartAsync(o => o with
            {
                CommandsFile = conf,
                RemctlListen = "127.0.0.1:0",
                RemctlKeytab = realm.HostKeytab,
            });
            // The cases provoke these on purpose: ACL entries that are errors, programs that cannot run.
            _gateway.ExpectErrors(3103).ExpectErrors(3104);
            GatehousePort = _gateway.Server.RemctlEndpoint!.Port;
            await WaitForPortAsync(RemctldPort, _remctld, _remctldOutput);
        }
    }

    /// <summary>Runs one case on both servers at once.</summary>
    public async Task<(IReadOnlyList<Reply> Remctld, IReadOnlyList<Reply> Gatehouse)> RunBothAsync(DifferentialCase c)
    {
        string spec = Path.Combine(Dir, $"spec-{Guid.NewGuid():N}.json");
        object[][] commands = c.Then is null ? [c.Arguments] : [c.Arguments, c.Then];
        await File.WriteAllTextAsync(spec, JsonSerializer.Serialize(commands));
        try
        {
            var remctld = RunAsync(RemctldPort, spec, c.AsBob);
            var gatehouse = RunAsync(GatehousePort, spec, c.AsBob);
            return (await remctld, await gatehouse);
        }
        finally
        {
            File.Delete(spec);
        }
    }

    private async Task<IReadOnlyList<Reply>> RunAsync(int port, string spec, bool asBob)
    {
        var env = new Dictionary<string, string>(_realm!.Environment);
        if (asBob)
        {
            env["KRB5CCNAME"] = BobCache;
        }

        string script = Path.Combine(AppContext.BaseDirectory, "pyremctl_differential.py");
        var result = await ProcessRunner.RunAsync("/usr/bin/python3", [script, port.ToString(), spec], env, TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, $"pyremctl on port {port} failed: {result}");
        using var doc = JsonDocument.Parse(result.Stdout);
        return [.. doc.RootElement.EnumerateArray().Select(ParseReply)];
    }

    private static Reply ParseReply(JsonElement root)
    {
        ReplyError? error = root.GetProperty("error").ValueKind == JsonValueKind.Array
            ? new ReplyError(root.GetProperty("error")[0].GetInt32(), root.GetProperty("error")[1].GetString()!)
            : null;
        int? status = root.GetProperty("status").ValueKind == JsonValueKind.Number ? root.GetProperty("status").GetInt32() : null;
        return new Reply(status, error, Summary(root.GetProperty("stdout")), Summary(root.GetProperty("stderr")));
    }

    private static StreamSummary Summary(JsonElement e) => new(e.GetProperty("length").GetInt64(), e.GetProperty("sha256").GetString()!, e.GetProperty("head").GetString()!);

    /// <summary>Nothing: the servers start with the first case (<see cref="StartAsync"/>).</summary>
    public Task InitializeAsync() => Task.CompletedTask;

    /// <summary>
    /// Stops remctld and the gateway, removes the throwaway user and group. (xUnit 2 disposes a class
    /// fixture through IAsyncLifetime or IDisposable only: as IAsyncDisposable this never ran, and
    /// every run left a remctld process and the user behind.)
    /// </summary>
    public async Task DisposeAsync()
    {
        ProcessRunner.Stop(_remctld);
        if (_gateway is not null)
        {
            await _gateway.DisposeAsync();
        }

        foreach (var step in _cleanup)
        {
            step();
        }

        _user?.Dispose();
        Directory.Delete(Dir, recursive: true);
    }

    private static async Task WaitForPortAsync(int port, Process process, IEnumerable<string> output)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (true)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"remctld exited with {process.ExitCode}:\n{string.Join('\n', output)}");
            }

            using var client = new System.Net.Sockets.TcpClient();
            try
            {
                await client.ConnectAsync(System.Net.IPAddress.Loopback, port);
                return;
            }
            catch (System.Net.Sockets.SocketException) when (DateTime.UtcNow < deadline)
            {
                await Task.Delay(50); // remctld is not listening yet
            }
        }
    }

    private static bool Succeeds(string file, params string[] args)
    {
        using var p = Process.Start(ProcessRunner.StartInfo(file, args, new Dictionary<string, string>()))!;
        p.StandardInput.Close();
        p.WaitForExit();
        return p.ExitCode == 0;
    }

    private static void Run(string file, params string[] args)
    {
        using var p = Process.Start(ProcessRunner.StartInfo(file, args, new Dictionary<string, string>()))!;
        p.StandardInput.Close();
        string err = p.StandardError.ReadToEnd();
        p.WaitForExit();
        if (p.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {err}");
        }
    }
}
