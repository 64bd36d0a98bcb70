using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Server;

internal sealed partial class RemctlServerSession
{
    /// <summary>
    /// Negotiates the GSS-API context (draft section 2.2). Returns the established context and the protocol
    /// version the client announced (1, or 2 for 2 and 3), or a null context when the connection must be
    /// dropped (reason logged): version 1 client while <see cref="RemctlServerOptions.ProtocolV1"/> is off, bad
    /// flags, a client that drops TOKEN_PROTOCOL mid-negotiation (downgrade), GSS-API failure, missing
    /// mutual/conf/integ, or timeout.
    /// <code>
    /// client: 0x51 (NOOP|CONTEXT_NEXT|PROTOCOL), empty payload      v1: 0x11 (NOOP|CONTEXT_NEXT)
    /// client: 0x42 (CONTEXT|PROTOCOL), gss_init_sec_context token   v1: 0x02 (CONTEXT)  --+ repeated while
    /// server: 0x42 (CONTEXT|PROTOCOL), gss_accept_sec_context token v1: 0x02 (CONTEXT)  --+ CONTINUE_NEEDED
    /// </code>
    /// </summary>
    private async Task<(GssContext? Context, int Version)> HandshakeAsync(CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + _options.HandshakeTimeout;
        var context = GssContext.CreateAcceptor(_credential);
        try
        {
            var first = await ReadHandshakeTokenAsync(deadline, cancellationToken);
            if (first is null)
            {
                return Fail();
            }

            int version = 2;
            var contextFlags = RemctlLimits.ContextV2;
            if (first.Value.Flags == RemctlLimits.InitialV1)
            {
                if (!_options.ProtocolV1)
                {
                    // Version 1 is turned off: the draft allows dropping the connection (section 2.2, step 1).
                    RemctlServerLog.Version1Refused(_logger, _id);
                    return Fail();
                }

                version = 1;
                contextFlags = RemctlTokenFlags.Context;
            }
            else if (first.Value.Flags != RemctlLimits.InitialV2)
            {
                RemctlServerLog.BadFlags(_logger, _id, (byte)first.Value.Flags, "initial token");
                return Fail();
            }

            while (true)
            {
                var token = await ReadHandshakeTokenAsync(deadline, cancellationToken);
                if (token is null)
                {
                    return Fail();
                }

                if (version > 1 && token.Value.Flags == RemctlTokenFlags.Context)
                {
                    RemctlServerLog.DowngradeRefused(_logger, _id);
                    return Fail();
                }

                if (token.Value.Flags != contextFlags)
                {
                    RemctlServerLog.BadFlags(_logger, _id, (byte)token.Value.Flags, "context token");
                    return Fail();
                }

                var step = context.Step(token.Value.Payload);
                if (step.OutputToken is { Length: > 0 } reply)
                {
                    await _sender.SendTokenAsync(contextFlags, reply, cancellationToken);
                }

                if (step.Error is not null)
                {
                    RemctlServerLog.HandshakeFailed(_logger, _id, step.Error.Message);
                    return Fail();
                }

                if (step.Complete)
                {
                    break;
                }
            }

            if ((context.Flags & GssContext.RequiredFlags) != GssContext.RequiredFlags)
            {
                RemctlServerLog.BadContextFlags(_logger, _id, context.Flags);
                return Fail();
            }

            RemctlServerLog.Authenticated(_logger, _id, context.PeerName ?? "", version);
            var established = context;
            context = null;
            return (established, version);
        }
        catch (TimeoutException)
        {
            RemctlServerLog.HandshakeTimeout(_logger, _id);
            return Fail();
        }
        catch (RemctlProtocolException ex)
        {
            RemctlServerLog.HandshakeFailed(_logger, _id, ex.Message);
            return Fail();
        }
        finally
        {
            context?.Dispose();
        }
    }

    private static (GssContext? Context, int Version) Fail() => (null, 0);

    private ValueTask<(RemctlTokenFlags Flags, byte[] Payload)?> ReadHandshakeTokenAsync(DateTime deadline, CancellationToken cancellationToken)
    {
        var left = deadline - DateTime.UtcNow;
        return left <= TimeSpan.Zero ? throw new TimeoutException() : ReadTokenAsync(left, CancellationToken.None);
    }
}
