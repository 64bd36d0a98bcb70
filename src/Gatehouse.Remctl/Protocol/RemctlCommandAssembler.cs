using Gatehouse.Protocol;
using System.Buffers;
using System.Buffers.Binary;

namespace Gatehouse.Remctl.Protocol;

/// <summary>
/// Reassembles a command from MESSAGE_COMMAND chunks (draft section 3.2) and parses its arguments
/// incrementally, so limits apply as soon as a count or length is declared and nothing beyond the data
/// actually received is allocated. Splits anywhere are accepted, even inside a count or length.
/// Pure: no I/O. Not thread-safe; one per connection.
/// </summary>
/// <remarks>
/// <code>
/// reassembled data:  argc(4, big-endian) | length(4, big-endian) argument | length(4) argument | ...
/// </code>
/// Violations raise <see cref="RemctlProtocolException"/> with the code remctld sends:
/// too many arguments <see cref="RemctlErrorCode.TooManyArgs"/>, too much data
/// <see cref="RemctlErrorCode.TooMuchData"/>, bad continuation or framing <see cref="RemctlErrorCode.BadCommand"/>,
/// no arguments <see cref="RemctlErrorCode.UnknownCommand"/>. After an exception the assembler is reset.
/// </remarks>
public sealed class RemctlCommandAssembler
{
    private enum Phase { Count, Length, Data, Done }

    private readonly int _maxArguments;
    private readonly long _maxBytes;
    private readonly byte[] _number = new byte[4];
    private int _numberFill;
    private Phase _phase;
    private uint _argc;
    private long _received;
    private long _declared;
    private int _argLength;
    private int _argFill;
    private ArrayBufferWriter<byte> _data = new();
    private List<(int Offset, int Length)> _arguments = [];

    /// <summary>Creates an assembler with remctld's limits unless others are given.</summary>
    public RemctlCommandAssembler(int maxArguments = RemctlLimits.DefaultMaxArguments,
        long maxCommandBytes = RemctlLimits.DefaultMaxCommandBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxArguments);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxCommandBytes);
        _maxArguments = maxArguments;
        _maxBytes = maxCommandBytes;
    }

    /// <summary>True while a continued command is waiting for more chunks.</summary>
    public bool InProgress { get; private set; }

    /// <summary>Keep-alive flag of the most recent chunk (remctld honours the last one seen).</summary>
    public bool KeepAlive { get; private set; }

    /// <summary>
    /// Adds one chunk. Returns true and the arguments (<c>[0]</c> = command) when the command is complete;
    /// false when more chunks are expected.
    /// </summary>
    /// <exception cref="RemctlProtocolException">The chunk violates the protocol or a limit.</exception>
    public bool Append(RemctlCommandMessage message, out IReadOnlyList<ReadOnlyMemory<byte>> arguments)
    {
        ArgumentNullException.ThrowIfNull(message);
        arguments = [];
        try
        {
            return AppendCore(message, out arguments);
        }
        catch (RemctlProtocolException)
        {
            Reset();
            throw;
        }
    }

    /// <summary>Discards any partial command (MESSAGE_QUIT mid-command, or after an error).</summary>
    public void Reset()
    {
        InProgress = false;
        _phase = Phase.Count;
        _numberFill = 0;
        _argc = 0;
        _received = 0;
        _declared = 0;
        _argLength = 0;
        _argFill = 0;
        _data = new ArrayBufferWriter<byte>();
        _arguments = [];
    }

    private bool AppendCore(RemctlCommandMessage message, out IReadOnlyList<ReadOnlyMemory<byte>> arguments)
    {
        arguments = [];
        var status = message.Continue;
        if ((status == RemctlContinueStatus.First && InProgress)
            || (status is RemctlContinueStatus.Middle or RemctlContinueStatus.Last && !InProgress)
            || (status is RemctlContinueStatus.Complete && InProgress)
            || status > RemctlContinueStatus.Last)
        {
            ThrowHelper.Protocol(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
        }

        KeepAlive = message.KeepAlive;
        _received += message.Data.Length;
        if (_received > _maxBytes)
        {
            ThrowHelper.Protocol(RemctlErrorCode.TooMuchData, RemctlErrorMessages.TooMuchData);
        }

        Consume(message.Data.Span);
        if (status is RemctlContinueStatus.First or RemctlContinueStatus.Middle)
        {
            InProgress = true;
            return false;
        }

        if (_phase != Phase.Done)
        {
            ThrowHelper.Protocol(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
        }

        if (_argc == 0)
        {
            ThrowHelper.Protocol(RemctlErrorCode.UnknownCommand, RemctlErrorMessages.UnknownCommand);
        }

        var buffer = _data.WrittenMemory;
        var result = new ReadOnlyMemory<byte>[_arguments.Count];
        for (int i = 0; i < result.Length; i++)
        {
            result[i] = buffer.Slice(_arguments[i].Offset, _arguments[i].Length);
        }

        arguments = result;
        bool keepAlive = KeepAlive;
        Reset();
        KeepAlive = keepAlive;
        return true;
    }

    private void Consume(ReadOnlySpan<byte> data)
    {
        while (!data.IsEmpty)
        {
            switch (_phase)
            {
                case Phase.Count:
                case Phase.Length:
                    int take = Math.Min(4 - _numberFill, data.Length);
                    data[..take].CopyTo(_number.AsSpan(_numberFill));
                    _numberFill += take;
                    data = data[take..];
                    if (_numberFill == 4)
                    {
                        _numberFill = 0;
                        uint value = BinaryPrimitives.ReadUInt32BigEndian(_number);
                        if (_phase == Phase.Count)
                        {
                            OnCount(value);
                        }
                        else
                        {
                            OnLength(value);
                        }
                    }

                    break;

                case Phase.Data:
                    int n = Math.Min(_argLength - _argFill, data.Length);
                    data[..n].CopyTo(_data.GetSpan(n));
                    _data.Advance(n);
                    _argFill += n;
                    data = data[n..];
                    if (_argFill == _argLength)
                    {
                        EndArgument();
                    }

                    break;

                default:
                    ThrowHelper.Protocol(RemctlErrorCode.BadCommand, RemctlErrorMessages.BadCommand);
                    break;
            }
        }
    }

    private void OnCount(uint argc)
    {
        if (argc > (uint)_maxArguments)
        {
            ThrowHelper.Protocol(RemctlErrorCode.TooManyArgs, RemctlErrorMessages.TooManyArgs);
        }

        _argc = argc;
        _arguments = new List<(int, int)>((int)Math.Min(argc, 64u));
        _phase = argc == 0 ? Phase.Done : Phase.Length;
    }

    private void OnLength(uint length)
    {
        // Checked before a single byte of the argument is buffered.
        if (length > _maxBytes - _declared || length > int.MaxValue)
        {
            ThrowHelper.Protocol(RemctlErrorCode.TooMuchData, RemctlErrorMessages.TooMuchData);
        }

        _declared += length;
        _argLength = (int)length;
        _argFill = 0;
        if (length == 0)
        {
            EndArgument();
        }
        else
        {
            _phase = Phase.Data;
        }
    }

    private void EndArgument()
    {
        _arguments.Add((_data.WrittenCount - _argLength, _argLength));
        _phase = _arguments.Count == _argc ? Phase.Done : Phase.Length;
    }
}
