using System.Diagnostics;
using System.Text;
using Gatehouse.Client;
using Gatehouse.Gateway;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// Faults of issue 12 reproduced as an attacker would: an authorized client with a hostile frame
/// writer and huge windows that stops reading, unread stdin on many streams, process and connection
/// floods. The gateway must stay within its own limits, whatever the peer announces. Runs alone
/// (<see cref="ProcessMemoryCollection"/>): memory is measured in this process.
/// </summary>
[Collection(ProcessMemoryCollection.Name)]
public sealed class HostilePeerTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gatehouse-hostile-" + Guid.NewGuid().ToString("N")[..10]);

    private string Conf => Path.Combine(_dir, "remctl.conf");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        File.WriteAllText(Conf, """
            yes   ALL   /usr/bin/yes     ANYUSER
            sleep ALL   /bin/sleep       ANYUSER
            """);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private static ProtocolSettings HugeWindows => new() { InitialStreamWindow = ProtocolSettings.MaxWindow, ConnectionWindow = ProtocolSettings.MaxWindow };

    private static long Heap()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        return GC.GetTotalMemory(forceFullCollection: true);
    }

    /// <summary>Fault 1: HELLO with 2^31-1 windows, `yes`, never read. The gateway buffered 2.2 GB in 4 s before.</summary>
    [Theory]
    [InlineData("exec")]
    [InlineData("service")]
    public async Task A_client_with_huge_windows_that_stops_reading_is_held_to_the_output_cap_and_dropped(string target)
    {
        var limits = new GatewayLimits { WriteTimeout = TimeSpan.FromSeconds(4) };
        await using var gw = await TestGateway.StartAsync(o => o with { CommandsFile = Conf, Limits = limits });
        var producerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        if (target == "service")
        {
            var chunk = new byte[60_000];
            Array.Fill(chunk, (byte)'y');
            await gw.RunServiceAsync(gw.Authorize("svc", PeerRoles.Service, "flood"), s => s.Map("flood", "yes", async ctx =>
            {
                try
                {
                    while (true)
                    {
                        await ctx.WriteAsync(1, chunk);
                    }
                }
                catch (OperationCanceledException)
                {
                    producerCancelled.TrySetResult();
                    throw;
                }
            }));
        }

        var identity = gw.Authorize("mallory", PeerRoles.Client);
        long before = Heap();
        await using var raw = await RawGatewayClient.ConnectAsync(gw.Server.Port, identity);
        var header = target == "service"
            ? new RequestHeader { Domain = "flood", Command = "yes" }
            : new RequestHeader { Domain = RequestHeader.DefaultDomain, Command = "yes" };
        await raw.SendAsync(o =>
        {
            FrameWriter.WriteHello(o, HugeWindows);
            FrameWriter.WriteRequest(o, 1, header, endStream: true, ProtocolSettings.MinFrameSize);
        });

        // While the client reads nothing, the gateway's queue for it never passes the cap.
        long worst = 0;
        var watch = Stopwatch.StartNew();
        while (watch.Elapsed < TimeSpan.FromSeconds(3))
        {
            foreach (var session in gw.Server.Runtime.Sessions.Snapshot().Where(s => s.Grant.Name == "mallory"))
            {
                worst = Math.Max(worst, session.Connection.OutboundQueued);
            }

            await Task.Delay(50);
        }

        long grown = Heap() - before;
        Assert.True(worst <= limits.MaxBufferedOutputPerConnection + MuxOptions.ControlOutputAllowance, $"queued {worst:N0} bytes for a client that reads nothing");
        Assert.True(grown < 64L * 1024 * 1024, $"the gateway's heap grew by {grown:N0} bytes");
        Assert.True(gw.Server.Runtime.OutputBudget.Used <= limits.MaxBufferedOutputPerConnection);

        // The write timeout drops it; its request ends, and the producer is told.
        await WaitUntilAsync(() => !gw.Server.Runtime.Sessions.Snapshot().Any(s => s.Grant.Name == "mallory"), TimeSpan.FromSeconds(20), "the non-reading client was never dropped");
        if (target == "service")
        {
            await producerCancelled.Task.WaitAsync(TimeSpan.FromSeconds(10));
        }

        await WaitUntilAsync(() => gw.Server.Runtime.Processes.Total == 0, TimeSpan.FromSeconds(20), "yes still runs after its caller was dropped");
        await WaitUntilAsync(() => gw.Server.Runtime.OutputBudget.Used == 0, TimeSpan.FromSeconds(10), $"{gw.Server.Runtime.OutputBudget.Used:N0} bytes of the budget were never given back");

        // A well-behaved client is served throughout.
        var ok = await gw.NewClient("alice").CallAsync(new CallRequest("sleep", "0"));
        Assert.Equal(0, ok.ExitCode);
        Assert.Empty(gw.Errors.Entries);
    }

    /// <summary>Fault 2: stdin for a command that never reads it; connection credit was returned on arrival, so 900 streams grew the gateway by 975 MB.</summary>
    [Fact]
    public async Task Unread_stdin_on_many_streams_is_held_to_the_connection_bound()
    {
        const int streams = 100;
        await using var gw = await TestGateway.StartAsync(o => o with
        {
            CommandsFile = Conf,
            Limits = new GatewayLimits { MaxExecProcesses = 1000, MaxExecProcessesPerPrincipal = 1000 },
        });
        var identity = gw.Authorize("alice", PeerRoles.Client);
        await using var connection = await Transport.Connections.Dialer.ConnectAsync(gw.Endpoint, identity, fp => fp == gw.Server.Fingerprint,
            new Transport.Connections.ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(5) });
        var megabyte = new byte[1024 * 1024];
        long sent = 0;
        var calls = new List<MuxStream>();
        var writes = new List<Task>();
        using var stop = new CancellationTokenSource(TimeSpan.FromSeconds(8));
        for (int i = 0; i < streams; i++)
        {
            // `sleep` has no stdin= in remctl.conf: its stdin is /dev/null and nothing reads the stream.
            var header = new RequestHeader { Domain = RequestHeader.DefaultDomain, Command = "sleep", Arguments = ["30"u8.ToArray()] };
            var call = await connection.OpenStreamAsync(header, endStream: false);
            calls.Add(call);
            writes.Add(Task.Run(async () =>
            {
                for (int off = 0; off < megabyte.Length; off += 16 * 1024)
                {
                    await call.WriteAsync(0, megabyte.AsMemory(off, 16 * 1024), cancellationToken: stop.Token);
                    Interlocked.Add(ref sent, 16 * 1024);
                }
            }));
        }

        try
        {
            await Task.WhenAll(writes);
        }
        catch (OperationCanceledException)
        {
            // Expected: the gateway stopped granting credit.
        }

        var session = Assert.Single(gw.Server.Runtime.Sessions.Snapshot(), s => s.Grant.Name == "alice");
        long bound = new GatewayLimits().MaxBufferedInputPerConnection + (long)ProtocolSettings.Default.ConnectionWindow;
        Assert.True(session.Connection.InboundHeld <= bound, $"gateway holds {session.Connection.InboundHeld:N0} unread stdin bytes");
        Assert.True(Interlocked.Read(ref sent) <= bound + (streams * 16 * 1024), $"the client could send {sent:N0} bytes nobody reads");

        foreach (var call in calls)
        {
            call.Cancel();
        }

        foreach (var call in calls)
        {
            while (true)
            {
                var item = await call.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(30));
                call.Release(item);
                if (item.Kind == StreamEventKind.Status)
                {
                    break;
                }
            }
        }

        // Cancelled streams give their held bytes back: the connection works as before.
        await WaitUntilAsync(() => session.Connection.InboundHeld == 0, TimeSpan.FromSeconds(10), "held stdin was not given back");
        var echo = await gw.Client(identity).CallAsync(new CallRequest("sleep", "0"));
        Assert.Equal(0, echo.ExitCode);
    }

    /// <summary>Fault 3: three connections started 2,565 processes in 4 s; now a principal's processes are capped and refused with OVERLOADED.</summary>
    [Fact]
    public async Task Exec_processes_over_the_per_principal_limit_are_refused_with_overloaded()
    {
        await using var gw = await TestGateway.StartAsync(o => o with
        {
            CommandsFile = Conf,
            Limits = new GatewayLimits { MaxExecProcessesPerPrincipal = 3, MaxExecProcesses = 5 },
        });
        var alice = gw.NewClient("alice");
        var running = new List<Task<CallResult>>();
        for (int i = 0; i < 3; i++)
        {
            running.Add(alice.CallAsync(new CallRequest("sleep", "3")));
        }

        await WaitUntilAsync(() => gw.Server.Runtime.Processes.CountFor("alice") == 3, TimeSpan.FromSeconds(10), "three sleeps did not start");
        var refused = await alice.CallAsync(new CallRequest("sleep", "0"));
        Assert.Equal(ErrorCode.Overloaded, refused.Status.ErrorCode);
        Assert.Contains("alice (limit 3)", refused.Status.Message);

        // Another principal still gets processes until the gateway-wide cap.
        var bob = gw.NewClient("bob");
        var b1 = bob.CallAsync(new CallRequest("sleep", "3"));
        var b2 = bob.CallAsync(new CallRequest("sleep", "3"));
        await WaitUntilAsync(() => gw.Server.Runtime.Processes.Total == 5, TimeSpan.FromSeconds(10), "bob's sleeps did not start");
        var full = await bob.CallAsync(new CallRequest("sleep", "0"));
        Assert.Equal(ErrorCode.Overloaded, full.Status.ErrorCode);
        Assert.Contains("on this gateway (limit 5)", full.Status.Message);

        foreach (var r in running.Append(b1).Append(b2))
        {
            Assert.Equal(0, (await r).ExitCode);
        }

        Assert.Equal(0, (await alice.CallAsync(new CallRequest("sleep", "0"))).ExitCode);
        Assert.Equal(0, gw.Server.Runtime.Processes.Total);
    }

    [Fact]
    public async Task Requests_over_the_per_principal_limit_are_refused_with_overloaded_over_all_its_connections()
    {
        await using var gw = await TestGateway.StartAsync(o => o with
        {
            CommandsFile = Conf,
            Limits = new GatewayLimits { MaxRequestsPerPrincipal = 2 },
        });
        var identity = gw.Authorize("alice", PeerRoles.Client);
        var first = gw.Client(identity);
        var second = gw.Client(identity);
        var a = first.CallAsync(new CallRequest("sleep", "2"));
        var b = second.CallAsync(new CallRequest("sleep", "2"));
        await WaitUntilAsync(() => gw.Server.Runtime.LoadOf("alice").InFlight == 2, TimeSpan.FromSeconds(10), "two calls did not start");
        var refused = await first.CallAsync(new CallRequest("sleep", "0"));
        Assert.Equal(ErrorCode.Overloaded, refused.Status.ErrorCode);
        Assert.Equal(0, (await a).ExitCode);
        Assert.Equal(0, (await b).ExitCode);
        Assert.Equal(0, gw.Server.Runtime.LoadOf("alice").InFlight);
    }

    [Fact]
    public async Task Connections_over_the_per_identity_limit_are_refused_with_a_clear_goaway()
    {
        await using var gw = await TestGateway.StartAsync(o => o with { Limits = new GatewayLimits { MaxConnectionsPerPeer = 2 } });
        var identity = gw.Authorize("alice", PeerRoles.Client);
        await gw.Client(identity).ConnectAsync();
        await gw.Client(identity).ConnectAsync();
        var third = gw.Client(identity, new Transport.Connections.ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 });
        var ex = await Assert.ThrowsAnyAsync<Exception>(() => third.ConnectAsync());
        Assert.Contains("2 connections in use for", ex.Message);
        Assert.Equal(1, gw.Server.Runtime.Refusals.Total(Gateway.Hosting.RefusalCause.TooManyForPeer));
    }

    [Fact]
    public async Task Connections_over_the_per_address_limit_are_cut_before_tls()
    {
        await using var gw = await TestGateway.StartAsync(o => o with { Limits = new GatewayLimits { MaxConnectionsPerAddress = 3 } });
        var identity = gw.Authorize("alice", PeerRoles.Client);
        var held = new List<System.Net.Sockets.TcpClient>();
        for (int i = 0; i < 3; i++)
        {
            var tcp = new System.Net.Sockets.TcpClient();
            await tcp.ConnectAsync(System.Net.IPAddress.Loopback, gw.Server.Port);
            held.Add(tcp);
        }

        await WaitUntilAsync(() => gw.Server.Runtime.AddressConnections.CountFor("127.0.0.1") == 3, TimeSpan.FromSeconds(10), "three TCP connections not counted");
        var client = gw.Client(identity, new Transport.Connections.ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(3), MaxRetries = 0 });
        await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
        Assert.True(gw.Server.Runtime.Refusals.Total(Gateway.Hosting.RefusalCause.TooManyFromAddress) >= 1);

        foreach (var tcp in held)
        {
            tcp.Dispose();
        }

        await WaitUntilAsync(() => gw.Server.Runtime.AddressConnections.CountFor("127.0.0.1") == 0, TimeSpan.FromSeconds(15), "closed connections still counted");
        Assert.Equal(0, (await gw.Client(identity).CallAsync(new CallRequest("help") { Domain = RequestHeader.ControlDomain })).ExitCode ?? 0);
    }

    /// <summary>Fault 9: every unknown-certificate handshake wrote a warning (10,021 lines in 30 s of flood).</summary>
    [Fact]
    public async Task A_flood_of_unknown_identities_is_counted_and_logged_once()
    {
        var warnings = new WarningLog();
        await using var gw = await TestGateway.StartAsync(logging: warnings);
        for (int i = 0; i < 40; i++)
        {
            var stranger = PeerIdentity.CreateEphemeral("stranger" + i);
            var client = new GatehouseClient(gw.Endpoint, gw.ClientOptions(stranger, new Transport.Connections.ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 }));
            await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
            await client.DisposeAsync();
        }

        await WaitUntilAsync(() => gw.Server.Runtime.Refusals.Total(Gateway.Hosting.RefusalCause.UnknownIdentity) == 40, TimeSpan.FromSeconds(10), "refusals not counted");
        Assert.Single(warnings.Entries, e => e.Contains("identity not authorized", StringComparison.Ordinal));
        Assert.DoesNotContain(warnings.Entries, e => e.Contains("   at ", StringComparison.Ordinal));
    }

    [Fact]
    public async Task A_client_key_below_p256_or_rsa2048_is_refused_with_the_reason()
    {
        await using var gw = await TestGateway.StartAsync();
        using var rsa = System.Security.Cryptography.RSA.Create(1024);
        var request = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=weak", rsa, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1);
        using var cert = request.CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        var weak = PeerIdentity.FromCertificate(System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12(cert.Export(System.Security.Cryptography.X509Certificates.X509ContentType.Pfx), null));
        AuthorizedPeers.Upsert(gw.Server.Runtime.Options.AuthorizedPath, new PeerGrant(weak.Fingerprint, "weak", PeerRoles.Client, []));
        gw.Server.Runtime.Authorized.Reload();
        var client = new GatehouseClient(gw.Endpoint, gw.ClientOptions(weak, new Transport.Connections.ConnectionOptions { ConnectTimeout = TimeSpan.FromSeconds(5), MaxRetries = 0 }));
        await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync());
        await client.DisposeAsync();

        // OpenSSL's security level may already fail the handshake; if not, the gateway refuses the key itself.
        await WaitUntilAsync(() => gw.Server.Runtime.Refusals.Total(Gateway.Hosting.RefusalCause.WeakKey) + gw.Server.Runtime.Refusals.Total(Gateway.Hosting.RefusalCause.TlsHandshake) == 1,
            TimeSpan.FromSeconds(10), "the weak key's refusal was not counted");
        Assert.True(gw.Server.Runtime.Sessions.IsEmpty);
    }

    [Fact]
    public void Key_strength_accepts_p256_and_rsa2048_and_names_what_it_refuses()
    {
        using var p256 = PeerIdentity.CreateEphemeral("ok");
        Assert.Null(KeyStrength.Check(p256.Certificate));
        using var rsa2048 = System.Security.Cryptography.RSA.Create(2048);
        using var strong = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=ok", rsa2048, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.Null(KeyStrength.Check(strong));
        using var rsa1024 = System.Security.Cryptography.RSA.Create(1024);
        using var weak = new System.Security.Cryptography.X509Certificates.CertificateRequest("CN=weak", rsa1024, System.Security.Cryptography.HashAlgorithmName.SHA256, System.Security.Cryptography.RSASignaturePadding.Pkcs1)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        Assert.StartsWith("RSA-1024 key refused", KeyStrength.Check(weak));
    }

    /// <summary>Fault 9: TLS 1.2 allowed CBC suites; a PSK-only client made Kestrel log a stack trace. Real OpenSSL clients.</summary>
    [Fact]
    public async Task Tls12_takes_only_aead_suites_and_a_psk_only_client_is_refused_without_a_stack_trace()
    {
        var warnings = new WarningLog();
        await using var gw = await TestGateway.StartAsync(logging: warnings);
        var identity = gw.Authorize("alice", PeerRoles.Client);
        string cert = Path.Combine(_dir, "client.crt");
        string key = Path.Combine(_dir, "client.key");
        File.WriteAllText(cert, identity.Certificate.ExportCertificatePem());
        File.WriteAllText(key, System.Security.Cryptography.X509Certificates.ECDsaCertificateExtensions.GetECDsaPrivateKey(identity.Certificate)!.ExportPkcs8PrivateKeyPem());
        string target = $"127.0.0.1:{gw.Server.Port}";

        var aead = await OpenSslAsync("s_client", "-connect", target, "-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256", "-cert", cert, "-key", key, "-alpn", "gatehouse/1");
        Assert.Contains("ECDHE-ECDSA-AES128-GCM-SHA256", aead);
        foreach (string cbc in new[] { "ECDHE-ECDSA-AES128-SHA", "ECDHE-ECDSA-AES256-SHA384", "AES128-SHA" })
        {
            var refused = await OpenSslAsync("s_client", "-connect", target, "-tls1_2", "-cipher", cbc, "-cert", cert, "-key", key);
            Assert.DoesNotContain($"Cipher is {cbc}", refused);
            Assert.Contains("Cipher is (NONE)", refused);
        }

        var psk = await OpenSslAsync("s_client", "-connect", target, "-tls1_2", "-psk", "0123456789abcdef", "-cipher", "PSK-AES128-GCM-SHA256");
        Assert.Contains("Cipher is (NONE)", psk);
        await WaitUntilAsync(() => gw.Server.Runtime.Refusals.Total(Gateway.Hosting.RefusalCause.TlsHandshake) >= 4, TimeSpan.FromSeconds(10), "failed handshakes not counted");
        Assert.DoesNotContain(warnings.Entries, e => e.Contains("   at ", StringComparison.Ordinal));
        Assert.Empty(gw.Errors.Entries);
    }

    private static async Task<string> OpenSslAsync(params string[] args)
    {
        var psi = new ProcessStartInfo("openssl") { RedirectStandardOutput = true, RedirectStandardError = true, RedirectStandardInput = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi)!;
        process.StandardInput.Close();
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(30));
        return await stdout + await stderr;
    }

    private static async Task WaitUntilAsync(Func<bool> condition, TimeSpan timeout, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            Assert.True(watch.Elapsed < timeout, what);
            await Task.Delay(50);
        }
    }
}
