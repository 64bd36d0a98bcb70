using System.Buffers.Binary;
using System.Net.Sockets;
using Gatehouse.ZeroMq.Protocol;
using Microsoft.Extensions.Logging;

namespace Gatehouse.ZeroMq.Internal.Zmtp;

/// <summary>
/// A REQ connection to a libzmq REP/ROUTER socket bound on <c>ipc://path</c> (a Unix domain
/// socket), speaking ZMTP 3.0 with the NULL mechanism. Exists because NetMQ implements ipc:// as
/// TCP on a loopback port derived from the path, which a libzmq daemon never listens on.
/// One request at a time (the pool guarantees it); <see cref="Discard"/> may come from any thread
/// and aborts pending I/O by closing the socket.
/// </summary>
internal sealed class ZmtpUnixReqChannel : IReqChannel
{
    private readonly string _endpoint;
    private readonly ZeroMqReplyLimits _limits;
    private readonly ILogger _logger;
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly byte[] _header = new byte[9];
    private volatile bool _broken;
    private int _closed;

    private ZmtpUnixReqChannel(string endpoint, Socket socket, ZeroMqReplyLimits limits, ILogger logger)
    {
        _endpoint = endpoint;
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _limits = limits;
        _logger = logger;
    }

    public string Transport => "ipc";

    /// <summary>
    /// Broken after a failure or discard, and also when the idle connection has become readable:
    /// the daemon closed it (restart) or sent bytes nobody asked for. The pool then opens a new one.
    /// </summary>
    public bool IsBroken
    {
        get
        {
            if (_broken)
            {
                return true;
            }

            try
            {
                return _socket.Poll(0, SelectMode.SelectRead);
            }
            catch (Exception ex) when (ex is SocketException or ObjectDisposedException)
            {
                return true;
            }
        }
    }

    /// <summary>Connects to the socket path of <paramref name="endpoint"/> and completes the ZMTP handshake.</summary>
    /// <exception cref="ZeroMqException">Connecting or the handshake failed.</exception>
    public static async Task<IReqChannel> OpenAsync(string endpoint, ZeroMqBackendOptions options, ILogger logger, CancellationToken cancellationToken)
    {
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        ZmtpUnixReqChannel? channel = null;
        try
        {
            await socket.ConnectAsync(new UnixDomainSocketEndPoint(EndpointAddress.IpcPath(endpoint)), cancellationToken);
            channel = new ZmtpUnixReqChannel(endpoint, socket, options.ReplyLimits, logger);
            await channel.HandshakeAsync(cancellationToken);
            return channel;
        }
        catch (Exception ex) when (ex is SocketException or IOException)
        {
            Close(channel, socket);
            throw new ZeroMqException($"Could not connect to {endpoint}: {ex.Message}", endpoint, ex);
        }
        catch
        {
            Close(channel, socket);
            throw;
        }
    }

    public Task<ZeroMqReply> ExchangeAsync(byte[][] request) => ExchangeCoreAsync(request);

    public void Discard() => Shut("reply abandoned, malformed, or connection lost");

    public void Close() => Shut(reason: null);

    /// <summary>Closes the socket once; pending reads and writes then fail, which ends any exchange.</summary>
    private void Shut(string? reason)
    {
        _broken = true;
        if (Interlocked.Exchange(ref _closed, 1) == 0)
        {
            if (reason is not null)
            {
                Log.SocketDiscarded(_logger, _endpoint, reason);
            }

            _socket.Close(0);
            _stream.Dispose();
        }
    }

    private static void Close(ZmtpUnixReqChannel? channel, Socket socket)
    {
        if (channel is not null)
        {
            channel.Shut("handshake failed");
        }
        else
        {
            socket.Dispose();
        }
    }

    private async Task HandshakeAsync(CancellationToken cancellationToken)
    {
        await _stream.WriteAsync(ZmtpWire.Greeting(), cancellationToken);
        var greeting = new byte[ZmtpWire.GreetingLength];
        await _stream.ReadExactlyAsync(greeting, cancellationToken);
        if (ZmtpWire.CheckGreeting(greeting) is { } problem)
        {
            throw new ZeroMqException($"ZMTP handshake with {_endpoint} failed: {problem}.", _endpoint);
        }

        await _stream.WriteAsync(ZmtpWire.ReadyCommand("REQ"), cancellationToken);
        var (flags, size) = await ReadHeaderAsync(cancellationToken);
        if ((flags & ZmtpWire.FlagCommand) == 0 || size > ZmtpWire.MaxCommandSize)
        {
            throw new ZeroMqException($"ZMTP handshake with {_endpoint} failed: expected a READY command.", _endpoint);
        }

        var body = new byte[size];
        await _stream.ReadExactlyAsync(body, cancellationToken);
        if (!ZmtpWire.TryParseCommand(body, out var name, out var socketType, out var reason))
        {
            throw new ZeroMqException($"ZMTP handshake with {_endpoint} failed: malformed {name} command.", _endpoint);
        }

        if (reason is not null)
        {
            throw new ZeroMqException($"ZMTP handshake with {_endpoint} failed: the peer sent ERROR \"{reason}\".", _endpoint);
        }

        if (name != "READY" || socketType is not ("REP" or "ROUTER"))
        {
            throw new ZeroMqException(
                $"ZMTP handshake with {_endpoint} failed: expected READY from a REP or ROUTER socket, got {name} from {socketType ?? "an unnamed socket type"}.",
                _endpoint);
        }
    }

