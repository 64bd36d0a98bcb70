using System.Text;
using System.Text.Json;
using Gatehouse.Client;
using Gatehouse.Gateway.Audit;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// Issue 16, audit trail: one record per request with who, from where, what (logmask applied), the
/// target, the outcome, bytes and duration; to a file of JSON lines or to the log; a slow sink never
/// stalls requests. (The remctl front door's records: Interop's RemctlAuditTests.)
/// </summary>
public sealed class AuditTrailTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "gatehouse-audit-" + Guid.NewGuid().ToString("N")[..10]);

    private string Conf => Path.Combine(_dir, "remctl.conf");

    private string AuditFile => Path.Combine(_dir, "audit.jsonl");

    public Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        string cat = Path.Combine(_dir, "cat.sh");
        File.WriteAllText(cat, "#!/bin/sh\ncat\nexit 4\n");
        File.SetUnixFileMode(cat, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Conf, $"""
            passwd set  /bin/echo  logmask=2  ANYUSER
            feed   cat  {cat}  stdin=2  ANYUSER
            secret show /bin/echo  logmask=1  deny:princ:alice anyuser:auth
            """);
        return Task.CompletedTask;
    }

    public Task DisposeAsync()
    {
        Directory.Delete(_dir, recursive: true);
        return Task.CompletedTask;
    }

    private Task<TestGateway> StartAsync(AuditDestination destination = AuditDestination.File, ILoggerProvider? logging = null, int queueLength = 65_536) =>
        TestGateway.StartAsync(o => o with
        {
            CommandsFile = Conf,
            Audit = new AuditOptions { Destination = destination, Path = destination == AuditDestination.File ? AuditFile : null, QueueLength = queueLength },
        }, logging: logging);

    private async Task<List<JsonElement>> RecordsAsync(TestGateway gw, int atLeast)
    {
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (true)
        {
            await gw.Server.Runtime.Audit.FlushAsync(TimeSpan.FromSeconds(5));
            var lines = File.Exists(AuditFile) ? File.ReadAllLines(AuditFile) : [];
            if (lines.Length >= atLeast || DateTime.UtcNow > deadline)
            {
                return [.. lines.Select(l => JsonDocument.Parse(l).RootElement)];
            }

            await Task.Delay(20);
        }
    }

    [Fact]
    public async Task An_exec_call_is_recorded_with_who_what_target_outcome_bytes_and_duration_and_logmask_hides_the_masked_argument()
    {
        await using var gw = await StartAsync();
        var identity = gw.Authorize("alice", PeerRoles.Client);
        string fingerprint = identity.Fingerprint.ToString();
        await using (var client = gw.Client(identity))
        {
            var result = await client.CallAsync(new CallRequest("passwd", "set", "hunter2", "visible"));
            Assert.Equal(CallStatus.Exit(0), result.Status);
            Assert.Equal("set hunter2 visible\n", result.StdoutText);
        }

        var record = Assert.Single(await RecordsAsync(gw, 1));
        Assert.Equal("native", record.GetProperty("frontDoor").GetString());
        Assert.Equal("alice", record.GetProperty("principal").GetString());
        Assert.Equal(fingerprint, record.GetProperty("fingerprint").GetString());
        Assert.Equal("127.0.0.1", record.GetProperty("address").GetString());
        Assert.Equal(gw.Server.Fingerprint.ToString(), record.GetProperty("gateway").GetString());
        Assert.Equal("default", record.GetProperty("domain").GetString());
        Assert.Equal("passwd set **MASKED** visible", record.GetProperty("command").GetString());
        Assert.DoesNotContain("hunter2", File.ReadAllText(AuditFile), StringComparison.Ordinal);
        Assert.Equal("exec", record.GetProperty("target").GetString());
        Assert.Equal("ok", record.GetProperty("outcome").GetString());
        Assert.Equal(0, record.GetProperty("exitCode").GetInt32());
        Assert.False(record.TryGetProperty("error", out _));
        Assert.Equal("set".Length + "hunter2".Length + "visible".Length, record.GetProperty("bytesIn").GetInt64());
        Assert.Equal("set hunter2 visible\n".Length, record.GetProperty("bytesOut").GetInt64());
        Assert.InRange(record.GetProperty("durationMs").GetDouble(), 0.001, 30_000);
        Assert.True(DateTimeOffset.Parse(record.GetProperty("time").GetString()!, System.Globalization.CultureInfo.InvariantCulture) > DateTimeOffset.UtcNow.AddMinutes(-1));
    }

    [Fact]
    public async Task Input_and_output_bytes_of_a_spliced_service_call_and_of_an_exec_with_stdin_are_counted()
    {
        await using var gw = await StartAsync();
        await gw.RunServiceAsync(gw.Authorize("echo-svc", PeerRoles.Service, "test"), s => s
            .Map("test", "echo", async ctx =>
            {
                var buffer = new MemoryStream();
                await ctx.Stdin.CopyToAsync(buffer, ctx.CancellationToken);
                await ctx.WriteAsync(1, buffer.ToArray());
                await ctx.WriteAsync(1, buffer.ToArray());
                return 0;
            }));
        await using var client = gw.Client(gw.Authorize("alice", PeerRoles.Client, "test", "default"));
        byte[] input = new byte[300_000];
        Random.Shared.NextBytes(input);
        var served = await client.CallAsync(new CallRequest("echo", "x") { Domain = "test", Stdin = input });
        Assert.Equal(CallStatus.Exit(0), served.Status);
        var fed = await client.CallAsync(new CallRequest("feed", "cat") { Stdin = Encoding.ASCII.GetBytes("0123456789") });
        Assert.Equal(CallStatus.Exit(4), fed.Status);

        var records = await RecordsAsync(gw, 2);
        var service = records.Single(r => r.GetProperty("domain").GetString() == "test");
        Assert.Equal("service", service.GetProperty("target").GetString());
        Assert.StartsWith("echo-svc", service.GetProperty("targetName").GetString(), StringComparison.Ordinal);
        Assert.Equal(input.Length + 1, service.GetProperty("bytesIn").GetInt64());
        Assert.Equal(2L * input.Length, service.GetProperty("bytesOut").GetInt64());
        var exec = records.Single(r => r.GetProperty("domain").GetString() == "default");
        Assert.Equal("feed cat", exec.GetProperty("command").GetString());
        Assert.Equal("exit", exec.GetProperty("outcome").GetString());
        Assert.Equal(4, exec.GetProperty("exitCode").GetInt32());
        Assert.Equal(3 + 10, exec.GetProperty("bytesIn").GetInt64());
        Assert.Equal(10, exec.GetProperty("bytesOut").GetInt64());
    }

    [Fact]
    public async Task Refused_and_unknown_calls_are_recorded_with_their_error_and_a_refused_line_still_masks()
    {
        await using var gw = await StartAsync();
        await using (var client = gw.Client(gw.Authorize("alice", PeerRoles.Client)))
        {
            Assert.Equal(ErrorCode.Access, (await client.CallAsync(new CallRequest("secret", "show", "x"))).Status.ErrorCode);
            Assert.Equal(ErrorCode.UnknownCommand, (await client.CallAsync(new CallRequest("nosuch", "thing"))).Status.ErrorCode);
        }

        var records = await RecordsAsync(gw, 2);
        var denied = records.Single(r => r.GetProperty("outcome").GetString() == "access");
        Assert.Equal("secret **MASKED** x", denied.GetProperty("command").GetString());
        Assert.Equal((int)ErrorCode.Access, denied.GetProperty("error").GetInt32());
        Assert.False(denied.TryGetProperty("exitCode", out _));
        Assert.Equal("exec", denied.GetProperty("target").GetString());
        var unknown = records.Single(r => r.GetProperty("outcome").GetString() == "unknown_command");
        Assert.Equal("nosuch thing", unknown.GetProperty("command").GetString());
        Assert.Equal("none", unknown.GetProperty("target").GetString());
        Assert.Contains("nothing serves", unknown.GetProperty("message").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Control_commands_are_recorded_as_control()
    {
        await using var gw = await StartAsync();
        await using var client = gw.Client(gw.Authorize("root", PeerRoles.Admin));
        Assert.Equal(CallStatus.Exit(0), (await client.CallAsync(new CallRequest("status") { Domain = RequestHeader.ControlDomain })).Status);
        var record = Assert.Single(await RecordsAsync(gw, 1));
        Assert.Equal("control", record.GetProperty("target").GetString());
        Assert.Equal("gatehouse", record.GetProperty("domain").GetString());
    }

    [Fact]
    public async Task To_the_log_each_request_is_one_structured_entry_of_category_Gatehouse_Audit()
    {
        var log = new CapturingProvider();
        await using var gw = await StartAsync(AuditDestination.Log, log);
        await using (var client = gw.Client(gw.Authorize("alice", PeerRoles.Client)))
        {
            await client.CallAsync(new CallRequest("passwd", "set", "hunter2", "visible"));
        }

        await gw.Server.Runtime.Audit.FlushAsync(TimeSpan.FromSeconds(5));
        var entry = Assert.Single(log.Entries, e => e.Category == "Gatehouse.Audit");
        Assert.Equal(2300, entry.EventId);
        Assert.Equal("passwd set **MASKED** visible", entry.State["Command"]);
        Assert.Equal("alice", entry.State["Principal"]);
        Assert.Equal("ok", entry.State["Outcome"]);
        Assert.DoesNotContain("hunter2", entry.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(AuditFile));
    }

    [Fact]
    public async Task Off_makes_no_records()
    {
        await using var gw = await StartAsync(AuditDestination.Off);
        await using (var client = gw.Client(gw.Authorize("alice", PeerRoles.Client)))
        {
            await client.CallAsync(new CallRequest("passwd", "set", "a", "b"));
        }

        Assert.False(gw.Server.Runtime.Audit.Enabled);
        Assert.Equal(0, gw.Server.Runtime.Audit.Written);
        Assert.False(File.Exists(AuditFile));
    }

    [Fact]
    public async Task A_stalled_audit_sink_drops_and_counts_records_and_never_stalls_requests()
    {
        using var blocking = new BlockingProvider();
        await using var gw = await StartAsync(AuditDestination.Log, blocking, queueLength: 16);
        try
        {
            await using var client = gw.Client(gw.Authorize("alice", PeerRoles.Client));
            for (int i = 0; i < 100; i++)
            {
                var call = client.CallAsync(new CallRequest("nosuch", i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
                Assert.True(await Task.WhenAny(call, Task.Delay(TimeSpan.FromSeconds(20))) == call, $"call {i} waited on the audit sink");
                Assert.Equal(ErrorCode.UnknownCommand, (await call).Status.ErrorCode);
            }

            // One record is held by the blocked writer, at most 16 wait in the queue, the rest are dropped.
            // A request's record is submitted just after its final status is sent, so the last
            // call's record may still be on its way when the call returns: wait for it.
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (gw.Server.Runtime.Audit.Dropped < 100 - 17 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(10);
            }

            Assert.InRange(gw.Server.Runtime.Audit.Dropped, 100 - 17, 100);
        }
        finally
        {
            blocking.Release();
        }
    }

    [Fact]
    public async Task A_reload_reopens_the_audit_file_so_log_rotation_works()
    {
        await using var gw = await StartAsync();
        await using var client = gw.Client(gw.Authorize("alice", PeerRoles.Client));
        await client.CallAsync(new CallRequest("passwd", "set", "a", "first"));
        await RecordsAsync(gw, 1);
        File.Move(AuditFile, AuditFile + ".1");
        Assert.Empty(gw.Server.Runtime.Reload());
        await client.CallAsync(new CallRequest("passwd", "set", "a", "second"));

        var record = Assert.Single(await RecordsAsync(gw, 1));
        Assert.EndsWith("second", record.GetProperty("command").GetString(), StringComparison.Ordinal);
        Assert.Single(File.ReadAllLines(AuditFile + ".1"));
    }

    [Fact]
    public async Task An_audit_file_that_cannot_be_opened_stops_the_start_with_a_message_naming_it()
    {
        string missing = Path.Combine(_dir, "no-such-dir", "audit.jsonl");
        var ex = await Assert.ThrowsAsync<IOException>(() => TestGateway.StartAsync(o => o with
        {
            Audit = new AuditOptions { Destination = AuditDestination.File, Path = missing },
        }));
        Assert.Contains("cannot open the audit file " + missing, ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_gateway_that_cannot_bind_its_port_leaves_nothing_running_nor_its_audit_file_open()
    {
        using var taken = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        taken.Start();
        int port = ((System.Net.IPEndPoint)taken.LocalEndpoint).Port;
        await Assert.ThrowsAnyAsync<IOException>(() => TestGateway.StartAsync(o => o with
        {
            Listen = [$"127.0.0.1:{port}"],
            Audit = new AuditOptions { Destination = AuditDestination.File, Path = AuditFile },
        }));
        bool open = Directory.EnumerateFileSystemEntries("/proc/self/fd").Any(fd =>
        {
            try
            {
                return new FileInfo(fd).LinkTarget == AuditFile;
            }
            catch (IOException)
            {
                return false; // closed while we looked
            }
        });
        Assert.False(open, "the audit file is still open after the failed start");
    }

    [Fact]
    public void A_file_destination_without_a_path_is_refused_by_validation()
    {
        var ex = Assert.Throws<ArgumentException>(() => new AuditOptions { Destination = AuditDestination.File }.Validate());
        Assert.Contains("Audit:Path", ex.Message, StringComparison.Ordinal);
    }

    /// <summary>Keeps every entry with its structured values.</summary>
    private sealed class CapturingProvider : ILoggerProvider
    {
        public List<(string Category, int EventId, string Message, Dictionary<string, object?> State)> Entries { get; } = [];

        public ILogger CreateLogger(string categoryName) => new Logger(this, categoryName);

        public void Dispose()
        {
        }

        private sealed class Logger(CapturingProvider owner, string category) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                var values = state as IReadOnlyList<KeyValuePair<string, object?>> ?? [];
                lock (owner.Entries)
                {
                    owner.Entries.Add((category, eventId.Id, formatter(state, exception), values.ToDictionary(p => p.Key, p => p.Value)));
                }
            }
        }
    }

    /// <summary>A log whose Gatehouse.Audit entries block until released (a sink that stopped).</summary>
    private sealed class BlockingProvider : ILoggerProvider
    {
        private readonly ManualResetEventSlim _gate = new(false);

        public void Release() => _gate.Set();

        public ILogger CreateLogger(string categoryName) => new Logger(categoryName == "Gatehouse.Audit" ? _gate : null);

        public void Dispose()
        {
            _gate.Set();
            _gate.Dispose();
        }

        private sealed class Logger(ManualResetEventSlim? gate) : ILogger
        {
            public IDisposable? BeginScope<TState>(TState state)
                where TState : notnull => null;

            public bool IsEnabled(LogLevel logLevel) => true;

            public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
            {
                if (eventId.Id == 2300)
                {
                    gate?.Wait(TimeSpan.FromSeconds(60));
                }
            }
        }
    }
}
