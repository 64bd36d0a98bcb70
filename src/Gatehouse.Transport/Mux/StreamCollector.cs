using System.Buffers;
using Gatehouse.Protocol;
using Gatehouse.Transport.Internal;

namespace Gatehouse.Transport.Mux;

/// <summary>
/// Gathers everything a request produces (output by stream number, then the final status) as the
/// read loop delivers it: no queue, no reading task, one thread hop when the status arrives. For
/// callers that want the whole result rather than a stream of chunks. Output is copied out of the
/// read buffer at once, so credit goes back to the sender immediately (the caller has chosen to
/// hold the whole output in memory).
/// </summary>
public sealed class StreamCollector : IStreamSink
{
    private readonly TaskCompletionSource<CallStatus> _status = new(TaskCreationOptions.RunContinuationsAsynchronously);

    // Standard output has its own writer (nearly every result has only that); anything else goes
    // in the dictionary. Touched only by the read loop until the status is set.
    private byte[]? _stdoutOnly;   // the first stdout chunk, as it is, while it is the only one
    private ArrayBufferWriter<byte>? _stdout;
    private Dictionary<int, ArrayBufferWriter<byte>>? _others;

    private StreamCollector()
    {
    }

    /// <summary>Completes with the final status; the outputs are complete by then.</summary>
    public Task<CallStatus> Completion => _status.Task;

    /// <summary>From now on <paramref name="stream"/>'s output and status go to a new collector (events already queued first).</summary>
    /// <exception cref="ArgumentException">The stream was not opened by this side.</exception>
    public static StreamCollector Attach(MuxStream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        if (!stream.IsLocal)
        {
            throw new ArgumentException("Only a requester's stream has output to collect", nameof(stream));
        }

        var collector = new StreamCollector();
        stream.AttachSink(collector);
        return collector;
    }

    /// <summary>The output by stream number, each as one array. Call after <see cref="Completion"/>.</summary>
    /// <exception cref="InvalidOperationException">The status has not arrived yet.</exception>
    public Dictionary<int, byte[]> TakeOutputs()
    {
        if (!_status.Task.IsCompleted)
        {
            throw new InvalidOperationException("The request has not finished");
        }

        lock (_status)
        {
            var outputs = new Dictionary<int, byte[]>(_others is null ? 1 : _others.Count + 1);
            if (_stdoutOnly is not null)
            {
                outputs[1] = _stdoutOnly;
            }
            else if (_stdout is not null)
            {
                outputs[1] = _stdout.WrittenSpan.ToArray();
            }

            if (_others is not null)
            {
                foreach (var (n, writer) in _others)
                {
                    outputs[n] = writer.WrittenSpan.ToArray();
                }
            }

            return outputs;
        }
    }

    void IStreamSink.OnData(MuxStream source, byte outStream, in ReadOnlySequence<byte> data)
    {
        // Uncontended (the read loop is the only writer): it only orders a late DATA against a
        // status set from elsewhere (an abandoned request).
        lock (_status)
        {
            if (!_status.Task.IsCompleted)
            {
                Append(outStream, data);
            }
        }

        source.ReturnCredit((int)data.Length);
    }

    private void Append(byte outStream, in ReadOnlySequence<byte> data)
    {
        int length = (int)data.Length;
        ArrayBufferWriter<byte> writer;
        if (outStream == 1)
        {
            if (_stdout is null)
            {
                if (_stdoutOnly is null)
                {
                    // Most results are one chunk: keep it as the final array (no buffer, no second copy).
                    _stdoutOnly = data.ToArray();
                    return;
                }

                _stdout = new ArrayBufferWriter<byte>(Math.Max(2 * (_stdoutOnly.Length + length), 256));
                _stdout.Write(_stdoutOnly);
                _stdoutOnly = null;
            }

            writer = _stdout;
        }
        else
        {
            _others ??= [];
            if (!_others.TryGetValue(outStream, out writer!))
            {
                _others[outStream] = writer = new ArrayBufferWriter<byte>(Math.Max(length, 256));
            }
        }

        data.CopyTo(writer.GetSpan(length));
        writer.Advance(length);
    }

    void IStreamSink.OnEndOfInput(MuxStream source)
    {
        // Requester streams receive no end of input.
    }

    void IStreamSink.OnStatus(MuxStream source, in CallStatus status)
    {
        lock (_status)
        {
            _status.TrySetResult(status);
        }
    }

    void IStreamSink.OnAborted(MuxStream source)
    {
        // A lost connection also delivers a status (MuxStream.OnConnectionLost), which ends the collection.
    }
}
