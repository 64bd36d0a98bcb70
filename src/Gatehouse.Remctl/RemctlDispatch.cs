using Gatehouse.Protocol;
using System.Net;

namespace Gatehouse.Remctl;

/// <summary>A complete, authenticated remctl command handed to the gateway.</summary>
/// <param name="Arguments"><c>[0]</c> = command, <c>[1]</c> = subcommand, ... exactly as the client sent them (binary-safe).</param>
/// <param name="Principal">Display name of the authenticated client principal (e.g. <c>alice@EXAMPLE.ORG</c>).</param>
/// <param name="RemoteEndPoint">The client's address, when the transport knows it.</param>
/// <param name="Expires">When the client's GSS-API context (its Kerberos ticket) expires; remctld's REMOTE_EXPIRES.</param>
public sealed record RemctlRequest(IReadOnlyList<ReadOnlyMemory<byte>> Arguments, string Principal, IPEndPoint? RemoteEndPoint, DateTimeOffset? Expires)
{
    /// <summary>True when the client authenticated anonymously (GSS_C_NT_ANONYMOUS name type).</summary>
    public bool IsAnonymous { get; init; }

    /// <summary>
    /// The protocol version of the connection: 1 for a legacy client (its output is merged and cut at 65528
    /// bytes), else 2, or 3 once the client has sent MESSAGE_NOOP.
    /// </summary>
    public int ProtocolVersion { get; init; } = 2;
}

/// <summary>Receives command output; each call is sent as one or more MESSAGE_OUTPUT messages.</summary>
public interface IRemctlOutput
{
    /// <summary>
    /// Sends <paramref name="data"/> on <paramref name="stream"/> (1 = standard output, 2 = standard error;
    /// stock clients reject other numbers). Data is copied before the call returns; the call waits when the
    /// client reads slowly (back-pressure).
    /// </summary>
    ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);
}

/// <summary>How a command ended: an exit status (MESSAGE_STATUS) or a remctl error (MESSAGE_ERROR).</summary>
public abstract record RemctlOutcome
{
    private RemctlOutcome() { }

    /// <summary>The command ran and exited. Codes outside -127..255 are sent as 255, like remctld.</summary>
    /// <param name="ExitCode">The exit code.</param>
    public sealed record Exited(int ExitCode) : RemctlOutcome;

    /// <summary>The command failed with a remctl error code (see <see cref="Gatehouse.Protocol.RemctlErrorCode"/>).</summary>
    /// <param name="ErrorCode">The error code, e.g. 5 unknown command, 6 access denied.</param>
    /// <param name="Message">A human-readable message; clients print it.</param>
    public sealed record Failed(int ErrorCode, string Message) : RemctlOutcome;
}

/// <summary>Implemented by the gateway: runs one authenticated command.</summary>
public interface IRemctlDispatcher
{
    /// <summary>
    /// Runs <paramref name="request"/>, streaming output to <paramref name="output"/>, and returns how it ended.
    /// <paramref name="cancellationToken"/> fires when the connection closes or the server shuts down.
    /// An exception is reported to the client as ERROR_INTERNAL (1) and logged.
    /// </summary>
    Task<RemctlOutcome> ExecuteAsync(RemctlRequest request, IRemctlOutput output, CancellationToken cancellationToken);
}
