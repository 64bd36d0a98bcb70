namespace Gatehouse.Cli.Fanout;

/// <summary>
/// A single node's output, passed through byte for byte to this command's stdout and stderr as it
/// arrives. Remembers whether each stream ended inside a line, so a message of ours starts on a
/// line of its own (<see cref="EndLine"/>) instead of being glued to the remote command's last,
/// unfinished line.
/// </summary>
internal sealed class DirectOutput : INodeOutput, IDisposable
{
    private readonly Stream _stdout = Console.OpenStandardOutput();
    private readonly Stream _stderr = Console.OpenStandardError();
    private bool _stdoutOpenLine;
    private bool _stderrOpenLine;

    public void Write(int stream, ReadOnlySpan<byte> data)
    {
        if (data.IsEmpty)
        {
            return;
        }

        bool error = stream == 2;
        var target = error ? _stderr : _stdout;
        target.Write(data);
        target.Flush();
        if (error)
        {
            _stderrOpenLine = data[^1] != (byte)'\n';
        }
        else
        {
            _stdoutOpenLine = data[^1] != (byte)'\n';
        }
    }

    /// <summary>
    /// Before a message on stderr: ends an unfinished line on stderr, or on stdout when stdout and
    /// stderr end up in the same place (a terminal, or one file or pipe as with <c>2&gt;&amp;1</c>);
    /// a stdout redirected elsewhere is left as the command wrote it.
    /// </summary>
    public void EndLine()
    {
        if (_stderrOpenLine || (_stdoutOpenLine && ((!Console.IsOutputRedirected && !Console.IsErrorRedirected) || SharedOutput.Value)))
        {
            _stderr.Write("\n"u8);
            _stderr.Flush();
            _stderrOpenLine = _stdoutOpenLine = false;
        }
    }

    /// <summary>Whether stdout and stderr are the same open file or pipe (Linux: the same <c>/proc/self/fd</c> target).</summary>
    private static readonly Lazy<bool> SharedOutput = new(() =>
    {
        try
        {
            string? stdout = new FileInfo("/proc/self/fd/1").LinkTarget;
            return stdout is not null && stdout == new FileInfo("/proc/self/fd/2").LinkTarget;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return false; // no /proc: keep stdout as written
        }
    });

    public void Dispose()
    {
        _stdout.Dispose();
        _stderr.Dispose();
    }
}
