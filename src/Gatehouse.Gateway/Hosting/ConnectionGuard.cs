using System.Net;
using Microsoft.AspNetCore.Connections;

namespace Gatehouse.Gateway.Hosting;

/// <summary>
/// The outermost connection middleware of the native listeners (before TLS): caps connections per
/// remote address (<see cref="GatewayLimits.MaxConnectionsPerAddress"/>), counts connections that
/// never got past the TLS handshake, and keeps any exception a connection raises from reaching
/// Kestrel's log as a stack trace (expected TLS failures are counted, not traced).
/// </summary>
internal sealed class ConnectionGuard(GatewayRuntime runtime)
{
    /// <summary>Set in <see cref="ConnectionContext.Items"/> once a connection reached the gateway's handler (TLS done).</summary>
    public static readonly object ReachedHandler = new();

    /// <summary>Runs <paramref name="next"/> (TLS, then the gateway) for <paramref name="connection"/> within the limits.</summary>
    public async Task RunAsync(ConnectionDelegate next, ConnectionContext connection)
    {
        string address = (connection.RemoteEndPoint as IPEndPoint)?.Address.ToString() ?? string.Empty;
        string remote = connection.RemoteEndPoint?.ToString() ?? "?";
        if (!runtime.AddressConnections.TryAcquire(address, out string refusal))
        {
            runtime.Refusals.Refused(RefusalCause.TooManyFromAddress, remote, refusal);
            connection.Abort(new ConnectionAbortedException(refusal));
            return;
        }

        try
        {
            await next(connection).ConfigureAwait(false);
            if (!connection.Items.ContainsKey(ReachedHandler))
            {
                runtime.Refusals.Refused(RefusalCause.TlsHandshake, remote, "handshake failed, timed out or was abandoned");
            }
        }
        catch (Exception ex) when (!connection.Items.ContainsKey(ReachedHandler))
        {
            // An expected kind of failure (a client offering only PSK suites, a scanner): one line, counted.
            runtime.Refusals.Refused(RefusalCause.TlsHandshake, remote, $"{ex.GetType().Name}: {FirstLine(ex.Message)}");
        }
        catch (Exception ex)
        {
            // Past the handshake an escaping exception is a bug of ours: log it once, keep serving.
            Log.ConnectionFailed(runtime.Logger, ex, remote);
        }
        finally
        {
            runtime.AddressConnections.Release(address);
        }
    }

    private static string FirstLine(string text)
    {
        int nl = text.IndexOfAny(['\r', '\n']);
        return nl < 0 ? text : text[..nl];
    }
}
