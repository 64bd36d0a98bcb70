using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using Gatehouse.Client;
using Gatehouse.NodeSets;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Security;
using Gatehouse.WebConsole.Gateways;

namespace Gatehouse.WebConsole.Runs;

/// <summary>
/// The runs of this console: checks a <see cref="RunRequest"/> (node set, command, limits), resolves
/// its nodes and pins as <c>gatehouse call -w</c> does, starts it, and keeps the last
/// <see cref="ConsoleOptions.MaxRunsKept"/> for their pages. At most <see cref="MaxActiveRuns"/> run at once.
/// </summary>
internal sealed class RunRegistry(ConsoleOptions options, ClusterReader reader, GatewayPins pins, ClientPool pool)
{
    /// <summary>Most runs in progress at once.</summary>
    public const int MaxActiveRuns = 8;

    /// <summary>Most arguments of one command, and the longest one (bytes of UTF-8).</summary>
    public const int MaxArguments = 256, MaxArgumentBytes = 64 * 1024;

    private readonly ConcurrentDictionary<string, (Run Run, long Order)> _runs = new(StringComparer.Ordinal);
    private readonly object _startLock = new();
    private long _order;

    /// <summary>The run with this id, if it is still kept.</summary>
    public Run? Find(string id) => _runs.TryGetValue(id, out var entry) ? entry.Run : null;

    /// <summary>Cancels every run still in progress (the console is stopping).</summary>
    public void CancelAll()
    {
        foreach (var (_, (run, _)) in _runs)
        {
            run.Cancel();
        }
    }

    /// <summary>Every run's completion (to wait for them on shutdown).</summary>
    public Task WhenAllFinished() => Task.WhenAll(_runs.Values.Select(e => e.Run.Completion));

    /// <summary>Checks and starts a run.</summary>
    /// <returns>The run, or why it was refused (one line for the page) and whether it is the caller's fault (400) or a limit (429).</returns>
    public async Task<(Run? Run, string? Error, bool Busy)> StartAsync(RunRequest request, CancellationToken cancellationToken)
    {
        if (string.IsNullOrWhiteSpace(request.Nodes))
        {
            return (null, "Give the nodes (a node set such as gw[1-3] or @cluster).", false);
        }

        if (string.IsNullOrWhiteSpace(request.Command) || request.Command.Length > 256 || request.Command.Any(char.IsControl))
        {
            return (null, "Give the command (one word, at most 256 characters).", false);
        }

        string domain = string.IsNullOrWhiteSpace(request.Domain) ? Protocol.RequestHeader.DefaultDomain : request.Domain.Trim();
        IReadOnlyList<string> args = request.Args ?? [];
        if (args.Count > MaxArguments || args.Any(a => a is null || Encoding.UTF8.GetByteCount(a) > MaxArgumentBytes))
        {
            return (null, $"At most {MaxArguments} arguments of at most {MaxArgumentBytes / 1024} KiB each.", false);
        }

        byte[]? stdin = string.IsNullOrEmpty(request.Stdin) ? null : Encoding.UTF8.GetBytes(request.Stdin);
        if (stdin is { Length: var length } && length > options.MaxStdinBytes)
        {
            return (null, $"Stdin is {length} bytes; the console takes at most {options.MaxStdinBytes}.", false);
        }

        if (_runs.Values.Count(e => !e.Run.Finished) >= MaxActiveRuns)
        {
            return (null, $"{MaxActiveRuns} runs are in progress; wait for one to end or cancel one.", true);
        }

        var (members, problem) = await reader.MembersAsync(cancellationToken);
        NodeSet nodes;
        try
        {
            var groups = ClusterReader.Groups(options, members);
            if (groups.Cluster is null && problem is not null && request.Nodes.Contains("@cluster", StringComparison.Ordinal))
            {
                return (null, $"@cluster: {problem.Message}", false);
            }

            nodes = NodeSet.Parse(request.Nodes, groups.ParseOptions with { MaxNodes = options.MaxRunNodes });
        }
        catch (Exception ex) when (ex is FormatException or IOException or UnauthorizedAccessException)
        {
            return (null, ex.Message, false);
        }

        if (nodes.IsEmpty)
        {
            return (null, $"'{request.Nodes}' has no nodes.", false);
        }

        var reported = (members ?? []).Where(m => m.Fingerprint is not null).ToDictionary(m => m.Address, m => m.Fingerprint, StringComparer.OrdinalIgnoreCase);
        var targets = new List<RunTarget>(nodes.Count);
        try
        {
            foreach (string node in nodes)
            {
                var endpoint = Endpoint.Parse(node);
                targets.Add(new RunTarget(node, endpoint, pins.For(endpoint, reported.GetValueOrDefault(node) ?? reported.GetValueOrDefault(endpoint.ToString()))));
            }
        }
        catch (FormatException ex)
        {
            return (null, ex.Message, false);
        }

        var call = new CallRequest(request.Command.Trim(), [.. args]) { Domain = domain, Stdin = stdin };
        var run = new Run(Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)), targets, call, args, pool, options.MaxOutputBytesPerNode);
        lock (_startLock)
        {
            // Checked again here: two requests may both have passed the first check while resolving their nodes.
            if (_runs.Values.Count(e => !e.Run.Finished) >= MaxActiveRuns)
            {
                return (null, $"{MaxActiveRuns} runs are in progress; wait for one to end or cancel one.", true);
            }

            _runs[run.Id] = (run, ++_order);
            Forget();
        }

        run.Start();
        return (run, null, false);
    }

    /// <summary>Drops the oldest finished runs past the limit.</summary>
    private void Forget()
    {
        int extra = _runs.Count - options.MaxRunsKept;
        foreach (var (id, _) in _runs.Where(e => e.Value.Run.Finished).OrderBy(e => e.Value.Order).Take(Math.Max(0, extra)).ToList())
        {
            _runs.TryRemove(id, out _);
        }
    }
}
