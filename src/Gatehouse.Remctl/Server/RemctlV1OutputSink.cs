using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Server;

/// <summary>
/// <see cref="IRemctlOutput"/> for a protocol version 1 command: standard output and standard error are
/// merged, in the order the writes arrive, into one buffer of at most <see cref="RemctlV1Codec.MaxOutput"/>
/// bytes. Anything beyond is counted and dropped, so the command runs to completion with bounded memory, as
/// remctld drains a v1 program's output once its 65528 bytes are full. Safe for concurrent writers.
/// </summary>
internal sealed class RemctlV1OutputSink : IRemctlOutput
{
    private readonly Lock _lock = new();
    private readonly int _limit;
    private byte[] _buffer = [];
    private int _length;
    private bool _completed;

    /// <param name="limit">Bytes kept (default and at most <see cref="RemctlV1Codec.MaxOutput"/>).</param>
    public RemctlV1OutputSink(int limit = RemctlV1Codec.MaxOutput)
        => _limit = limit is >= 0 and <= RemctlV1Codec.MaxOutput ? limit : throw new ArgumentOutOfRangeException(nameof(limit));

    /// <summary>Bytes written beyond the limit and dropped.</summary>
    public long Discarded { get; private set; }

    /// <summary>The output kept (valid until the next write).</summary>
    public ReadOnlySpan<byte> Output => _buffer.AsSpan(0, _length);

    /// <summary>Marks the command finished; later writes throw.</summary>
    public void Complete()
    {
        lock (_lock)
        {
            _completed = true;
        }
    }

    /// <inheritdoc />
    public ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (stream is not (1 or 2))
        {
            throw new ArgumentOutOfRangeException(nameof(stream), stream, "remctl output stream must be 1 (stdout) or 2 (stderr)");
        }

        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_completed, this);
            int kept = Math.Min(data.Length, _limit - _length);
            if (kept > 0)
            {
                if (_length + kept > _buffer.Length)
                {
                    Array.Resize(ref _buffer, Math.Min(_limit, Math.Max(_length + kept, Math.Max(4096, _buffer.Length * 2))));
                }

                data.Span[..kept].CopyTo(_buffer.AsSpan(_length));
                _length += kept;
            }

            Discarded += data.Length - kept;
        }

        return ValueTask.CompletedTask;
    }
}
