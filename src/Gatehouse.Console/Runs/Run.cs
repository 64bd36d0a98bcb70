using System.Buffers;
using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Gatehouse.Client;
using Gatehouse.NodeSets;
using Gatehouse.Protocol;
using Gatehouse.Transport.Connections;
using Gatehouse.Transport.Mux;
using Gatehouse.WebConsole.Gateways;

namespace Gatehouse.WebConsole.Runs;

/// <summary>
/// One command run on a set of nodes from the Run page: a streaming call per node (all at once,
/// through the shared client pool), every event kept in order so a page that (re)connects gets the
/// whole run, then the gathered view made by <see cref="GatheredOutput"/> and
/// <see cref="StatusSummary"/> as <c>gatehouse call -b</c> makes it. <see cref="Cancel"/> cancels
/// every call (the gateways pass the CANCEL on to the services and processes running them).
/// </summary>
internal sealed class Run
{
    private readonly object _lock = new();
    private readonly List<string> _events = [];
    private readonly CancellationTokenSource _cancel = new();
    private readonly IReadOnlyList<RunTarget> _targets;
    private readonly CallRequest _request;
    private readonly ClientPool _pool;
    private readonly int _maxOutput;
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private TaskCompletionSource _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private bool _ended;

    public Run(string id, IReadOnlyList<RunTarget> targets, CallRequest request, IReadOnlyList<string> args, ClientPool pool, int maxOutputBytesPerNode)
    {
        Id = id;
        _targets = targets;
        _request = request;
        _pool = pool;
        _maxOutput = maxOutputBytesPerNode;
        var nodes = NodeSet.FromNodes(targets.Select(t => t.Node));
        Append(new RunStarted(id, [.. nodes], nodes.Fold(), request.Domain, request.Command, args));
    }

    /// <summary>How many nodes it calls.</summary>
    public int NodeCount => _targets.Count;

    /// <summary>The run's id (128 random bits, hex).</summary>
    public string Id { get; }

    /// <summary>Completes when every node has finished and the end event is written.</summary>
    public Task Completion { get; private set; } = Task.CompletedTask;

    /// <summary>True once every node has finished and the end event is written.</summary>
    public bool Finished
    {
        get
        {
            lock (_lock)
            {
                return _ended;
            }
        }
    }

    /// <summary>Starts every node's call.</summary>
    public void Start() => Completion = RunAllAsync();

    /// <summary>Cancels every call still running; each node then ends as cancelled (or with what it had already finished with).</summary>
    public void Cancel()
    {
        if (!Finished)
        {
            _cancel.Cancel();
        }
    }

    /// <summary>The events from number <paramref name="from"/> on (0 is the first), waiting for more until the run ends.</summary>
    public async IAsyncEnumerable<(int Number, string Json)> ReadAsync(int from, [System.Runtime.CompilerServices.EnumeratorCancellation] CancellationToken cancellationToken)
    {
        int next = Math.Max(0, from);
        while (true)
        {
            string[] batch;
            Task changed;
            bool finished;
            lock (_lock)
            {
                batch = next < _events.Count ? [.. _events.Skip(next)] : [];
                changed = _changed.Task;
                finished = _ended;
            }

            foreach (string json in batch)
            {
                yield return (next++, json);
            }

            if (batch.Length == 0 && finished)
            {
                yield break;
            }

            if (batch.Length == 0)
            {
                await changed.WaitAsync(cancellationToken);
            }
        }
    }

    private void Append(RunEvent e)
    {
        string json = JsonSerializer.Serialize(e, e.GetType(), JsonSerializerOptions.Web);
        TaskCompletionSource changed;
        lock (_lock)
        {
            _events.Add(json);
            _ended |= e is RunEnded;
            changed = _changed;
            _changed = new(TaskCreationOptions.RunContinuationsAsynchronously);
        }

        changed.TrySetResult();
    }

    private async Task RunAllAsync()
    {
        var results = await Task.WhenAll(_targets.Select(t => Task.Run(() => RunNodeAsync(t))));
        var gathered = GatheredOutput.Gather(results, OutputStreams.Stdout)
            .Select(g => new GatheredBlock(g.Nodes.Fold(), g.Nodes.Count, g.Status, Encoding.UTF8.GetString(g.Output.Span)))
            .ToList();
        var statuses = StatusSummary.Group(results)
            .Select(g => new StatusBlock(g.Nodes.Fold(), g.Nodes.Count, g.Status, g.Status == "exit 0"))
            .ToList();
        Append(new RunEnded(_cancel.IsCancellationRequested, gathered, statuses));
    }