    private async Task<ZeroMqReply> ExchangeCoreAsync(byte[][] request)
    {
        try
        {
            await _stream.WriteAsync(ZmtpWire.EncodeRequest(request));
            return await ReadReplyAsync();
        }
        catch (ZeroMqException)
        {
            _broken = true;
            throw;
        }
        catch (Exception ex) when (ex is IOException or SocketException or ObjectDisposedException or EndOfStreamException)
        {
            _broken = true;
            throw new ZeroMqException($"Connection to {_endpoint} lost: {ex.Message}", _endpoint, ex);
        }
    }

    private async Task<ZeroMqReply> ReadReplyAsync()
    {
        // The REP side echoes the REQ envelope: one empty delimiter frame, MORE set.
        var (flags, size) = await ReadMessageHeaderAsync();
        if (size != 0 || (flags & ZmtpWire.FlagMore) == 0)
        {
            throw new ZeroMqException($"Reply from {_endpoint} does not start with the REQ envelope delimiter.", _endpoint);
        }

        var reader = new ZeroMqReplyReader(_limits);
        while (true)
        {
            (flags, size) = await ReadMessageHeaderAsync();
            // Limits are checked on the declared size, before anything is buffered.
            if (reader.PartCount >= _limits.MaxParts)
            {
                throw Malformed(new ZeroMqProtocolError(ZeroMqProtocolErrorKind.TooManyParts, reader.PartCount, $"reply has more than {_limits.MaxParts} parts"));
            }

            if (size > (ulong)(_limits.MaxBytes - reader.ByteCount))
            {
                throw Malformed(new ZeroMqProtocolError(
                    ZeroMqProtocolErrorKind.TooLarge,
                    reader.PartCount,
                    $"reply is larger than {_limits.MaxBytes} bytes (part {reader.PartCount} declares {size} bytes after {reader.ByteCount})"));
            }

            var part = new byte[(int)size];
            await _stream.ReadExactlyAsync(part);
            if (!reader.Add(part))
            {
                throw Malformed(reader.Error!);
            }

            if ((flags & ZmtpWire.FlagMore) == 0)
            {
                if (reader.TryComplete(out var reply, out var error))
                {
                    return reply;
                }

                throw Malformed(error);
            }
        }
    }

    private ZeroMqProtocolException Malformed(ZeroMqProtocolError error)
    {
        _broken = true;
        return new ZeroMqProtocolException(error, _endpoint);
    }

    /// <summary>Reads the next message frame header, skipping command frames (e.g. PING) between them.</summary>
    private async Task<(byte Flags, ulong Size)> ReadMessageHeaderAsync()
    {
        while (true)
        {
            var (flags, size) = await ReadHeaderAsync(CancellationToken.None);
            if ((flags & ZmtpWire.FlagCommand) == 0)
            {
                return (flags, size);
            }

            if (size > ZmtpWire.MaxCommandSize)
            {
                throw new ZeroMqException($"ZMTP command from {_endpoint} declares {size} bytes; at most {ZmtpWire.MaxCommandSize} are accepted.", _endpoint);
            }

            // Commands carry no reply data; skip the body (at most MaxCommandSize).
            var body = new byte[(int)size];
            await _stream.ReadExactlyAsync(body);
        }
    }

    private async Task<(byte Flags, ulong Size)> ReadHeaderAsync(CancellationToken cancellationToken)
    {
        await _stream.ReadExactlyAsync(_header.AsMemory(0, 2), cancellationToken);
        var flags = _header[0];
        if ((flags & ZmtpWire.FlagLong) == 0)
        {
            return (flags, _header[1]);
        }

        await _stream.ReadExactlyAsync(_header.AsMemory(2, 7), cancellationToken);
        return (flags, BinaryPrimitives.ReadUInt64BigEndian(_header.AsSpan(1, 8)));
    }
}
