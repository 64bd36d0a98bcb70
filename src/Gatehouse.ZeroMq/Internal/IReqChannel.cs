namespace Gatehouse.ZeroMq.Internal;

/// <summary>
/// One REQ connection of a pool: carries one request at a time. Implementations: a NetMQ
/// <c>RequestSocket</c> on the shared poller (tcp://) and a ZMTP client over a Unix socket (ipc://).
/// </summary>
internal interface IReqChannel
{
    /// <summary>Transport name for logs ("tcp" or "ipc").</summary>
    string Transport { get; }

    /// <summary>
    /// True once the channel must not be reused: its reply was malformed, or sending failed, or it
    /// was discarded. The pool discards broken channels instead of returning them.
    /// </summary>
    bool IsBroken { get; }

    /// <summary>
    /// Sends <paramref name="request"/> and completes with the decoded reply. Faults with
    /// <see cref="ZeroMqProtocolException"/> (channel broken) or <see cref="ZeroMqException"/>.
    /// The task itself never times out: the caller bounds it and calls <see cref="Discard"/>.
    /// </summary>
    Task<ZeroMqReply> ExchangeAsync(byte[][] request);

    /// <summary>Closes the channel at once (linger zero), abandoning any reply; idempotent, any thread.</summary>
    void Discard();

    /// <summary>Closes an idle, healthy channel at shutdown (with the configured linger); idempotent, any thread.</summary>
    void Close();
}
