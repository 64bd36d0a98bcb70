using Gatehouse.NodeSets;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// The terminal side of a fan-out: one lock for every write to stdout and stderr (lines of many
/// nodes never interleave inside a line), and the one-line progress display on a terminal's stderr
/// (<c>[12/20] waiting: node[3,7-9]</c>), cleared before anything else is printed.
/// </summary>
internal sealed class ConsoleOutput(NodeSet all, bool progress)
{
    private readonly bool _progress = progress && !Console.IsErrorRedirected;
    private readonly HashSet<string> _outstanding = [.. all];
    private bool _shown;

    /// <summary>Held for every write; also guards the progress state.</summary>
    public Lock Sync { get; } = new();

    public TextWriter Out { get; } = Console.Out;

    public TextWriter Error { get; } = Console.Error;

    /// <summary>Under <see cref="Sync"/>: removes the progress line before other output.</summary>
    public void ClearProgressUnsynchronized()
    {
        if (_shown)
        {
            Error.Write("\r\u001b[K");
            _shown = false;
        }
    }

    /// <summary>A node finished: updates the progress line.</summary>
    public void Done(string node)
    {
        lock (Sync)
        {
            _outstanding.Remove(node);
            if (!_progress)
            {
                return;
            }

            if (_outstanding.Count == 0)
            {
                ClearProgressUnsynchronized();
                return;
            }

            string line = ProgressLine.Format(all.Count - _outstanding.Count, all.Count, NodeSet.FromNodes(_outstanding), Math.Max(20, Width() - 1));
            Error.Write("\r" + line + "\u001b[K");
            _shown = true;
        }
    }

    private static int Width()
    {
        try
        {
            return Console.WindowWidth;
        }
        catch (IOException)
        {
            return 80; // no terminal size available
        }
    }
}
