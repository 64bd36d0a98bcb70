using System.Buffers;
using Gatehouse.Remctl.Gss;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Server;

/// <summary>
/// <see cref="IRemctlOutput"/> for one command: splits data into MESSAGE_OUTPUT messages of at most
/// <see cref="RemctlLimits.MaxOutputChunk"/> bytes and queues them wrapped. Safe for concurrent callers
/// (for example a stdout pump and a stderr pump): the sender serialises wrap and queueing.
/// </summary>
internal sealed class RemctlOutputSink : IRemctlOutput
{
    private readonly RemctlTokenSender _sender;
    private readonly GssContext _context;
    private volatile bool _completed;

    public RemctlOutputSink(RemctlTokenSender sender, GssContext context)
    {
        _sender = sender;
        _context = context;
    }

    /// <summary>Total output bytes accepted.</summary>
    public long BytesWritten { get; private set; }

    /// <summary>Marks the command finished; later writes throw.</summary>
    public void Complete() => _completed = true;

    /// <inheritdoc />
    public async ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (stream is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(stream), stream, "remctl output stream must be 1 (stdout) or 2 (stderr)");
        }

        ObjectDisposedException.ThrowIf(_completed, this);
        var message = new ArrayBufferWriter<byte>(Math.Min(data.Length, RemctlLimits.MaxOutputChunk) + 7);
        while (!data.IsEmpty)
        {
            int n = Math.Min(data.Length, RemctlLimits.MaxOutputChunk);
            message.ResetWrittenCount();
            RemctlMessageWriter.WriteOutput(message, (byte)stream, data.Span[..n]);
            await _sender.SendMessageAsync(_context, message.WrittenMemory, cancellationToken);
            BytesWritten += n;
            data = data[n..];
        }
    }
}
