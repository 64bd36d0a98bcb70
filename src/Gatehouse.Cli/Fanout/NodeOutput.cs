using Gatehouse.NodeSets;

namespace Gatehouse.Cli.Fanout;

/// <summary>Where a node's output goes as it arrives (stream 1 = stdout, 2 = stderr).</summary>
internal interface INodeOutput
{
    /// <summary>Takes the next chunk of one stream; called by the node's reader only, never concurrently for one node.</summary>
    void Write(int stream, ReadOnlySpan<byte> data);
}

/// <summary>
/// One node's output in a fan-out: printed live with the node's prefix (whole lines only), kept for
/// the gathered views at the end, and written to <c>--outdir</c>/<c>--errdir</c> files, as the
/// settings ask. After <see cref="Close"/> further output is dropped (an interrupted node still
/// writing while the summary prints).
/// </summary>
internal sealed class NodeOutput : INodeOutput, IDisposable
{
    private readonly ConsoleOutput _console;
    private readonly MemoryStream? _stdout;
    private readonly MemoryStream? _stderr;
    private readonly LinePrefixWriter? _liveOut;
    private readonly LinePrefixWriter? _liveErr;
    private readonly FileStream? _outFile;
    private readonly FileStream? _errFile;
    private bool _closed;

    public NodeOutput(string node, FanoutSettings settings, ConsoleOutput console)
    {
        Node = node;
        _console = console;
        _stdout = settings.BuffersStdout ? new MemoryStream() : null;
        _stderr = settings.BuffersStderr ? new MemoryStream() : null;
        _liveOut = settings.LiveStdout ? new LinePrefixWriter(console.Out, node) : null;
        _liveErr = settings.LiveStderr ? new LinePrefixWriter(console.Error, node) : null;
        _outFile = settings.OutDir is { } o ? File.Create(Path.Combine(o, node)) : null;
        _errFile = settings.ErrDir is { } e ? File.Create(Path.Combine(e, node)) : null;
    }

    public string Node { get; }

    public ReadOnlyMemory<byte> Stdout => _stdout is null ? default : _stdout.GetBuffer().AsMemory(0, (int)_stdout.Length);

    public ReadOnlyMemory<byte> Stderr => _stderr is null ? default : _stderr.GetBuffer().AsMemory(0, (int)_stderr.Length);

    public void Write(int stream, ReadOnlySpan<byte> data)
    {
        bool error = stream == 2;
        lock (_console.Sync)
        {
            if (_closed)
            {
                return;
            }

            (error ? _stderr : _stdout)?.Write(data);
            (error ? _errFile : _outFile)?.Write(data);
            if ((error ? _liveErr : _liveOut) is { } live)
            {
                _console.ClearProgressUnsynchronized();
                live.Append(data);
            }
        }
    }

    /// <summary>Prints a last line that had no newline, closes the files; later output is dropped.</summary>
    public void Close()
    {
        lock (_console.Sync)
        {
            if (_closed)
            {
                return;
            }

            _closed = true;
            _console.ClearProgressUnsynchronized();
            _liveOut?.Complete();
            _liveErr?.Complete();
            _outFile?.Dispose();
            _errFile?.Dispose();
        }
    }

    public void Dispose() => Close();
}
