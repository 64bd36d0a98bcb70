namespace Gatehouse.ZeroMq.Internal;

/// <summary>Checks and classifies endpoint strings: <c>tcp://host:port</c> or <c>ipc:///path</c>.</summary>
internal static class EndpointAddress
{
    public const string TcpPrefix = "tcp://";
    public const string IpcPrefix = "ipc://";

    /// <summary>Returns true for ipc://, false for tcp://; throws ArgumentException for anything else.</summary>
    public static bool IsIpc(string endpoint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        if (endpoint.StartsWith(IpcPrefix, StringComparison.Ordinal))
        {
            if (endpoint.Length == IpcPrefix.Length || endpoint.Contains('\0', StringComparison.Ordinal))
            {
                throw new ArgumentException($"ZeroMQ endpoint '{endpoint}' has no socket path.", nameof(endpoint));
            }

            return true;
        }

        if (endpoint.StartsWith(TcpPrefix, StringComparison.Ordinal))
        {
            var rest = endpoint.AsSpan(TcpPrefix.Length);
            var colon = rest.LastIndexOf(':');
            if (colon <= 0 || !ushort.TryParse(rest[(colon + 1)..], System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var port) || port == 0)
            {
                throw new ArgumentException($"ZeroMQ endpoint '{endpoint}' must be tcp://host:port with a port from 1 to 65535.", nameof(endpoint));
            }

            return false;
        }

        throw new ArgumentException($"ZeroMQ endpoint '{endpoint}' must start with tcp:// or ipc://.", nameof(endpoint));
    }

    /// <summary>The filesystem path of an ipc:// endpoint.</summary>
    public static string IpcPath(string endpoint) => endpoint[IpcPrefix.Length..];
}
