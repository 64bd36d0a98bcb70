using System.Diagnostics;
using System.Collections.Concurrent;
using Gatehouse.Commands;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Protocol;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Audit;

/// <summary>
/// The audit trail: one record per request that entered the pipeline, whatever its front door and
/// however it ended (<see cref="AuditRecord"/>). The request path only builds the record and queues
/// it (never waits on a disk or a log); one writer task writes queued records, to the log or to a
/// file of JSON lines. A full queue drops the record and counts it (a warning once a minute and the
/// <c>gatehouse_audit_dropped_total</c> metric), so a slow disk never stalls requests.
/// </summary>
public sealed class AuditTrail : IAsyncDisposable
{
    private readonly AuditOptions _options;
    private readonly ILogger _logger;
    private readonly Observability.GatewayMetrics? _metrics;
    // Records waiting for the writer. The writer polls (every PollInterval while idle) instead of
    // being woken per record: a wake-up per request would cost more than the record itself.
    private readonly ConcurrentQueue<Pending>? _queue;
    private readonly ManualResetEventSlim _stop = new(false);
    private int _waiting;
    private readonly Thread? _writer;
    private readonly LogThrottle _dropWarnings = new(TimeProvider.System, TimeSpan.FromMinutes(1));
    private readonly Lock _fileGate = new();
    private FileStream? _file;
    private long _written;
    private long _dropped;
    private long _queued;
    private long _failedWrites;

    /// <param name="options">Where records go.</param>
    /// <param name="logger">The <c>Gatehouse.Audit</c> logger (records for <see cref="AuditDestination.Log"/>, and the trail's own problems).</param>
    /// <param name="metrics">Counts dropped records; may be null.</param>
    /// <exception cref="IOException">The audit file cannot be opened (the message names it).</exception>
    public AuditTrail(AuditOptions options, ILogger logger, Observability.GatewayMetrics? metrics = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(logger);
        _options = options.Validate();
        _logger = logger;
        _metrics = metrics;
        if (options.Destination == AuditDestination.Off)
        {
            return;
        }

        if (options.Destination == AuditDestination.File)
        {
            _file = Open(options.Path!);
        }

        _queue = new ConcurrentQueue<Pending>();
        // Its own thread, sleeping between polls: a thread-pool task woken this often would keep
        // pool threads spinning (measured: +25% of a core for a gateway serving 2,500 calls/s).
        _writer = new Thread(WriteLoop) { IsBackground = true, Name = "gatehouse audit writer" };
        _writer.Start();
    }

    /// <summary>True when records are made.</summary>
    public bool Enabled => _queue is not null;

    /// <summary>Records written so far.</summary>
    public long Written => Interlocked.Read(ref _written);

    /// <summary>Records dropped so far (the queue was full).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    /// <summary>
    /// Records the end of <paramref name="request"/>. Never blocks, never throws. Only what the record
    /// needs is captured here (the request's header and caller are immutable, its arguments its own);
    /// the writer formats it.
    /// </summary>
    internal void Record(GatewayRequest request, in CallStatus status, string outcome, string gateway)
    {
        if (_queue is null)
        {
            return;
        }

        var pending = new Pending(
            DateTimeOffset.UtcNow,
            gateway,
            request.Caller,
            request.Header,
            request.MatchedLine,
            request.Target,
            request.TargetName ?? request.Lease?.Service.Name,
            status,
            outcome,
            request.BytesIn + request.ArgumentBytes(),
            request.BytesOut,
            Stopwatch.GetElapsedTime(request.StartedAt).TotalMilliseconds);
        if (Interlocked.Increment(ref _waiting) <= _options.QueueLength)
        {
            _queue.Enqueue(pending);
            Interlocked.Increment(ref _queued);
        }
        else
        {
            Interlocked.Decrement(ref _waiting);
            long dropped = Interlocked.Increment(ref _dropped);
            _metrics?.AuditDropped();
            if (_dropWarnings.ShouldLog("dropped", string.Empty))
            {
                AuditLog.Dropped(_logger, dropped, _options.QueueLength);
            }
        }
    }

    /// <summary>
    /// Writes a queued request's record as JSON, field by field (the fields of <see cref="AuditRecord"/>,
    /// camel case, nulls left out): the writer's cost per record is most of what the audit trail costs.
    /// </summary>
    private void WriteJson(AuditJson json, Pending p)
    {
        var caller = p.Caller;
        var header = p.Header;
        var status = p.Status;
        json.Start();
        json.Time("time"u8, p.Time);
        json.String("gateway"u8, p.Gateway);
        json.String("frontDoor"u8, caller.FrontDoor == FrontDoorKind.Native ? "native" : "remctl");
        json.String("principal"u8, caller.Name);
        json.String("fingerprint"u8, caller.Fingerprint);
        json.String("address"u8, caller.Address);
        if (caller.Host is { } host)
        {
            json.String("host"u8, host);
        }

        json.String("domain"u8, header.Domain);
        var invocation = new CommandInvocation(header.Command, header.Arguments, caller.Name, null, null, null);
        json.String("command"u8, CommandLogFormatter.Format(invocation, p.Line, _options.MaxCommandLength));
        json.String("target"u8, AuditTargets.Name(p.Target));
        if (p.TargetName is { } targetName)
        {
            json.String("targetName"u8, targetName);
        }

        json.String("outcome"u8, p.Outcome);
        if (status.Kind == StatusKind.Exit)
        {
            json.Number("exitCode"u8, status.Code);
        }
        else
        {
            json.Number("error"u8, status.Code);
            json.String("message"u8, status.Message.Length > 0 ? status.Message : ErrorCodes.Describe(status.ErrorCode));
        }

        json.Number("bytesIn"u8, p.BytesIn);
        json.Number("bytesOut"u8, p.BytesOut);
        json.Number("durationMs"u8, p.DurationMs);
        json.End();
    }

