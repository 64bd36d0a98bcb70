using System.IO.Pipelines;
using System.Net;
using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Server;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Connections.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace Gatehouse.Remctl;

/// <summary>
/// Kestrel connection handler that speaks remctl (protocol v2 and v3, and v1 unless <see cref="RemctlServerOptions.ProtocolV1"/> is off) on a listener, authenticating clients
/// with Kerberos GSS-API and handing complete commands to an <see cref="IRemctlDispatcher"/>.
/// Mount it with <c>listenOptions.UseRemctl(handler)</c> (see <see cref="RemctlConnectionBuilderExtensions"/>).
/// </summary>
/// <remarks>
/// The acceptor credential (keytab, principal) is acquired once, in the constructor, so a missing or
/// unreadable keytab fails at start-up; MIT krb5 reads the keytab again on every accept, so rotated keys
/// are picked up without a restart.
/// </remarks>
public sealed class RemctlConnectionHandler : ConnectionHandler, IDisposable
{
    private readonly RemctlServerOptions _options;
    private readonly IRemctlDispatcher _dispatcher;
    private readonly ILogger _logger;
    private readonly GssCredential _credential;

    /// <summary>Creates the handler and acquires the acceptor credential.</summary>
    /// <exception cref="RemctlGssException">The keytab or principal cannot be used.</exception>
    public RemctlConnectionHandler(RemctlServerOptions options, IRemctlDispatcher dispatcher, ILogger<RemctlConnectionHandler>? logger = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(dispatcher);
        _options = options;
        _dispatcher = dispatcher;
        _logger = (ILogger?)logger ?? NullLogger.Instance;
        _credential = GssCredential.AcquireAcceptor(options.KeytabPath, options.AcceptorPrincipal, options.ReplayCache);
    }

    /// <summary>The options this handler was created with.</summary>
    public RemctlServerOptions Options => _options;

    /// <inheritdoc />
    public override Task OnConnectedAsync(ConnectionContext connection)
    {
        ArgumentNullException.ThrowIfNull(connection);

        // remctl sends small tokens (STATUS is a few dozen bytes): never let Nagle hold them back.
        if (connection.Features.Get<IConnectionSocketFeature>()?.Socket is { } socket)
        {
            socket.NoDelay = true;
        }

        return RunSessionAsync(connection.Transport, connection.RemoteEndPoint as IPEndPoint, connection.ConnectionId,
            connection.ConnectionClosed, connection.Abort);
    }

    /// <summary>
    /// Runs a remctl server session over any duplex pipe (for transports other than Kestrel, or in-memory
    /// tests). Completes both pipe ends when the session ends; never throws for peer misbehaviour.
    /// </summary>
    /// <param name="transport">The connection's pipes.</param>
    /// <param name="remoteEndPoint">The client address, passed on as <see cref="RemctlRequest.RemoteEndPoint"/>.</param>
    /// <param name="connectionId">An id for log messages.</param>
    /// <param name="connectionClosed">Fires when the connection or the server goes away; cancels a running command.</param>
    /// <param name="abort">Drops the connection at once (used when the client stops reading); without it the session only stops reading.</param>
    public Task RunSessionAsync(IDuplexPipe transport, IPEndPoint? remoteEndPoint, string connectionId, CancellationToken connectionClosed, Action? abort = null)
    {
        ArgumentNullException.ThrowIfNull(transport);
        var session = new RemctlServerSession(transport, _credential, _options, _dispatcher, _logger, remoteEndPoint, connectionId, abort);
        return session.RunAsync(connectionClosed);
    }

    /// <summary>Releases the acceptor credential.</summary>
    public void Dispose() => _credential.Dispose();
}

/// <summary>Mounts <see cref="RemctlConnectionHandler"/> on a Kestrel listener.</summary>
public static class RemctlConnectionBuilderExtensions
{
    /// <summary>
    /// Serves remctl on this listener with <paramref name="handler"/>, e.g.
    /// <c>kestrel.Listen(IPAddress.Any, 4373, l =&gt; l.UseRemctl(handler))</c>.
    /// </summary>
    public static IConnectionBuilder UseRemctl(this IConnectionBuilder builder, RemctlConnectionHandler handler)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(handler);
        return builder.Run(handler.OnConnectedAsync);
    }
}
