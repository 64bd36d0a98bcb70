using System.Text;
using Gatehouse.Commands;
using Gatehouse.Gateway.Backends;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Protocol;
using Gatehouse.Remctl;

namespace Gatehouse.Gateway.FrontDoors;

/// <summary>
/// Requests from stock remctl clients (the Kerberos port), fed into the same pipeline as native
/// requests: the command is the first argument, in the default domain; the Kerberos principal is
/// REMOTE_USER and the ticket's end REMOTE_EXPIRES. Attached services are reached only by
/// principals that pass <see cref="GatewayOptions.RemctlServiceAcl"/>; remctl.conf commands apply
/// their own ACLs. Statuses are translated to remctl's (exit status or error codes 1-10).
/// </summary>
internal sealed class RemctlFrontDoor(GatewayRuntime runtime, RequestPipeline pipeline) : IRemctlDispatcher
{
    public async Task<RemctlOutcome> ExecuteAsync(RemctlRequest request, IRemctlOutput output, CancellationToken cancellationToken)
    {
        // Kestrel runs this listener's continuations on its socket thread (inline scheduling, see
        // GatewayServer): ACL checks and process spawns belong on the thread pool.
        await Task.Yield();
        if (request.Arguments.Count == 0 || request.Arguments[0].Span.Contains((byte)0))
        {
            // remctld refuses a command name with a nul octet as an invalid command before looking it up;
            // routed by name, it would otherwise be an unknown command.
            return new RemctlOutcome.Failed((int)RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
        }

        var header = new RequestHeader
        {
            Domain = RequestHeader.DefaultDomain,
            Command = Encoding.UTF8.GetString(request.Arguments[0].Span),
            Arguments = request.Arguments.Skip(1).ToArray(),
        };
        string address = request.RemoteEndPoint?.Address.ToString() ?? string.Empty;
        string? host = runtime.HostNames is { } names ? await names.ResolveAsync(address, cancellationToken).ConfigureAwait(false) : null;
        var caller = new Caller(request.Principal, address, request.Expires, request.IsAnonymous, runtime.LoadOf(request.Principal), host);
        var gatewayRequest = new RemctlGatewayRequest(caller, header, output, cancellationToken, mergeOutput: request.ProtocolVersion == 1);
        await pipeline.ExecuteAsync(gatewayRequest).ConfigureAwait(false);
        return OutcomeMapping.ToRemctl(gatewayRequest.Answer);
    }

    /// <summary>A remctl command as a pipeline request: no input, output to the remctl client.</summary>
    private sealed class RemctlGatewayRequest(Caller caller, RequestHeader header, IRemctlOutput output, CancellationToken aborted, bool mergeOutput)
        : GatewayRequest(caller, header)
    {
        /// <summary>The final status (the pipeline answers every request it ran).</summary>
        public CallStatus Answer { get; private set; } = CallStatus.Error(ErrorCode.Internal, "No status");

        public override RequestHeader Header { get; } = header;

        public override CancellationToken Aborted => aborted;

        /// <summary>Protocol v1: the client gets stdout and stderr merged.</summary>
        public override bool MergesOutputStreams => mergeOutput;

        public override System.IO.Stream? OpenInput(CancellationToken cancellationToken) => null;

        /// <summary>Stock remctl clients know only stdout and stderr; other output streams go to stderr.</summary>
        public override ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
        {
            BytesOut += data.Length; // one writer at a time (the target's output pump)
            return output.WriteAsync(stream == 1 ? 1 : 2, data, cancellationToken);
        }

        /// <summary>remctld's wording.</summary>
        public override CallStatus UnknownCommand() => CallStatus.Error(ErrorCode.UnknownCommand, RemctlErrorMessages.UnknownCommand);

        /// <summary>remctld's wording (the reason is not told to the client).</summary>
        public override CallStatus AccessDenied(string reason) => CallStatus.Error(ErrorCode.Access, RemctlErrorMessages.Access);

        protected override void Send(in CallStatus status) => Answer = status;
    }
}
