using System.Buffers;
using System.IO.Pipelines;
using Gatehouse.Gateway.Authorization;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;
using Gatehouse.Transport.Security;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// Kestrel hands every TLS-terminated connection here (TLS itself is Kestrel's connection
/// middleware, configured once in <see cref="GatewayServer"/>). This checks ALPN and the client's
/// fingerprint, refuses strangers with a GOAWAY that says how to authorize them, and otherwise
/// runs a <see cref="MuxConnection"/> until it closes.
/// </summary>
internal sealed class GatewayConnectionHandler : ConnectionHandler
{
    private readonly GatewayRuntime _runtime;
    private readonly FrontDoors.NativeFrontDoor _frontDoor;

    public GatewayConnectionHandler(GatewayRuntime runtime, FrontDoors.NativeFrontDoor frontDoor)
    {
        _runtime = runtime;
        _frontDoor = frontDoor;
    }

    public override async Task OnConnectedAsync(ConnectionContext connection)
    {
        connection.Items[ConnectionGuard.ReachedHandler] = true;
        _runtime.Metrics.HandshakeCompleted();
        string remote = connection.RemoteEndPoint?.ToString() ?? "?";
        var tls = connection.Features.Get<ITlsConnectionFeature>();
        var alpn = connection.Features.Get<ITlsApplicationProtocolFeature>()?.ApplicationProtocol ?? default;
        if (!alpn.Span.SequenceEqual(TlsSettings.Alpn.Protocol.Span))
        {
            _runtime.Refusals.Refused(RefusalCause.NoAlpn, remote, "the client did not offer gatehouse/1");
            return;
        }

        var certificate = tls?.ClientCertificate;
        if (certificate is null)
        {
            _runtime.Refusals.Refused(RefusalCause.NoCertificate, remote, "the client presented no certificate");
            return;
        }

        var fingerprint = Fingerprint.Of(certificate);
        if (KeyStrength.Check(certificate) is { } weak)
        {
            _runtime.Refusals.Refused(RefusalCause.WeakKey, remote, $"{fingerprint}: {weak}");
            await RefuseAsync(connection.Transport.Output, ErrorCode.UnauthorizedPeer, $"Identity {fingerprint}: {weak}").ConfigureAwait(false);
            return;
        }

        var grant = _runtime.Authorized.Find(fingerprint);
        if (grant is null)
        {
            _runtime.Refusals.Refused(RefusalCause.UnknownIdentity, remote, fingerprint.ToString());
            await RefuseAsync(connection.Transport.Output, ErrorCode.UnauthorizedPeer,
                $"Identity {fingerprint} is not authorized on this gateway. On the gateway host run: gatehouse authorize {fingerprint} --name NAME").ConfigureAwait(false);
            return;
        }

        string fingerprintText = fingerprint.ToString();
        if (!_runtime.PeerConnections.TryAcquire(fingerprintText, out string tooMany))
        {
            _runtime.Refusals.Refused(RefusalCause.TooManyForPeer, remote, tooMany);
            await RefuseAsync(connection.Transport.Output, ErrorCode.Overloaded, "Overloaded: " + tooMany).ConfigureAwait(false);
            return;
        }

        try
        {
            await RunSessionAsync(connection, remote, fingerprint, grant).ConfigureAwait(false);
        }
        finally
        {
            _runtime.PeerConnections.Release(fingerprintText);
        }
    }

