using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Gatehouse.Gateway.Hosting;

/// <summary>A listening socket systemd passed (socket activation): its descriptor, name and address.</summary>
/// <param name="Fd">The file descriptor (3, 4, ...).</param>
/// <param name="Name">Its <c>FileDescriptorName=</c> (<c>remctl</c> for the remctl port; anything else is a gateway listener).</param>
/// <param name="Endpoint">The address it is bound to.</param>
public sealed record ActivatedSocket(int Fd, string Name, IPEndPoint Endpoint);

/// <summary>
/// systemd socket activation (sd_listen_fds): the listening sockets a <c>.socket</c> unit passed in
/// <c>LISTEN_FDS</c> (from descriptor 3, named by <c>LISTEN_FDNAMES</c>), when <c>LISTEN_PID</c> is
/// this process. Read once; the variables are removed so nothing the gateway starts inherits them.
/// </summary>
public static class SocketActivation
{
    /// <summary>The name that makes a passed socket the remctl port.</summary>
    public const string RemctlName = "remctl";

    private const int FirstDescriptor = 3;

    /// <summary>The sockets passed to this process; empty when none were.</summary>
    /// <exception cref="InvalidOperationException">A passed descriptor is not a listening TCP socket on an IP address (the message names it).</exception>
    public static IReadOnlyList<ActivatedSocket> Take() => Take(
        Environment.GetEnvironmentVariable("LISTEN_PID"),
        Environment.GetEnvironmentVariable("LISTEN_FDS"),
        Environment.GetEnvironmentVariable("LISTEN_FDNAMES"),
        Environment.ProcessId,
        clear: true);

    internal static IReadOnlyList<ActivatedSocket> Take(string? pid, string? fds, string? names, int self, bool clear)
    {
        if (clear)
        {
            Environment.SetEnvironmentVariable("LISTEN_PID", null);
            Environment.SetEnvironmentVariable("LISTEN_FDS", null);
            Environment.SetEnvironmentVariable("LISTEN_FDNAMES", null);
        }

        if (!int.TryParse(pid, NumberStyles.None, CultureInfo.InvariantCulture, out int forPid) || forPid != self
            || !int.TryParse(fds, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count <= 0)
        {
            return [];
        }

        string[] fdNames = (names ?? string.Empty).Split(':');
        var sockets = new List<ActivatedSocket>(count);
        for (int i = 0; i < count; i++)
        {
            int fd = FirstDescriptor + i;
            string name = i < fdNames.Length && fdNames[i].Length > 0 ? fdNames[i] : "gateway";
            sockets.Add(new ActivatedSocket(fd, name, Describe(fd, name)));
        }

        return sockets;
    }

    private static IPEndPoint Describe(int fd, string name)
    {
        try
        {
            // Not owned: Kestrel takes the descriptor over.
            using var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: false));
            if (socket.SocketType != SocketType.Stream || socket.LocalEndPoint is not IPEndPoint endpoint)
            {
                throw new InvalidOperationException($"socket activation: descriptor {fd} ({name}) is not a TCP socket on an IP address (ListenStream=ADDRESS:PORT in the .socket unit)");
            }

            return endpoint;
        }
        catch (SocketException ex)
        {
            throw new InvalidOperationException($"socket activation: descriptor {fd} ({name}) is not a usable socket: {ex.Message}", ex);
        }
    }
}
