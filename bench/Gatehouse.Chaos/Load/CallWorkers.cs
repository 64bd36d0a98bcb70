using System.Buffers;
using System.Globalization;
using System.Text;
using Gatehouse.Chaos.Cluster;
using Gatehouse.Chaos.Ledger;
using Gatehouse.Chaos.Roles;
using Gatehouse.Client;
using Gatehouse.Protocol;

namespace Gatehouse.Chaos.Load;

/// <summary>
/// Keeps <c>concurrency</c> calls in flight through one <see cref="GatehouseClient"/>, each with a
/// fresh id from the ledger, until stopped. Every call ends in the ledger exactly once, with the
/// kind of its end: <c>ok</c> (exit 0 and the id echoed back), <c>wrong-output</c>, <c>exit:N</c>,
/// the error code's name, or <c>exception:Type</c> when the client threw instead.
/// Workers can be paused (the calls in flight finish; no new one starts) and resumed.
/// </summary>
internal sealed class CallWorkers
{
    private readonly GatehouseClient _client;
    private readonly CallLedger _ledger;
    private readonly ChaosOptions _options;
    private readonly Func<long, CallPlan> _plan;
    private readonly Task[] _workers;
    private readonly CancellationTokenSource _stop = new();
    private TaskCompletionSource _open = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public CallWorkers(GatehouseClient client, CallLedger ledger, ChaosOptions options, Func<long, CallPlan> plan)
    {
        _client = client;
        _ledger = ledger;
        _options = options;
        _plan = plan;
        _workers = new Task[options.Concurrency];
        Limit = options.Requests;
    }

    /// <summary>No call starts once the ledger has handed out this many ids (null: no limit). Starts as <c>--requests</c>.</summary>
    public long? Limit { get; set; }

    /// <summary>Starts the workers (paused until <see cref="Resume"/>).</summary>
    public void Start()
    {
        for (int i = 0; i < _workers.Length; i++)
        {
            _workers[i] = Task.Run(WorkAsync);
        }
    }

    /// <summary>Lets the workers start calls.</summary>
    public void Resume() => _open.TrySetResult();

    /// <summary>No new calls after the ones in flight.</summary>
    public void Pause()
    {
        if (_open.Task.IsCompleted)
        {
            _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        }
    }

    /// <summary>Stops for good; returns when every worker has left its loop (calls still hanging keep their worker).</summary>
    public async Task StopAsync(TimeSpan wait)
    {
        _stop.Cancel();
        Resume();
        await Task.WhenAny(Task.WhenAll(_workers), Task.Delay(wait));
    }

    private async Task WorkAsync()
    {
        while (true)
        {
            await _open.Task;
            if (_stop.IsCancellationRequested)
            {
                return;
            }

            if (Limit is { } max && _ledger.Started >= max)
            {
                // The run's request count is reached: idle until the runner lifts the limit (recovery) or stops.
                await Task.Delay(20);
                continue;
            }

            long id = _ledger.Start();
            var plan = _plan(id);
            var (kind, ok, detail) = await CallOnceAsync(plan);
            _ledger.End(id, kind, ok, detail);
        }
    }

    private async Task<(string Kind, bool Ok, string Detail)> CallOnceAsync(CallPlan plan)
    {
        string id = plan.Id.ToString(CultureInfo.InvariantCulture);
        var request = plan.Target == CallTarget.Exec
            ? new CallRequest(ChaosCluster.ExecCommand, id)
            : new CallRequest(ChaosServiceRole.Command, plan.DelayMs > 0 ? [id, plan.DelayMs.ToString(CultureInfo.InvariantCulture)] : [id]) { Domain = ChaosServiceRole.Domain };
        request = request with { Deadline = plan.HasDeadline ? _options.Deadline : null, Idempotent = plan.Idempotent };
        try
        {
            CallStatus status;
            byte[] stdout;
            if (plan.Target == CallTarget.ServiceStreaming)
            {
                await using var call = await _client.StartCallAsync(request);
                var output = new ArrayBufferWriter<byte>(16);
                await foreach (var chunk in call.ReadOutputAsync())
                {
                    if (chunk.Stream == 1)
                    {
                        output.Write(chunk.Data.Span);
                    }
                }

                status = await call.Completion;
                stdout = output.WrittenSpan.ToArray();
            }
            else
            {
                var result = await _client.CallAsync(request);
                status = result.Status;
                stdout = result.Stdout;
            }

            var (kind, ok) = Classify(status, stdout, id);
            return (kind, ok, ok ? string.Empty : $"{plan}: {status}; stdout {stdout.Length} bytes");
        }
        catch (Exception ex)
        {
            return ("exception:" + ex.GetType().Name, false, $"{plan}: {ex.Message}");
        }
    }

    private static (string Kind, bool Ok) Classify(CallStatus status, byte[] stdout, string id)
    {
        if (status.Kind == StatusKind.Exit)
        {
            if (status.Code != 0)
            {
                return ("exit:" + status.Code.ToString(CultureInfo.InvariantCulture), false);
            }

            // The backend echoes the id: anything else means output crossed between calls.
            bool right = stdout.Length == id.Length + 1 && stdout[^1] == (byte)'\n' && Encoding.ASCII.GetString(stdout, 0, id.Length) == id;
            return right ? ("ok", true) : ("wrong-output", false);
        }

        return (status.ErrorCode.ToString(), false);
    }
}