    /// <summary>The record of a queued request, made by the writer.</summary>
    private AuditRecord Format(Pending p)
    {
        var caller = p.Caller;
        var header = p.Header;
        var status = p.Status;
        var invocation = new CommandInvocation(header.Command, header.Arguments, caller.Name, null, null, null);
        return new AuditRecord(
            p.Time,
            p.Gateway,
            caller.FrontDoor == FrontDoorKind.Native ? "native" : "remctl",
            caller.Name,
            caller.Fingerprint,
            caller.Address,
            caller.Host,
            header.Domain,
            CommandLogFormatter.Format(invocation, p.Line, _options.MaxCommandLength),
            AuditTargets.Name(p.Target),
            p.TargetName,
            p.Outcome,
            status.Kind == StatusKind.Exit ? status.Code : null,
            status.Kind == StatusKind.Error ? status.Code : null,
            status.Kind == StatusKind.Error ? (status.Message.Length > 0 ? status.Message : ErrorCodes.Describe(status.ErrorCode)) : null,
            p.BytesIn,
            p.BytesOut,
            Math.Round(p.DurationMs, 3));
    }

    private sealed record Pending(
        DateTimeOffset Time, string Gateway, Caller Caller, RequestHeader Header, Commands.Configuration.CommandLine? Line, AuditTarget Target, string? TargetName,
        CallStatus Status, string Outcome, long BytesIn, long BytesOut, double DurationMs);

    /// <summary>Reopens the audit file (after log rotation moved it); on failure the old one stays in use and the reason is returned.</summary>
    public string? Reopen()
    {
        if (_options.Destination != AuditDestination.File)
        {
            return null;
        }

        FileStream fresh;
        try
        {
            fresh = Open(_options.Path!);
        }
        catch (IOException ex)
        {
            return ex.Message;
        }

        lock (_fileGate)
        {
            var old = _file;
            _file = fresh;
            old?.Dispose();
        }

        return null;
    }

    private static FileStream Open(string path)
    {
        try
        {
            var options = new FileStreamOptions { Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.ReadWrite | FileShare.Delete };
            if (!OperatingSystem.IsWindows())
            {
                options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.GroupRead;
            }

            return new FileStream(path, options);
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"cannot open the audit file {path}: {ex.Message}", ex);
        }
    }

    /// <summary>How long the writer sleeps when nothing is queued.</summary>
    private static readonly TimeSpan PollInterval = TimeSpan.FromMilliseconds(5);

    private void WriteLoop()
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>(64 * 1024);
        var json = new AuditJson(buffer);
        bool failing = false;
        while (true)
        {
            bool stopping = _stop.IsSet;
            try
            {
                if (WriteBatch(buffer, json, ref failing) > 0)
                {
                    continue;
                }
            }
            catch (Exception ex)
            {
                // A bug of ours must not end the process (this thread has no one to report to).
                AuditLog.WriterFailed(_logger, ex);
            }

            if (stopping)
            {
                return; // everything queued before the stop was written
            }

            _stop.Wait(PollInterval);
        }
    }

    /// <summary>Writes up to 4,096 queued records; returns how many were taken.</summary>
    private int WriteBatch(System.Buffers.ArrayBufferWriter<byte> buffer, AuditJson json, ref bool failing)
    {
        buffer.ResetWrittenCount();
        int n = 0;
        while (n < 4096 && _queue!.TryDequeue(out var pending))
        {
            n++;
            Interlocked.Decrement(ref _waiting);
            if (_options.Destination == AuditDestination.Log)
            {
                var record = Format(pending);
                AuditLog.Request(_logger, record.FrontDoor, record.Principal, record.Address, record.Domain, record.Command, record.Target, record.TargetName ?? "-",
                    record.Outcome, record.ExitCode ?? record.Error ?? 0, record.BytesIn, record.BytesOut, record.DurationMs, record.Fingerprint, record.Host ?? "-", record.Gateway, record.Message ?? string.Empty);
                continue;
            }

            WriteJson(json, pending);
        }

        if (n == 0)
        {
            return 0;
        }

        if (buffer.WrittenCount > 0)
        {
            try
            {
                lock (_fileGate)
                {
                    _file!.Write(buffer.WrittenSpan);
                    _file.Flush();
                }

                failing = false;
            }
            catch (IOException ex)
            {
                if (!failing)
                {
                    AuditLog.WriteFailed(_logger, _options.Path ?? "?", ex.Message);
                }

                failing = true;
                Interlocked.Add(ref _failedWrites, n);
                return n;
            }
        }

        Interlocked.Add(ref _written, n);
        return n;
    }

    /// <summary>Writes what is queued, then stops.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_queue is null)
        {
            return;
        }

        _stop.Set();
        var writer = _writer!;
        await Task.Run(() => writer.Join()).ConfigureAwait(false);
        _stop.Dispose();
        lock (_fileGate)
        {
            _file?.Dispose();
            _file = null;
        }
    }

    /// <summary>Waits until every record queued so far was written (or failed to be), at most <paramref name="timeout"/>.</summary>
    public async Task FlushAsync(TimeSpan timeout)
    {
        long target = Interlocked.Read(ref _queued);
        var deadline = DateTime.UtcNow + timeout;
        while (_queue is not null && Written + FailedWrites < target && DateTime.UtcNow < deadline)
        {
            await Task.Delay(5).ConfigureAwait(false);
        }
    }

    private long FailedWrites => Interlocked.Read(ref _failedWrites);
}
