using System.Globalization;
using System.Text;
using Gatehouse.Commands;
using Gatehouse.Commands.Acl;
using Gatehouse.Commands.Configuration;
using Gatehouse.Protocol;
using Gatehouse.Remctl;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Gateway.Backends;

/// <summary>
/// Requests from stock remctl clients (the Kerberos port). They go through the same routes as native
/// requests, in the same order: a service registered for (default, COMMAND) first, if the
/// principal passes <see cref="GatewayOptions.RemctlServiceAcl"/>; then the remctl.conf commands
/// with their own ACLs. The Kerberos principal is REMOTE_USER; REMOTE_EXPIRES is the ticket's end.
/// </summary>
internal sealed class RemctlFrontDoor : IRemctlDispatcher
{
    private readonly GatewayRuntime _runtime;
    private readonly IReadOnlyList<AclEntry> _serviceAcl;
    private readonly AclEvaluator _acl = new();

    public RemctlFrontDoor(GatewayRuntime runtime)
    {
        _runtime = runtime;
        _serviceAcl = runtime.Options.RemctlServiceAcl.Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(a => AclParser.Parse(a, AclMethod.Princ)).ToList();
    }

    public async Task<RemctlOutcome> ExecuteAsync(RemctlRequest request, IRemctlOutput output, CancellationToken cancellationToken)
    {
        // Kestrel runs this listener's continuations on its socket thread (inline scheduling, see
        // GatewayServer): ACL checks and process spawns belong on the thread pool.
        await Task.Yield();
        var load = _runtime.LoadOf(request.Principal);
        int max = _runtime.Options.Limits.MaxRequestsPerPrincipal;
        if (!load.TryEnter(max))
        {
            return new RemctlOutcome.Failed((int)RemctlErrorCode.Internal, $"Overloaded: {max} requests in progress for {request.Principal}");
        }

        _runtime.RequestStarted();
        try
        {
            if (request.Arguments.Count == 0)
            {
                return new RemctlOutcome.Failed((int)RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
            }

            string command = Encoding.UTF8.GetString(request.Arguments[0].Span);
            var rest = request.Arguments.Skip(1).ToArray();
            string address = request.RemoteEndPoint?.Address.ToString() ?? string.Empty;
            if (_runtime.Routes.HasRoute(RequestHeader.DefaultDomain, command))
            {
                var decision = _acl.Check(_serviceAcl, new AclSubject(request.Principal, request.IsAnonymous), new SourceLocation("RemctlServiceAcl", 0));
                if (!decision.Allowed)
                {
                    return new RemctlOutcome.Failed((int)RemctlErrorCode.Access, RemctlErrorMessages.Access);
                }

                return OutcomeMapping.ToRemctl(await CallServiceAsync(request, command, rest, address, output, cancellationToken).ConfigureAwait(false));
            }

            var commands = _runtime.Backends.OfType<CommandsBackend>().FirstOrDefault();
            if (commands is null)
            {
                return new RemctlOutcome.Failed((int)RemctlErrorCode.UnknownCommand, RemctlErrorMessages.UnknownCommand);
            }

            var invocation = new CommandInvocation(command, rest, request.Principal, address.Length > 0 ? address : null, null, request.Expires) { Anonymous = request.IsAnonymous };
            var outcome = await commands.Runner.RunAsync(invocation, stdin: null, new RemctlCommandOutput(output), cancellationToken).ConfigureAwait(false);
            return OutcomeMapping.ToRemctl(OutcomeMapping.ToStatus(outcome));
        }
        finally
        {
            load.Exit();
            _runtime.RequestEnded();
        }
    }

    /// <summary>Relays to a registered service: opens its stream, streams output to the remctl client, returns the status.</summary>
    private async Task<CallStatus> CallServiceAsync(RemctlRequest request, string command, ReadOnlyMemory<byte>[] args, string address, IRemctlOutput output, CancellationToken cancellationToken)
    {
        var (binding, error) = await _runtime.Routes.AcquireAsync(RequestHeader.DefaultDomain, command, _runtime.Options.QueueTimeout, cancellationToken).ConfigureAwait(false);
        if (binding is null)
        {
            return error;
        }

        try
        {
            var meta = new List<KeyValuePair<string, string>>
            {
                new("REMOTE_USER", request.Principal),
                new("REMCTL_COMMAND", command),
                new("GATEHOUSE_DOMAIN", RequestHeader.DefaultDomain),
                new("GATEHOUSE_FRONT_DOOR", "remctl"),
            };
            if (address.Length > 0)
            {
                meta.Add(new("REMOTE_ADDR", address));
            }

            if (request.Expires is { } expires)
            {
                meta.Add(new("REMOTE_EXPIRES", expires.ToUnixTimeSeconds().ToString(CultureInfo.InvariantCulture)));
            }

            var header = new RequestHeader { Domain = RequestHeader.DefaultDomain, Command = command, Arguments = args, Metadata = meta };
            MuxStream upstream;
            try
            {
                upstream = await binding.Connection.OpenStreamAsync(header, endStream: true, cancellationToken).ConfigureAwait(false);
            }
            catch (ConnectionClosedException ex)
            {
                return CallStatus.Error(ErrorCode.BackendFailed, "Backend went away: " + ex.Message);
            }

            using var cancel = cancellationToken.Register(static s => ((MuxStream)s!).Cancel(ErrorCode.Cancelled), upstream);
            while (true)
            {
                StreamEvent item;
                try
                {
                    item = await upstream.ReadAsync(CancellationToken.None).ConfigureAwait(false);
                }
                catch (System.Threading.Channels.ChannelClosedException)
                {
                    return CallStatus.Error(ErrorCode.BackendFailed, "Backend stream ended without a status");
                }

                if (item.Kind == StreamEventKind.Status)
                {
                    return item.Status;
                }

                try
                {
                    // Stock remctl clients know only stdout and stderr; other output streams go to stderr.
                    await output.WriteAsync(item.OutStream == 1 ? 1 : 2, item.Data, cancellationToken).ConfigureAwait(false);
                }
                finally
                {
                    upstream.Release(item);
                }
            }
        }
        finally
        {
            _runtime.Routes.Release(binding);
        }
    }

    /// <summary>Command output to a remctl client.</summary>
    private sealed class RemctlCommandOutput(IRemctlOutput output) : ICommandOutput
    {
        public ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken) =>
            output.WriteAsync(stream == 1 ? 1 : 2, data, cancellationToken);
    }
}