    /// <summary>An authenticated, authorized connection: runs its multiplexed session until it closes.</summary>
    private async Task RunSessionAsync(ConnectionContext connection, string remote, Fingerprint fingerprint, PeerGrant grant)
    {

        // Frames go straight to the TLS stream in coalesced batches (see ConnectionWriter); reads
        // come through Kestrel's pipe. Closing the output completes Kestrel's side of the pipe.
        var ssl = connection.Features.Get<ISslStreamFeature>()?.SslStream;
        if (ssl is not null && _runtime.Options.ReleaseTlsBuffers)
        {
            // Nothing has read or written since the handshake, so OpenSSL's state is ours to touch.
            TlsBufferRelease.TryEnable(ssl);
        }
        // A peer that stops reading is cut off (Abort ends a send stuck on it), not waited for.
        var transport = ssl is null
            ? MuxTransport.FromPipe(connection.Transport) with { Abort = () => connection.Abort() }
            : new MuxTransport(connection.Transport.Input, ssl, () => connection.Transport.Output.CompleteAsync(), () => connection.Abort());
        var limits = _runtime.Options.Limits;

        // The request handler is fixed here; what it reads is set below, before StartAsync starts reading.
        PeerSession session = null!;
        bool arrivedDraining = false;
        var mux = new MuxConnection(transport, isDialer: false, new MuxOptions
        {
            Settings = _runtime.Options.Protocol,
            HelloTimeout = _runtime.Options.HandshakeTimeout,
            InactivityTimeout = _runtime.Options.InactivityTimeout,
            DispatchInline = true,
            MaxBufferedOutput = limits.MaxBufferedOutputPerConnection,
            MaxBufferedInput = limits.MaxBufferedInputPerConnection,
            WriteTimeout = limits.WriteTimeout,
            Budget = _runtime.OutputBudget,
            Name = $"{grant.Name}@{remote}",
        }, _runtime.Logger, onRequest: stream => _frontDoor.OnRequest(session, stream, arrivedDraining));
        session = new PeerSession(mux, grant, fingerprint, connection.RemoteEndPoint, _runtime.LoadOf(grant.Name));
        if (_runtime.HostNames is { } names)
        {
            // Beside the connection, never in its way: requests carry REMOTE_HOST once it is known.
            _ = SetHostAsync(names, session.Caller);
        }
        mux.Tag = session;
        _runtime.Sessions.Add(session);
        // Read after the session is registered: if the drain began before, its snapshot may have
        // missed this session, so this connection serves nothing (a request that arrives with the
        // peer's HELLO is refused as not processed) and is sent GOAWAY once it is up.
        arrivedDraining = _runtime.IsDraining;
        using var aborted = connection.ConnectionClosed.Register(static s => _ = ((MuxConnection)s!).AbortAsync(CallStatus.Error(ErrorCode.BackendFailed, "Connection reset")), mux);
        try
        {
            await mux.StartAsync(connection.ConnectionClosed).ConfigureAwait(false);
            Log.PeerConnected(_runtime.Logger, session.Describe(), grant.Name, grant.RolesText);
            _runtime.LastSeen.Touch(fingerprint, DateTimeOffset.UtcNow);
            if (_runtime.Rotation?.Announcement is { } successor)
            {
                // A key rotation is announced: this peer learns the next key too (if it asked for notices).
                mux.TrySendIdentityNotice(successor);
            }

            if (arrivedDraining)
            {
                // Accepted between the start of the drain and the close of the listener: the drain's
                // snapshot of sessions may have missed this one, so it goes away now. Otherwise the
                // peer would keep sending requests to a gateway whose services have left (each
                // failing as an unknown command) and hold the shutdown open until its timeout.
                mux.GoAway(ErrorCode.NoError, "Gateway shutting down");
            }
            await mux.Completion.ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or ConnectionClosedException or ConnectionRefusedException or OperationCanceledException)
        {
            _runtime.Refusals.Refused(RefusalCause.Hello, remote, ex.Message);
        }
        finally
        {
            _runtime.Sessions.Remove(session);
            _runtime.LastSeen.Touch(fingerprint, DateTimeOffset.UtcNow);
            _runtime.Routes.RemoveService(session.Endpoint);
            await mux.DisposeAsync().ConfigureAwait(false);
            Log.PeerDisconnected(_runtime.Logger, session.Describe(), mux.CloseReason.Message);
        }
    }

    /// <summary>Sends GOAWAY with <paramref name="code"/> and what to do, then lets Kestrel close the connection.</summary>
    private static async Task RefuseAsync(PipeWriter output, ErrorCode code, string message)
    {
        FrameWriter.WriteGoAway(output, 0, code, message);
        await output.FlushAsync().ConfigureAwait(false);
        await output.CompleteAsync().ConfigureAwait(false);
    }

    private static async Task SetHostAsync(RemoteHostNames names, Pipeline.Caller caller)
    {
        try
        {
            caller.Host = await names.ResolveAsync(caller.Address, CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is OperationCanceledException or System.Net.Sockets.SocketException)
        {
            // no name: REMOTE_HOST stays unset
        }
    }
}
