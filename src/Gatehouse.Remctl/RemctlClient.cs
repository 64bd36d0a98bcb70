using System.Buffers;
using System.IO.Pipelines;
using System.Net;
using System.Net.Sockets;
using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl;

/// <summary>
/// A remctl client connection (protocol v2, v3 for MESSAGE_NOOP) that stock remctld and Gatehouse accept.
/// The connection is kept alive and reused for any number of commands, one at a time; dispose it to send
/// MESSAGE_QUIT and close. Partial files: <c>Client/RemctlClient.Handshake.cs</c> (connect and GSS-API),
/// <c>Client/RemctlClient.Commands.cs</c> (commands, NOOP, QUIT).
/// </summary>
public sealed partial class RemctlClient : IAsyncDisposable
{
    private readonly Socket _socket;
    private readonly NetworkStream _stream;
    private readonly PipeReader _reader;
    private readonly RemctlClientOptions _options;
    private readonly RemctlTokenReader _tokenReader = new();
    private readonly SemaphoreSlim _gate = new(1, 1);
    private GssContext? _context;
    private bool _broken;
    private bool _disposed;

    private RemctlClient(Socket socket, string host, RemctlClientOptions options)
    {
        _socket = socket;
        _stream = new NetworkStream(socket, ownsSocket: true);
        _reader = PipeReader.Create(_stream, new StreamPipeReaderOptions(leaveOpen: true));
        _options = options;
        Host = host;
    }

    /// <summary>The host this client connected to.</summary>
    public string Host { get; }

    /// <summary>
    /// Highest protocol version the server is known to speak: 3 until the server answers MESSAGE_NOOP with
    /// MESSAGE_VERSION, then 2 (and <see cref="NoopAsync"/> no longer sends anything).
    /// </summary>
    public int ServerProtocolVersion { get; private set; } = 3;

    /// <summary>True while the connection can carry another command.</summary>
    public bool IsConnected => !_broken && !_disposed;

    /// <summary>Sends MESSAGE_QUIT (best effort) and closes the connection.</summary>
    public async ValueTask DisposeAsync()
    {
        if (_disposed)
        {
            return;
        }

        await _gate.WaitAsync();
        try
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            if (!_broken && _context is not null)
            {
                await SendQuitAsync();
            }
        }
        finally
        {
            _gate.Release();
            await _reader.CompleteAsync();
            await _stream.DisposeAsync();
            _context?.Dispose();
        }
    }

    /// <summary>Writes tokens in one socket write: each payload is a complete token body with <paramref name="flags"/>.</summary>
    private async ValueTask WriteTokensAsync(RemctlTokenFlags flags, IEnumerable<byte[]> payloads, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>();
        foreach (var payload in payloads)
        {
            RemctlTokenWriter.WriteToken(buffer, flags, payload);
        }

        await _stream.WriteAsync(buffer.WrittenMemory, cancellationToken);
    }

    /// <summary>Reads one token with the configured timeout; throws at end of stream.</summary>
    private async ValueTask<(RemctlTokenFlags Flags, byte[] Payload)> ReadTokenAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        using var cts = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        if (timeout != Timeout.InfiniteTimeSpan)
        {
            cts.CancelAfter(timeout);
        }

        try
        {
            while (true)
            {
                var result = await _reader.ReadAsync(cts.Token);
                var buffer = result.Buffer;
                var consumed = buffer.Start;
                var examined = buffer.End;
                try
                {
                    if (_tokenReader.TryParseMessage(buffer, ref consumed, ref examined, out var token))
                    {
                        return (token.Flags, token.Payload.ToArray());
                    }

                    if (result.IsCompleted)
                    {
                        throw new RemctlException(buffer.IsEmpty
                            ? "Server closed the connection"
                            : "Server closed the connection inside a token");
                    }
                }
                finally
                {
                    _reader.AdvanceTo(consumed, examined);
                }
            }
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            throw new TimeoutException($"No reply from remctl server {Host} within {timeout}");
        }
    }

    private static IPEndPoint? Resolve(string host, int port)
        => IPAddress.TryParse(host, out var address) ? new IPEndPoint(address, port) : null;
}
