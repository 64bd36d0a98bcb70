using Microsoft.Extensions.Hosting.Systemd;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// Tells systemd (Type=notify) how the gateway is doing, over <c>$NOTIFY_SOCKET</c>, through
/// Microsoft.Extensions.Hosting.Systemd's notifier. Not its host lifetime: that one reports READY
/// when the web host has started, before the gateway binds UDP for cluster membership, while READY
/// here is sent only once every listener is bound. Does nothing when not run by systemd.
/// </summary>
internal sealed class SystemdNotify
{
    private readonly SystemdNotifier _notifier = new();

    public SystemdNotify()
    {
        // Nothing the gateway starts may inherit the socket and speak for it (the exec backend
        // also clears it from exec commands' environment).
        Environment.SetEnvironmentVariable("NOTIFY_SOCKET", null);
    }

    public bool IsEnabled => _notifier.IsEnabled;

    /// <summary>READY=1 with a status line: every listener is bound.</summary>
    public void Ready(string status) => Send($"READY=1\nSTATUS={status}\nMAINPID={Environment.ProcessId}");

    /// <summary>STOPPING=1: draining has begun.</summary>
    public void Stopping() => Send("STOPPING=1\nSTATUS=draining");

    public void Status(string status) => Send("STATUS=" + status);

    private void Send(string message)
    {
        if (_notifier.IsEnabled)
        {
            _notifier.Notify(new ServiceState(message));
        }
    }
}
