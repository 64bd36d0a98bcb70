using System.Collections.Concurrent;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;

namespace Gatehouse.Service;

/// <summary>Attaching: one loop per gateway that dials, registers, serves until the connection ends, and reconnects with backoff.</summary>
public sealed partial class GatehouseService
{
    /// <summary>How long a connection may take to finish its requests when the service detaches or stops.</summary>
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(10);

    /// <summary>Every gateway attached to or being attached to, by fingerprint (a gateway is attached to once).</summary>
    private readonly ConcurrentDictionary<Fingerprint, Attachment> _attachments = new();

    /// <summary>The loops started and not yet collected by <see cref="TakeLoops"/> (lock: the list).</summary>
    private readonly List<Task> _loops = [];

    /// <summary>Starts attaching to <paramref name="target"/>; <paramref name="seedIndex"/> is its place in the configured list, or <see cref="int.MaxValue"/> for a discovered member.</summary>
    private Attachment Start(GatewayTarget target, int seedIndex, CancellationToken cancellationToken)
    {
        var attachment = new Attachment(target, seedIndex, CancellationTokenSource.CreateLinkedTokenSource(cancellationToken));
        _attachments[target.Fingerprint] = attachment;
        attachment.Loop = AttachLoopAsync(attachment);
        lock (_loops)
        {
            _loops.RemoveAll(t => t.IsCompleted);
            _loops.Add(attachment.Loop);
        }

        return attachment;
    }

    /// <summary>Stops attaching to a discovered member: its connection drains (GOAWAY, requests in progress finish) and is not dialled again.</summary>
    private void Detach(Attachment attachment, string reason)
    {
        if (!_attachments.TryRemove(KeyValuePair.Create(attachment.Target.Fingerprint, attachment)))
        {
            return;
        }

        Log.Detaching(_logger, attachment.Target.Endpoint.ToString(), attachment.Target.Fingerprint.ToString(), reason);
        attachment.DetachReason = reason;
        try
        {
            attachment.Stop.Cancel();
        }
        catch (ObjectDisposedException)
        {
            // The loop already ended (it disposes its source on the way out): nothing left to stop.
        }
    }

    /// <summary>The loops started so far (for <see cref="RunAsync"/> to wait for at the end).</summary>
    private Task[] TakeLoops()
    {
        lock (_loops)
        {
            var loops = _loops.ToArray();
            _loops.Clear();
            return loops;
        }
    }

