using System.Buffers;
using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Tests.Infrastructure;

/// <summary>
/// A hand-driven remctl peer for hostile-input tests: sends arbitrary bytes, tokens and wrapped messages,
/// using the library's internal GSS-API layer for authentication when needed.
/// </summary>
internal sealed class RawRemctlConnection : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private GssContext? _context;

    private RawRemctlConnection(Socket socket)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
    }

    public static async Task<RawRemctlConnection> ConnectAsync(int port)
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        await socket.ConnectAsync(IPAddress.Loopback, port);
        return new RawRemctlConnection(socket);
    }

    public static RawRemctlConnection FromAccepted(Socket socket) => new(socket);

    public Task SendRawAsync(byte[] bytes) => _stream.WriteAsync(bytes).AsTask();

    /// <summary>Half-closes the connection: the server sees end of stream.</summary>
    public void ShutdownSend() => _socket.Shutdown(SocketShutdown.Send);

    /// <summary>Wraps a message without sending it (to replay it later).</summary>
    public byte[] Wrap(byte[] plaintext) => _context!.Wrap(plaintext);

    public Task SendTokenAsync(RemctlTokenFlags flags, byte[] payload)
    {
        var w = new ArrayBufferWriter<byte>();
        RemctlTokenWriter.WriteToken(w, flags, payload);
        return SendRawAsync(w.WrittenSpan.ToArray());
    }

    /// <summary>Creates the first context token as the stock client would (initiator to host@localhost).</summary>
    public byte[] StartInitiator()
    {
        _context = GssContext.CreateInitiator(GssName.HostBasedService("host@localhost"), null);
        var step = _context.Step([]);
        return step.Error is null ? step.OutputToken! : throw step.Error;
    }

    /// <summary>Performs a correct v2 handshake as client.</summary>
    public Task AuthenticateAsync() => HandshakeAsync(RemctlLimits.InitialV2, RemctlLimits.ContextV2);

    /// <summary>Performs a correct protocol version 1 handshake as client (0x11, then 0x02 context tokens).</summary>
    public Task AuthenticateV1Async() => HandshakeAsync(RemctlLimits.InitialV1, RemctlTokenFlags.Context);

    /// <summary>The initial token (<paramref name="initial"/> flags), then context tokens with <paramref name="context"/> flags both ways until GSS-API completes.</summary>
    private async Task HandshakeAsync(RemctlTokenFlags initial, RemctlTokenFlags context)
    {
        await SendTokenAsync(initial, []);
        var token = StartInitiator();
        while (true)
        {
            await SendTokenAsync(context, token);
            var reply = await ReadTokenAsync() ?? throw new InvalidOperationException("server closed during handshake");
            Assert.Equal(context, reply.Flags);
            var step = _context!.Step(reply.Payload);
            if (step.Error is not null)
            {
                throw step.Error;
            }

            if (step.Complete)
            {
                return;
            }

            token = step.OutputToken!;
        }
    }

    /// <summary>Reads a protocol version 1 reply: one 0x04 token, unwrapped and parsed; null when the peer closed.</summary>
    public async Task<(int Status, string Text)?> ReadV1ReplyAsync(TimeSpan? timeout = null)
    {
        var token = await ReadTokenAsync(timeout);
        if (token is null)
        {
            return null;
        }

        Assert.Equal(RemctlTokenFlags.Data, token.Value.Flags);
        var (status, output) = RemctlV1Codec.ParseReply(_context!.Unwrap(token.Value.Payload));
        return (status, System.Text.Encoding.UTF8.GetString(output.Span));
    }

    /// <summary>Checks a MIC token against the message it should cover.</summary>
    public void VerifyMic(byte[] message, byte[] mic) => _context!.VerifyMic(message, mic);

    /// <summary>Performs the acceptor side of a v2 handshake (for fake servers).</summary>
    public async Task AcceptAsync(GssCredential credential)
    {
        _context = GssContext.CreateAcceptor(credential);
        var first = await ReadTokenAsync();
        Assert.Equal(RemctlLimits.InitialV2, first!.Value.Flags);
        while (true)
        {
            var token = await ReadTokenAsync() ?? throw new InvalidOperationException("client closed during handshake");
            var step = _context.Step(token.Payload);
            if (step.OutputToken is { Length: > 0 } output)
            {
                await SendTokenAsync(RemctlLimits.ContextV2, output);
            }

            if (step.Error is not null)
            {
                throw step.Error;
            }

            if (step.Complete)
            {
                return;
            }
        }
    }

    public Task SendWrappedAsync(byte[] plaintext, RemctlTokenFlags flags = RemctlLimits.DataV2)
        => SendTokenAsync(flags, _context!.Wrap(plaintext));

    public Task SendMessageAsync(Action<IBufferWriter<byte>> write)
    {
        var w = new ArrayBufferWriter<byte>();
        write(w);
        return SendWrappedAsync(w.WrittenSpan.ToArray());
    }

    /// <summary>Sends a whole command body in chunks of <paramref name="chunk"/> bytes with continue flags.</summary>
    public async Task SendCommandAsync(IReadOnlyList<string> args, int chunk = int.MaxValue)
    {
        var body = new ArrayBufferWriter<byte>();
        BinaryPrimitives.WriteUInt32BigEndian(body.GetSpan(4), (uint)args.Count);
        body.Advance(4);
        foreach (var a in args)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(a);
            BinaryPrimitives.WriteUInt32BigEndian(body.GetSpan(4), (uint)bytes.Length);
            body.Advance(4);
            body.Write(bytes);
        }

        var data = body.WrittenMemory;
        if (data.Length <= chunk)
        {
            await SendMessageAsync(w => RemctlMessageWriter.WriteCommand(w, true, RemctlContinueStatus.Complete, data.Span));
            return;
        }

        for (int offset = 0; offset < data.Length; offset += chunk)
        {
            int n = Math.Min(chunk, data.Length - offset);
            var status = offset == 0 ? RemctlContinueStatus.First
                : offset + n == data.Length ? RemctlContinueStatus.Last
                : RemctlContinueStatus.Middle;
            var slice = data.Slice(offset, n);
            await SendMessageAsync(w => RemctlMessageWriter.WriteCommand(w, true, status, slice.Span));
        }
    }

    /// <summary>Reads one token, or null when the peer closed the connection (or reset it).</summary>
    public async Task<(RemctlTokenFlags Flags, byte[] Payload)?> ReadTokenAsync(TimeSpan? timeout = null)
    {
        using var cts = new CancellationTokenSource(timeout ?? TimeSpan.FromSeconds(20));
        var header = new byte[5];
        if (!await ReadExactlyAsync(header, cts.Token))
        {
            return null;
        }

        int length = checked((int)BinaryPrimitives.ReadUInt32BigEndian(header.AsSpan(1)));
        var payload = new byte[length];
        return await ReadExactlyAsync(payload, cts.Token) ? ((RemctlTokenFlags)header[0], payload) : null;
    }

    /// <summary>Reads and unwraps one message; null when the peer closed.</summary>
    public async Task<RemctlMessage?> ReadMessageAsync(TimeSpan? timeout = null)
    {
        var token = await ReadTokenAsync(timeout);
        if (token is null)
        {
            return null;
        }

        Assert.Equal(RemctlLimits.DataV2, token.Value.Flags);
        return RemctlMessageReader.Parse(_context!.Unwrap(token.Value.Payload));
    }

    /// <summary>True when the peer closes (EOF or reset) within <paramref name="timeout"/>.</summary>
    public async Task<bool> IsClosedByPeerAsync(TimeSpan timeout)
    {
        using var cts = new CancellationTokenSource(timeout);
        var buffer = new byte[4096];
        try
        {
            while (true)
            {
                if (await _stream.ReadAsync(buffer, cts.Token) == 0)
                {
                    return true;
                }
            }
        }
        catch (OperationCanceledException)
        {
            return false;
        }
        catch (IOException)
        {
            return true;
        }
    }

    public async ValueTask DisposeAsync()
    {
        await _stream.DisposeAsync();
        _context?.Dispose();
    }

    private async Task<bool> ReadExactlyAsync(byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            await _stream.ReadExactlyAsync(buffer, cancellationToken);
            return true;
        }
        catch (EndOfStreamException)
        {
            return false;
        }
        catch (IOException)
        {
            return false;
        }
    }
}
