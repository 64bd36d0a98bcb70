using System.Globalization;
using System.Text.Json;
using Gatehouse.Bench.Load;
using Gatehouse.Bench.Processes;

namespace Gatehouse.Bench.Systems;

/// <summary>
/// Stock remctld (Debian remctl-server) in a throwaway Kerberos realm made by the project's
/// <c>remctl-realm.sh</c> recipe. The load generator is a separate Python process
/// (<c>remctl_load.py</c>, Debian python3-pyremctl) that runs commands one after another over one
/// kept-alive connection and reports its own CPU. remctld forks per connection and exec's per
/// command; their CPU is counted through remctld's cutime/cstime once reaped. Only the sequential
/// rows apply: one connection carries one command at a time, and remctl has no streamed call to
/// compare with 1 GiB of output without a custom program.
/// </summary>
public sealed class RemctlSystem : IBenchSystem
{
    private static readonly HashSet<string> Supported = ["seq", "c1", "mib", "true"];
    private string? _realmDir;
    private string? _script;
    private int _remctldPid;
    private Dictionary<string, string> _env = [];

    public string Id => "remctld";

    public string Title => "remctld";

    public IReadOnlyList<MeasuredProcess> Processes => [new("cl", null), new("d", _remctldPid, IncludeChildren: true)];

    public bool Supports(Scenario scenario) => Supported.Contains(scenario.Id);

    public async Task StartAsync(BenchEnvironment environment, CancellationToken cancellationToken)
    {
        _script = environment.RemctlRealmScript;
        if (_script is null || !File.Exists(_script))
        {
            throw new SystemUnavailableException($"realm recipe not found ({_script ?? "none given"})");
        }

        foreach (string tool in new[] { "remctld", "krb5kdc", "kdb5_util", "kadmin.local", "kinit", "python3" })
        {
            if (BenchEnvironment.Which(tool) is null)
            {
                throw new SystemUnavailableException($"{tool} is not installed (remctl-server, krb5-kdc, krb5-user, python3-pyremctl)");
            }
        }

        string dir = Path.Combine(environment.Directory, "remctl-realm");
        var up = ChildProcess.Start("realm-up", "/bin/bash", [_script, "up", dir], new Dictionary<string, string> { ["REMCTLD_DEBUG"] = string.Empty });
        _realmDir = dir;
        ProcessRegistry.AddCleanup(TearDown);
        await using (up)
        {
            if (await up.WaitExitAsync(TimeSpan.FromSeconds(90)) != 0)
            {
                throw new SystemUnavailableException("remctl-realm.sh up failed: " + up.Tail);
            }
        }

        _remctldPid = int.Parse((await File.ReadAllTextAsync(Path.Combine(dir, "remctld.pid"), cancellationToken)).Trim(), CultureInfo.InvariantCulture);
        foreach (string line in await File.ReadAllLinesAsync(Path.Combine(dir, "realm.env"), cancellationToken))
        {
            int eq = line.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                _env[line[..eq]] = line[(eq + 1)..];
            }
        }

        // The python binding must work before we call this peer available.
        await RunLoadAsync("true", 0, 1, TimeSpan.FromSeconds(10), record: false);
    }

    public Task<Measurement> RunAsync(Scenario scenario, LoadSettings settings, bool warmup, CancellationToken cancellationToken)
    {
        TimeSpan time = warmup ? settings.Warmup : settings.Duration;
        return scenario.Id switch
        {
            "seq" => RunLoadAsync("echo", scenario.PayloadBytes, warmup ? int.MaxValue : settings.SequentialCount, warmup ? time : settings.Duration * 2, record: !warmup),
            "c1" => RunLoadAsync("echo", scenario.PayloadBytes, int.MaxValue, time, record: false),
            "mib" => RunLoadAsync("stdin", scenario.PayloadBytes, int.MaxValue, time, record: false),
            "true" => RunLoadAsync("true", 0, int.MaxValue, time, record: false),
            _ => throw new NotSupportedException(scenario.Id),
        };
    }

    private async Task<Measurement> RunLoadAsync(string command, int payload, int maxCount, TimeSpan time, bool record)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "remctl_load.py");
        string principal = "host/localhost@" + _env["USER_PRINCIPAL"].Split('@')[1];
        var client = ChildProcess.Start("remctl-client", "/usr/bin/python3",
        [
            script, _env["REMCTL_PORT"], principal, command, payload.ToString(CultureInfo.InvariantCulture),
            maxCount.ToString(CultureInfo.InvariantCulture), time.TotalSeconds.ToString("0.###", CultureInfo.InvariantCulture), record ? "1" : "0",
        ], _env);
        await using (client)
        {
            string json = await client.WaitReadyAsync(time + TimeSpan.FromSeconds(60));
            await client.WaitExitAsync(TimeSpan.FromSeconds(10));
            // remctld reaps its per-connection child on SIGCHLD; give it a moment so its CPU is counted.
            await Task.Delay(100);
            using var doc = JsonDocument.Parse(json);
            var root = doc.RootElement;
            double[] lat = [.. root.GetProperty("lat_us").EnumerateArray().Select(e => e.GetDouble())];
            long ops = root.GetProperty("ops").GetInt64();
            if (ops == 0)
            {
                throw new InvalidOperationException($"remctl {command}: no command completed in {time.TotalSeconds:0.#} s");
            }

            return new Measurement(ops, root.GetProperty("bytes").GetInt64(), TimeSpan.FromSeconds(root.GetProperty("elapsed").GetDouble()),
                record ? lat : null, root.GetProperty("cpu").GetDouble());
        }
    }

    private void TearDown()
    {
        if (_realmDir is null || _script is null || !File.Exists(Path.Combine(_realmDir, "realm.env")))
        {
            return;
        }

        // realm.sh down kills the KDC and remctld by the PIDs it recorded, then removes the directory.
        var down = ChildProcess.Start("realm-down", "/bin/bash", [_script, "down", _realmDir]);
        down.WaitExitAsync(TimeSpan.FromSeconds(30)).GetAwaiter().GetResult();
        down.Stop();
        _realmDir = null;
    }

    public ValueTask DisposeAsync()
    {
        TearDown();
        return ValueTask.CompletedTask;
    }
}