    private async Task AttachLoopAsync(Attachment attachment)
    {
        var target = attachment.Target;
        var cancellationToken = attachment.Stop.Token;
        var backoff = new Backoff(_options.Connection);
        int attempt = 0;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                MuxConnection? connection = null;
                bool attached = false;
                try
                {
                    connection = await DialAsync(target, cancellationToken).ConfigureAwait(false);
                    await RegisterAllAsync(connection, cancellationToken).ConfigureAwait(false);
                    attempt = 0;
                    attachment.Connection = connection;
                    attached = true;
                    Log.Attached(_logger, target.Endpoint.ToString(), _handlers.Count);
                    Attached?.Invoke(target);
                    if (attachment.IsSeed)
                    {
                        // Read the member list now: the cluster may have changed while this seed was away.
                        WakeDiscovery();
                    }

                    await WaitClosedOrStoppedAsync(connection, cancellationToken).ConfigureAwait(false);
                    if (!cancellationToken.IsCancellationRequested)
                    {
                        Log.Detached(_logger, target.Endpoint.ToString(), connection.CloseReason.Message);
                    }
                }
                catch (Exception ex) when (ex is ConnectException or ConnectionClosedException or ServiceRegistrationException)
                {
                    Log.AttachFailed(_logger, target.Endpoint.ToString(), ex.Message);
                    if (ex is ServiceRegistrationException)
                    {
                        // Authorization problems do not fix themselves quickly; back off as for a failure.
                        attempt = Math.Max(attempt, 3);
                    }
                }
                catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
                {
                    return;
                }
                finally
                {
                    attachment.Connection = null;
                    if (connection is not null && cancellationToken.IsCancellationRequested)
                    {
                        string reason = attachment.DetachReason is { } why ? "Service detaching: " + why : "Service stopping";
                        await connection.DrainAsync(DrainTimeout, reason).ConfigureAwait(false);
                        if (attached)
                        {
                            Log.DetachedOnPurpose(_logger, target.Endpoint.ToString(), reason);
                        }
                    }

                    if (attached)
                    {
                        Detached?.Invoke(target);
                    }
                }

                try
                {
                    await Task.Delay(backoff.Delay(attempt++), cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
        finally
        {
            _attachments.TryRemove(KeyValuePair.Create(target.Fingerprint, attachment));
            attachment.Stop.Dispose();
        }
    }

    /// <summary>
    /// Dials <paramref name="target"/>. The dial itself is not cancelled (it is bounded by the connect
    /// timeout): a connection cancelled while it waits for the gateway's HELLO would be left open
    /// with a HELLO that fails later, unobserved. When <paramref name="cancellationToken"/> fires
    /// first, this returns at once and the dial's connection, if any, is closed when it completes.
    /// </summary>
    /// <exception cref="ConnectException">The dial failed.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired (stopping or detaching).</exception>
    private async Task<MuxConnection> DialAsync(GatewayTarget target, CancellationToken cancellationToken)
    {
        var pin = _pins.GetOrAdd(target.Fingerprint, static fp => new GatewayPin(fp, null));
        Fingerprint presented = default;
        var dial = Dialer.ConnectAsync(target.Endpoint, _options.Identity, fp =>
            {
                presented = fp;
                return fp == pin.Current || (pin.Next is { } next && fp == next);
            },
            _options.Connection, _options.Mux with { Settings = _options.Mux.Settings with { AcceptsIdentityNotices = true } }, _logger,
            onRequest: stream => _ = ServeAsync(stream), CancellationToken.None);
        try
        {
            var connection = await dial.WaitAsync(cancellationToken).ConfigureAwait(false);
            if (pin.Next is { } successor && presented == successor)
            {
                // The gateway switched to the key it announced: that key is the pin now, alone.
                pin = new GatewayPin(successor, null);
                _pins[target.Fingerprint] = pin;
                Log.SuccessorPromoted(_logger, target.Endpoint.ToString(), successor.ToString());
                GatewayKeyRotated?.Invoke(target, successor);
            }

            var pinned = pin.Current;
            connection.IdentityNoticeReceived += (_, statement) => OnIdentityNotice(target, pinned, statement);
            if (connection.IdentityNotice is { } early)
            {
                OnIdentityNotice(target, pinned, early);
            }

            return connection;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            _ = CloseWhenDialledAsync(dial);
            throw;
        }

        static async Task CloseWhenDialledAsync(Task<MuxConnection> dial)
        {
            try
            {
                var late = await dial.ConfigureAwait(false);
                await late.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is ConnectException or ConnectionClosedException or IOException or ObjectDisposedException)
            {
                // The service no longer wants this connection: how the dial ended does not matter.
            }
        }
    }

    /// <summary>Checks a gateway's IDENTITY statement against the key the connection was pinned to; records the successor when good.</summary>
    private void OnIdentityNotice(GatewayTarget target, Fingerprint pinned, byte[] encoded)
    {
        var statement = SuccessorStatement.VerifyFrom(encoded, SuccessorPurpose.Gateway, pinned, out string? error);
        if (statement is null)
        {
            Log.SuccessorRefused(_logger, target.Endpoint.ToString(), error ?? "refused");
            return;
        }

        var updated = new GatewayPin(pinned, statement.Next);
        if (_pins.TryGetValue(target.Fingerprint, out var old) && old == updated)
        {
            return;
        }

        _pins[target.Fingerprint] = updated;
        Log.SuccessorRecorded(_logger, target.Endpoint.ToString(), pinned.ToString(), statement.Next.ToString());
    }

    /// <summary>
    /// The fingerprint a configured or discovered gateway is pinned to now: its configured one, or the
    /// successor it announced once it switched to it (key rotation, docs/security.md).
    /// </summary>
    public Fingerprint PinnedFingerprint(GatewayTarget target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return _pins.TryGetValue(target.Fingerprint, out var pin) ? pin.Current : target.Fingerprint;
    }

    /// <summary>
    /// Raised when a gateway presents the successor key it announced and it becomes the pin (the
    /// host may persist the new fingerprint in its configuration). Arguments: the gateway as
    /// configured, its new fingerprint.
    /// </summary>
    public event Action<GatewayTarget, Fingerprint>? GatewayKeyRotated;

    /// <summary>Per gateway (keyed by its configured fingerprint): the key pinned now and the announced successor.</summary>
    private readonly ConcurrentDictionary<Fingerprint, GatewayPin> _pins = new();

    private sealed record GatewayPin(Fingerprint Current, Fingerprint? Next);

    /// <summary>Returns when <paramref name="connection"/> has closed or <paramref name="cancellationToken"/> fired (the caller then drains it).</summary>
    private static async Task WaitClosedOrStoppedAsync(MuxConnection connection, CancellationToken cancellationToken)
    {
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using (cancellationToken.Register(static s => ((TaskCompletionSource)s!).TrySetResult(), stopped))
        {
            await Task.WhenAny(connection.Completion, stopped.Task).ConfigureAwait(false);
        }
    }

    /// <summary>One gateway attached to (or being attached to) and the loop that does it.</summary>
    private sealed class Attachment(GatewayTarget target, int seedIndex, CancellationTokenSource stop)
    {
        public GatewayTarget Target { get; } = target;

        /// <summary>Place in <see cref="ServiceOptions.Gateways"/>; <see cref="int.MaxValue"/> for a discovered member.</summary>
        public int SeedIndex { get; } = seedIndex;

        public bool IsSeed => SeedIndex != int.MaxValue;

        /// <summary>Cancelled to stop (service stopping: linked to its token) or to detach.</summary>
        public CancellationTokenSource Stop { get; } = stop;

        public Task Loop { get; set; } = Task.CompletedTask;

        /// <summary>The connection while attached (every command registered); null otherwise.</summary>
        public MuxConnection? Connection
        {
            get => Volatile.Read(ref field);
            set => Volatile.Write(ref field, value);
        }

        /// <summary>The connection that refused to list members (not asked again; a new connection is).</summary>
        public MuxConnection? RefusedOn { get; set; }

        /// <summary>Why the service detached from it (set before <see cref="Stop"/> is cancelled).</summary>
        public string? DetachReason
        {
            get => Volatile.Read(ref field);
            set => Volatile.Write(ref field, value);
        }
    }
}