    private async Task<NodeResult> RunNodeAsync(RunTarget target)
    {
        var output = new NodeBuffers(_maxOutput);
        CancellationToken token = _cancel.Token;
        if (target.Pin.Fingerprint is not { } pin)
        {
            return Done(target, output, "unreachable", null, GatewayProblem.Untrusted(target.Endpoint).Message);
        }

        ActiveCall call;
        try
        {
            call = await _pool.Get(target.Endpoint, pin).StartCallAsync(_request, token);
        }
        catch (OperationCanceledException) when (token.IsCancellationRequested)
        {
            return Done(target, output, "cancelled", null, null);
        }
        catch (ConnectException ex)
        {
            return Done(target, output, "unreachable", null, GatewayProblem.Of(ex, target.Endpoint, target.Pin).Message);
        }
        catch (Exception ex) when (ex is ConnectionClosedException or IOException or ObjectDisposedException)
        {
            return Done(target, output, "unreachable", null, "connection closed: " + ex.Message);
        }

        await using (call)
        {
            try
            {
                await foreach (var chunk in call.ReadOutputAsync(token))
                {
                    if (output.Add(chunk.Stream, chunk.Data.Span) is { Length: > 0 } text)
                    {
                        Append(new RunOutput(target.Node, chunk.Stream == 2 ? "stderr" : "stdout", text));
                    }
                }
            }
            catch (OperationCanceledException) when (token.IsCancellationRequested)
            {
                // The CANCEL went out (ReadOutputAsync sends it); the final status follows below.
            }

            CallStatus status;
            try
            {
                status = await call.Completion.WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (TimeoutException)
            {
                return Done(target, output, "cancelled", null, "cancelled; the gateway did not confirm in time");
            }

            if (output.Flush() is { } rest)
            {
                foreach (var (stream, text) in rest)
                {
                    Append(new RunOutput(target.Node, stream, text));
                }
            }

            if (status.Kind == StatusKind.Exit)
            {
                return Done(target, output, status.Code == 0 ? "ok" : "failed", status.Code, null);
            }

            return token.IsCancellationRequested && status.ErrorCode is ErrorCode.Cancelled or ErrorCode.DeadlineExceeded
                ? Done(target, output, "cancelled", null, null)
                : Done(target, output, "error", null, GatewayProblem.Of(status).Message);
        }
    }

    private NodeResult Done(RunTarget target, NodeBuffers output, string kind, int? exitCode, string? error)
    {
        Append(new RunNodeDone(target.Node, kind, exitCode, error, Math.Round(_clock.Elapsed.TotalMilliseconds, 1), output.Truncated));
        return exitCode is { } code
            ? NodeResult.Exited(target.Node, code, output.Stdout, output.Stderr)
            : NodeResult.Failed(target.Node, error ?? kind, output.Stdout, output.Stderr);
    }

    /// <summary>A node's output: bytes kept for gathering (up to the limit) and decoders that keep characters split between chunks whole.</summary>
    private sealed class NodeBuffers(int limit)
    {
        private readonly ArrayBufferWriter<byte> _stdout = new();
        private readonly ArrayBufferWriter<byte> _stderr = new();
        private readonly Decoder _stdoutText = new UTF8Encoding(false, false).GetDecoder();
        private readonly Decoder _stderrText = new UTF8Encoding(false, false).GetDecoder();

        public bool Truncated { get; private set; }

        public ReadOnlyMemory<byte> Stdout => _stdout.WrittenMemory;

        public ReadOnlyMemory<byte> Stderr => _stderr.WrittenMemory;

        /// <summary>Keeps what fits; returns the text to show now (empty past the limit).</summary>
        public string Add(int stream, ReadOnlySpan<byte> data)
        {
            var (buffer, decoder) = stream == 2 ? (_stderr, _stderrText) : (_stdout, _stdoutText);
            int room = limit - _stdout.WrittenCount - _stderr.WrittenCount;
            if (data.Length > room)
            {
                Truncated = true;
                data = data[..Math.Max(0, room)];
            }

            if (data.IsEmpty)
            {
                return string.Empty;
            }

            buffer.Write(data);
            char[] chars = new char[decoder.GetCharCount(data, flush: false)];
            int n = decoder.GetChars(data, chars, flush: false);
            return new string(chars, 0, n);
        }

        /// <summary>What the decoders still hold (an incomplete last character), as replacement characters.</summary>
        public List<(string Stream, string Text)>? Flush()
        {
            List<(string, string)>? rest = null;
            foreach (var (name, decoder) in new[] { ("stdout", _stdoutText), ("stderr", _stderrText) })
            {
                char[] chars = new char[8];
                int n = decoder.GetChars([], chars, flush: true);
                if (n > 0)
                {
                    (rest ??= []).Add((name, new string(chars, 0, n)));
                }
            }

            return rest;
        }
    }
}
