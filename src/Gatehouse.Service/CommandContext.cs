using System.Text;
using Gatehouse.Protocol;
using Gatehouse.Transport.Mux;

namespace Gatehouse.Service;

/// <summary>
/// Everything a handler gets for one request: the arguments, the metadata the gateway vouches for
/// (REMOTE_USER, REMOTE_ADDR, ...), stdin, output streams with backpressure, and a token that fires
/// on CANCEL, on the request's deadline, or when the gateway connection dies.
/// </summary>
public sealed class CommandContext
{
    private readonly MuxStream _stream;

    internal CommandContext(MuxStream stream, CancellationToken cancellationToken)
    {
        _stream = stream;
        CancellationToken = cancellationToken;
        Stdin = new MuxInputStream(stream, cancellationToken);
        Stdout = new OutputStream(stream, 1, cancellationToken);
        Stderr = new OutputStream(stream, 2, cancellationToken);
    }

    public RequestHeader Request => _stream.Header;

    public string Domain => _stream.Header.Domain;

    public string Command => _stream.Header.Command;

    /// <summary>Raw arguments.</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Arguments => _stream.Header.Arguments;

    /// <summary>Arguments decoded as UTF-8.</summary>
    public IReadOnlyList<string> Args => field ??= _stream.Header.Arguments.Select(a => Encoding.UTF8.GetString(a.Span)).ToArray();

    /// <summary>The caller's principal name, as the gateway authenticated it.</summary>
    public string User => _stream.Header.GetMetadata("REMOTE_USER") ?? string.Empty;

    /// <summary>The caller's IP address, when the gateway knows it.</summary>
    public string? RemoteAddress => _stream.Header.GetMetadata("REMOTE_ADDR");

    /// <summary>A metadata value, or null.</summary>
    public string? GetMetadata(string name) => _stream.Header.GetMetadata(name);

    /// <summary>Fires on CANCEL, deadline, or lost connection.</summary>
    public CancellationToken CancellationToken { get; }

    /// <summary>The caller's stdin (empty when none was sent).</summary>
    public Stream Stdin { get; }

    /// <summary>Output stream 1. Writes wait while the caller is slow (flow control).</summary>
    public Stream Stdout { get; }

    /// <summary>Output stream 2.</summary>
    public Stream Stderr { get; }

    /// <summary>Writes to any output stream number (1..255).</summary>
    public ValueTask WriteAsync(int outputStream, ReadOnlyMemory<byte> data) =>
        _stream.WriteAsync(checked((byte)outputStream), data, cancellationToken: CancellationToken);

    /// <summary>Writes UTF-8 text to stdout.</summary>
    public ValueTask WriteAsync(string text) => WriteAsync(1, Encoding.UTF8.GetBytes(text));

    /// <summary>Writes UTF-8 text to stderr.</summary>
    public ValueTask WriteErrorAsync(string text) => WriteAsync(2, Encoding.UTF8.GetBytes(text));
}

/// <summary>
/// Thrown by a handler to end the request with an error code (for example
/// <see cref="ErrorCode.Access"/>) instead of an exit status.
/// </summary>
public sealed class CommandException : Exception
{
    public CommandException(ErrorCode code, string message) : base(message) => Code = code;

    public CommandException() : this(ErrorCode.Internal, "Command failed") { }

    public CommandException(string message) : this(ErrorCode.Internal, message) { }

    public CommandException(string message, Exception inner) : base(message, inner) => Code = ErrorCode.Internal;

    public ErrorCode Code { get; }
}

/// <summary>A command handler: returns the exit status, or throws <see cref="CommandException"/>.</summary>
public delegate Task<int> CommandHandler(CommandContext context);
