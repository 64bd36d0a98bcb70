using System.Text;
using Gatehouse.Gateway.Pipeline;
using Gatehouse.Protocol;

namespace Gatehouse.Gateway.Tests;

/// <summary>
/// A request from a test front door: counts every status the pipeline sends it, keeps its output,
/// and is cancelled when the test says so.
/// </summary>
internal sealed class RecordingRequest(Caller caller, RequestHeader header) : GatewayRequest(caller, header)
{
    public override RequestHeader Header { get; } = header;

    private readonly CancellationTokenSource _abort = new();
    private readonly StringBuilder _output = new();
    private readonly TaskCompletionSource<CallStatus> _status = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _sent;

    public static RecordingRequest For(Caller caller, string domain, string command, uint deadlineMs = 0) =>
        new(caller, new RequestHeader { Domain = domain, Command = command, DeadlineMs = deadlineMs });

    /// <summary>How many final statuses were sent (must end at exactly one).</summary>
    public int StatusesSent => Volatile.Read(ref _sent);

    /// <summary>The first status sent.</summary>
    public Task<CallStatus> Answered => _status.Task;

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    public void Abort() => _abort.Cancel();

    public override CancellationToken Aborted => _abort.Token;

    public override Stream? OpenInput(CancellationToken cancellationToken) => null;

    public override ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        lock (_output)
        {
            _output.Append(Encoding.UTF8.GetString(data.Span));
        }

        return ValueTask.CompletedTask;
    }

    protected override void Send(in CallStatus status)
    {
        Interlocked.Increment(ref _sent);
        _status.TrySetResult(status);
    }
}
