using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;

namespace Gatehouse.Remctl.Tests.Infrastructure;

/// <summary>
/// A throwaway MIT Kerberos realm on 127.0.0.1, written for these tests: everything lives in one temp dir
/// (krb5.conf via KRB5_CONFIG, kdc.conf via KRB5_KDC_PROFILE, database, keytabs, ticket cache via
/// KRB5CCNAME, replay caches via KRB5RCACHEDIR). krb5kdc runs in the foreground on a free port, and a stock
/// remctld (Debian remctl-server) serves a small remctl.conf of ours. Both are stopped by PID.
/// </summary>
/// <remarks>
/// The variables are set with setenv(3) in this test process before any GSS-API call, because MIT krb5 reads
/// them from the native environment when it creates a krb5 context (it does so per GSS-API call, so setting
/// them before the first call is enough). Child processes get them explicitly in their start info.
/// </remarks>
public sealed class KerberosRealm : IAsyncLifetime
{
    public const string Realm = "GATEHOUSE.TEST";
    public const string UserPrincipal = "alice@" + Realm;
    public const string OtherPrincipal = "bob@" + Realm;
    public const string HostPrincipal = "host/localhost@" + Realm;

    private readonly Dictionary<string, string> _environment = [];
    private Process? _kdc;
    private Process? _remctld;

    public string Dir { get; private set; } = "";
    public string HostKeytab => Path.Combine(Dir, "host.keytab");
    public string UserKeytab => Path.Combine(Dir, "alice.keytab");
    public string CredentialCache => "FILE:" + Path.Combine(Dir, "ccache");
    public int KdcPort { get; private set; }
    public int RemctldPort { get; private set; }
    public IReadOnlyDictionary<string, string> Environment => _environment;

