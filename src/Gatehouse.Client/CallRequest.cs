using System.Text;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;

namespace Gatehouse.Client;

/// <summary>
/// One call: a command in a domain with binary-safe arguments, optional metadata, stdin and deadline.
/// </summary>
public sealed record CallRequest
{
    /// <summary>A call of <paramref name="command"/> in the default domain with string arguments.</summary>
    public CallRequest(string command, params string[] arguments)
    {
        Command = command;
        Arguments = arguments.Select(a => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(a)).ToArray();
    }

    /// <summary>The domain; default <c>default</c>, where remctl-style commands live.</summary>
    public string Domain { get; init; } = RequestHeader.DefaultDomain;

    public string Command { get; init; }

    /// <summary>Arguments after the command (remctl-style: the subcommand first).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Arguments { get; init; }

    /// <summary>Extra metadata; names the gateway sets itself (REMOTE_USER, ...) are replaced by it.</summary>
    public IReadOnlyList<KeyValuePair<string, string>> Metadata { get; init; } = [];

    /// <summary>Bytes sent as the command's stdin; null sends none.</summary>
    public ReadOnlyMemory<byte>? Stdin { get; init; }

    /// <summary>
    /// True: the call starts with stdin open and the caller streams it with
    /// <see cref="ActiveCall.WriteStdinAsync"/>, then ends it with <see cref="ActiveCall.CompleteStdinAsync"/>
    /// (flow control paces the writes; nothing is held whole in memory). For
    /// <see cref="GatehouseClient.StartCallAsync"/> only, with <see cref="Stdin"/> null. Default false.
    /// </summary>
    public bool StreamsStdin { get; init; }

    /// <summary>
    /// Time allowed for the call; null uses the client's default (<see cref="Transport.Connections.ConnectionOptions.CallDeadline"/>,
    /// none unless configured). When set: more than 0 and at most <see cref="ConnectionOptions.MaxCallDeadline"/>.
    /// </summary>
    /// <exception cref="ArgumentOutOfRangeException">Zero, negative, or above the wire's limit.</exception>
    public TimeSpan? Deadline
    {
        get;
        init => field = value is null || (value > TimeSpan.Zero && value <= ConnectionOptions.MaxCallDeadline)
            ? value
            : throw new ArgumentOutOfRangeException(nameof(Deadline), value, $"Deadline must be null (the client's default) or more than 0 and at most {ConnectionOptions.MaxCallDeadline}; got {value}");
    }

    /// <summary>
    /// True when running the command twice is harmless; only then is a call retried after it may
    /// have reached a backend (for example when the connection broke mid-call).
    /// </summary>
    public bool Idempotent { get; init; }

    /// <summary>
    /// The key a gateway's locator places this call by (docs/cluster.md, "Locator services"): metadata
    /// <c>GATEHOUSE_KEY</c>, else the first argument; null when there is none.
    /// </summary>
    public string? PlacementKey => LocatorAnswer.KeyOf(Metadata, Arguments);

    internal RequestHeader ToHeader(TimeSpan? deadline) => new()
    {
        Domain = Domain,
        Command = Command,
        Arguments = Arguments,
        Metadata = Metadata,
        DeadlineMs = deadline is { } d ? (uint)Math.Clamp(d.TotalMilliseconds, 1, uint.MaxValue) : 0,
    };
}
