using System.Text;
using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Pipeline.Targets;

/// <summary>The reserved <c>gatehouse</c> domain (<see cref="ControlCommands"/>) as a pipeline target.</summary>
internal sealed class ControlTarget(ControlCommands commands) : IRequestTarget
{
    public TargetKind Kind => TargetKind.Control;

    public async Task<CallStatus> ExecuteAsync(GatewayRequest request, CancellationToken cancellationToken)
    {
        if (request.Caller.Session is not { } session)
        {
            // Only native connections reach this domain (remctl requests are in the default domain).
            return request.UnknownCommand();
        }

        var (output, status) = commands.Execute(session, request.Header);
        if (output.Length > 0)
        {
            await request.WriteAsync(1, Encoding.UTF8.GetBytes(output), cancellationToken).ConfigureAwait(false);
        }

        return status;
    }
}