    public async Task InitializeAsync()
    {
        string kdb5Util = ProcessRunner.Require("kdb5_util", "krb5-kdc krb5-admin-server");
        string kadmin = ProcessRunner.Require("kadmin.local", "krb5-admin-server");
        string krb5kdc = ProcessRunner.Require("krb5kdc", "krb5-kdc");
        string kinit = ProcessRunner.Require("kinit", "krb5-user");
        string remctld = ProcessRunner.Require("remctld", "remctl-server");
        ProcessRunner.Require("remctl", "remctl-client");
        ProcessRunner.Require("/usr/lib/x86_64-linux-gnu/libgssapi_krb5.so.2", "libgssapi-krb5-2");

        Dir = Directory.CreateTempSubdirectory("gatehouse-remctl-").FullName;
        Directory.CreateDirectory(Path.Combine(Dir, "rcache"));
        KdcPort = FreePort();
        WriteConfiguration();

        _environment["KRB5_CONFIG"] = Path.Combine(Dir, "krb5.conf");
        _environment["KRB5_KDC_PROFILE"] = Path.Combine(Dir, "kdc.conf");
        _environment["KRB5CCNAME"] = CredentialCache;
        _environment["KRB5RCACHEDIR"] = Path.Combine(Dir, "rcache");
        _environment["KRB5_KTNAME"] = "FILE:" + Path.Combine(Dir, "no-default.keytab");
        foreach (var (k, v) in _environment)
        {
            NativeMethods.SetEverywhere(k, v);
        }

        if (NativeMethods.GetNative("KRB5_CONFIG") != _environment["KRB5_CONFIG"])
        {
            throw new InvalidOperationException("setenv did not reach the native environment");
        }

        var password = Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));
        await Check(kdb5Util, ["create", "-s", "-r", Realm, "-P", password]);
        foreach (var query in new[]
                 {
                     $"addprinc -randkey {HostPrincipal}",
                     $"addprinc -randkey {UserPrincipal}",
                     $"addprinc -randkey {OtherPrincipal}",
                     $"ktadd -k {HostKeytab} {HostPrincipal}",
                     $"ktadd -k {UserKeytab} {UserPrincipal}",
                     $"ktadd -k {Path.Combine(Dir, "bob.keytab")} {OtherPrincipal}",
                 })
        {
            await Check(kadmin, ["-r", Realm, "-q", query]);
        }

        _kdc = Process.Start(ProcessRunner.StartInfo(krb5kdc, ["-n", "-r", Realm], _environment))!;
        DrainOutput(_kdc);
        await WaitForPortAsync(KdcPort, _kdc, "krb5kdc");
        await Check(kinit, ["-k", "-t", UserKeytab, UserPrincipal]);

        RemctldPort = FreePort();
        WriteRemctldConfiguration();
        _remctld = Process.Start(ProcessRunner.StartInfo(remctld,
            ["-F", "-m", "-S", "-b", "127.0.0.1", "-p", RemctldPort.ToString(), "-f", Path.Combine(Dir, "remctl.conf"), "-k", HostKeytab],
            _environment))!;
        DrainOutput(_remctld);
        await WaitForPortAsync(RemctldPort, _remctld, "remctld");
    }

    public Task DisposeAsync()
    {
        ProcessRunner.Stop(_remctld);
        ProcessRunner.Stop(_kdc);
        try
        {
            Directory.Delete(Dir, recursive: true);
        }
        catch (IOException ex)
        {
            // Leaving a temp dir behind is harmless; say so instead of failing the run.
            Console.Error.WriteLine($"could not remove {Dir}: {ex.Message}");
        }

        return Task.CompletedTask;
    }

    /// <summary>Gets a ticket for <paramref name="principal"/> from its keytab into <paramref name="ccache"/>.</summary>
    public Task KinitAsync(string principal, string keytab, string ccache)
    {
        var env = new Dictionary<string, string>(_environment) { ["KRB5CCNAME"] = ccache };
        return Check(ProcessRunner.Require("kinit", "krb5-user"), ["-k", "-t", keytab, principal], env);
    }

    /// <summary>Runs a tool with the realm's environment.</summary>
    public Task<ProcessResult> RunAsync(string file, IEnumerable<string> args, TimeSpan? timeout = null)
        => ProcessRunner.RunAsync(file, args, _environment, timeout ?? TimeSpan.FromSeconds(60));

    /// <summary>A port for a child process to listen on (see <see cref="Gatehouse.Bench.Processes.FreePorts"/>).</summary>
    public static int FreePort() => Gatehouse.Bench.Processes.FreePorts.Next();

    private async Task Check(string file, string[] args, IReadOnlyDictionary<string, string>? env = null)
    {
        var result = await ProcessRunner.RunAsync(file, args, env ?? _environment, TimeSpan.FromSeconds(60));
        if (result.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} {string.Join(' ', args)} failed: {result}");
        }
    }

    private readonly System.Collections.Concurrent.ConcurrentQueue<string> _daemonOutput = new();

    /// <summary>What krb5kdc and remctld printed (for failure messages).</summary>
    public string DaemonOutput => string.Join('\n', _daemonOutput);

    private void DrainOutput(Process process)
    {
        string name = Path.GetFileName(process.StartInfo.FileName);
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) { _daemonOutput.Enqueue($"{name}: {e.Data}"); } };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) { _daemonOutput.Enqueue($"{name}: {e.Data}"); } };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        process.StandardInput.Close();
    }

    private async Task WaitForPortAsync(int port, Process process, string name)
    {
        var deadline = DateTime.UtcNow.AddSeconds(15);
        while (DateTime.UtcNow < deadline)
        {
            if (process.HasExited)
            {
                throw new InvalidOperationException($"{name} exited with {process.ExitCode} during start-up:\n{DaemonOutput}");
            }

            using var client = new TcpClient();
            try
            {
                await client.ConnectAsync(IPAddress.Loopback, port);
                return;
            }
            catch (SocketException)
            {
                // Not listening yet: poll again shortly.
                await Task.Delay(50);
            }
        }

        throw new TimeoutException($"{name} did not listen on 127.0.0.1:{port}");
    }

    private void WriteConfiguration()
    {
        File.WriteAllText(Path.Combine(Dir, "krb5.conf"), $"""
            [libdefaults]
                default_realm = {Realm}
                dns_lookup_kdc = false
                dns_lookup_realm = false
                dns_canonicalize_hostname = false
                rdns = false
                udp_preference_limit = 1
                ticket_lifetime = 24h

            [realms]
                {Realm} = {"{"}
                    kdc = 127.0.0.1:{KdcPort}
                {"}"}

            [domain_realm]
                localhost = {Realm}
            """);
        File.WriteAllText(Path.Combine(Dir, "kdc.conf"), $"""
            [kdcdefaults]
                kdc_listen = 127.0.0.1:{KdcPort}
                kdc_tcp_listen = 127.0.0.1:{KdcPort}

            [realms]
                {Realm} = {"{"}
                    database_name = {Dir}/principal
                    key_stash_file = {Dir}/stash
                    acl_file = {Dir}/kadm5.acl
                    max_life = 24h
                {"}"}

            [logging]
                kdc = FILE:{Dir}/kdc.log
                default = FILE:{Dir}/krb5lib.log
            """);
        File.WriteAllText(Path.Combine(Dir, "kadm5.acl"), "");
    }

    private void WriteRemctldConfiguration()
    {
        string helper = Path.Combine(Dir, "helper.sh");
        File.WriteAllText(helper, """
            #!/bin/sh
            # remctld passes the subcommand first.
            sub=$1; shift
            case $sub in
                args)   for a in "$@"; do printf '[%s]\n' "$a"; done ;;
                stderr) echo "to stderr: $*" >&2; echo "to stdout" ;;
                status) exit "$1" ;;
                big)    head -c "$1" /dev/zero | tr '\0' 'x' ;;
                *)      echo "unknown $sub" >&2; exit 2 ;;
            esac

            """);
        if (OperatingSystem.IsWindows())
        {
            throw new PlatformNotSupportedException("The Kerberos realm fixture needs Linux");
        }

        File.SetUnixFileMode(helper, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(Dir, "remctl.conf"), $"""
            test echo   /bin/echo       anyuser:auth
            test env    /usr/bin/env    anyuser:auth
            test args   {helper}        anyuser:auth
            test stderr {helper}        anyuser:auth
            test status {helper}        anyuser:auth
            test big    {helper}        anyuser:auth
            test errors {helper}        anyuser:auth
            test denied /bin/echo       deny:princ:{UserPrincipal} anyuser:auth

            """);
    }
}

/// <summary>All tests that need the realm share one (the environment is process-wide) and run one at a time.</summary>
[CollectionDefinition(Name)]
public sealed class KerberosCollection : ICollectionFixture<KerberosRealm>
{
    public const string Name = "Kerberos realm";
}
