using Gatehouse.ZeroMq.Protocol;

namespace Gatehouse.ZeroMq;

/// <summary>Base class of every failure <see cref="ZeroMqBackend"/> reports about a backend.</summary>
public class ZeroMqException : Exception
{
    /// <summary>Creates the exception.</summary>
    public ZeroMqException(string message, string? endpoint = null, Exception? innerException = null)
        : base(message, innerException) => Endpoint = endpoint;

    /// <summary>The endpoint the failed call went to, when there was one.</summary>
    public string? Endpoint { get; }
}

/// <summary>
/// The call did not complete within its timeout: no REQ socket became free in time, or the backend
/// did not answer. A socket whose reply was lost is discarded, never reused.
/// </summary>
public sealed class ZeroMqTimeoutException : ZeroMqException
{
    /// <summary>Creates the exception.</summary>
    public ZeroMqTimeoutException(string message, string endpoint, TimeSpan timeout, bool requestSent)
        : base(message, endpoint)
    {
        Timeout = timeout;
        RequestSent = requestSent;
    }

    /// <summary>The timeout that expired.</summary>
    public TimeSpan Timeout { get; }

    /// <summary>
    /// <see langword="true"/> when the request had been handed to a socket (the backend may have run
    /// the command); <see langword="false"/> when the call was still waiting for a free socket.
    /// </summary>
    public bool RequestSent { get; }
}

/// <summary>The backend sent a reply that breaks the protocol; <see cref="Error"/> says how.</summary>
public sealed class ZeroMqProtocolException : ZeroMqException
{
    /// <summary>Creates the exception from a decoding error.</summary>
    public ZeroMqProtocolException(ZeroMqProtocolError error, string? endpoint = null)
        : base(endpoint is null ? $"Malformed ZeroMQ reply: {error.Message}" : $"Malformed ZeroMQ reply from {endpoint}: {error.Message}", endpoint)
    {
        ArgumentNullException.ThrowIfNull(error);
        Error = error;
    }

    /// <summary>What was wrong, and at which part.</summary>
    public ZeroMqProtocolError Error { get; }
}

/// <summary>
/// The call was refused at once because the endpoint already has
/// <see cref="ZeroMqBackendOptions.PoolSizePerEndpoint"/> calls in flight and
/// <see cref="ZeroMqBackendOptions.MaxQueuedCallsPerEndpoint"/> waiting.
/// </summary>
public sealed class ZeroMqBackendBusyException : ZeroMqException
{
    /// <summary>Creates the exception.</summary>
    public ZeroMqBackendBusyException(string message, string endpoint)
        : base(message, endpoint)
    {
    }
}
