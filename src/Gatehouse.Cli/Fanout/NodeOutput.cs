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
    private readonly GatherBudget _budget;
    private readonly FileStream? _outFile;
    private readonly FileStream? _errFile;
    private MemoryStream? _stdout;
    private MemoryStream? _stderr;
    private LinePrefixWriter? _liveOut;
    private LinePrefixWriter? _liveErr;
    private bool _closed;

    public NodeOutput(string node, FanoutSettings settings, ConsoleOutput console, GatherBudget budget)
    {
        Node = node;
        _console = console;
        _budget = budget;
        _stdout = settings.BuffersStdout ? new MemoryStream() : null;
        _stderr = settings.BuffersStderr ? new MemoryStream() : null;
        _liveOut = settings.LiveStdout ? new LinePrefixWriter(console.Out, node) : null;
        _liveErr = settings.LiveStderr ? new LinePrefixWriter(console.Error, node) : null;
        _outFile = settings.OutDir is { } o ? File.Create(Path.Combine(o, node)) : null;
        _errFile = settings.ErrDir is { } e ? File.Create(Path.Combine(e, node)) : null;
        budget.Add(this);
    }

    public string Node { get; }

    /// <summary>Standard output kept for the end (empty once the gathering was given up).</summary>
    public ReadOnlyMemory<byte> Stdout => _stdout is null ? default : _stdout.GetBuffer().AsMemory(0, (int)_stdout.Length);

    /// <summary>Standard error kept for the end (empty once the gathering was given up).</summary>
    public ReadOnlyMemory<byte> Stderr => _stderr is null ? default : _stderr.GetBuffer().AsMemory(0, (int)_stderr.Length);

    /// <summary>Some of this node's output was not kept because <c>--gather-limit</c> was reached (<c>--json</c>).</summary>
    public bool Truncated { get; private set; }

    public void Write(int stream, ReadOnlySpan<byte> data)
    {
        bool error = stream == 2;
        lock (_console.Sync)
        {
            if (_closed)
            {
                return;
            }

            (error ? _errFile : _outFile)?.Write(data);
            if ((error ? _stderr : _stdout) is { } kept)
            {
                if (_budget.TryTakeUnsynchronized(data.Length))
                {
                    kept.Write(data);
                }
                else if (!_budget.Spilled)
                {
                    Truncated = true; // --json: the object stays whole, this output is not kept
                }
            }

            // After a spill this node may print live too (the budget just turned it so).
            if ((error ? _liveErr : _liveOut) is { } live)
            {
                _console.ClearProgressUnsynchronized();
                live.Append(data);
            }
        }
    }

    /// <summary>
    /// Under <see cref="ConsoleOutput.Sync"/>, when <c>--gather-limit</c> is reached: what was kept is
    /// printed now as <c>node: line</c> (or dropped where a file of --outdir/--errdir has it), and this
    /// node's output is printed as it comes from now on.
    /// </summary>
    public void SpillUnsynchronized()
    {
        _liveOut = Spill(ref _stdout, _outFile, _liveOut, _console.Out);
        _liveErr = Spill(ref _stderr, _errFile, _liveErr, _console.Error);
    }

    private LinePrefixWriter? Spill(ref MemoryStream? kept, FileStream? file, LinePrefixWriter? live, TextWriter writer)
    {
        if (kept is null)
        {
            return live;
        }

        var buffer = kept.GetBuffer().AsSpan(0, (int)kept.Length);
        kept = null;
        if (file is not null)
        {
            return live; // the file has all of it already, and gets the rest
        }

        live ??= new LinePrefixWriter(writer, Node);
        live.Append(buffer);
        if (_closed)
        {
            live.Complete();
        }

        return live;
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
