using Gatehouse.Bench.Load;

namespace Gatehouse.Bench.Systems;

/// <summary>A process whose CPU time is measured. <paramref name="Pid"/> null: the load generator reports its own CPU.</summary>
/// <param name="Role">Short role name shown in the table (cl, gw, svc, srv, d).</param>
/// <param name="IncludeChildren">Count the CPU of reaped children too (remctld forks per command).</param>
public sealed record MeasuredProcess(string Role, int? Pid, bool IncludeChildren = false);

/// <summary>Thrown by <see cref="IBenchSystem.StartAsync"/> when the system cannot run here (missing binary, ...).</summary>
public sealed class SystemUnavailableException : Exception
{
    public SystemUnavailableException() { }

    public SystemUnavailableException(string message) : base(message) { }

    public SystemUnavailableException(string message, Exception inner) : base(message, inner) { }
}

/// <summary>One system measured side by side: it starts its processes, then runs scenarios against them.</summary>
public interface IBenchSystem : IAsyncDisposable
{
    /// <summary>JSON key: gatehouse, nats, grpc, remctld.</summary>
    string Id { get; }

    /// <summary>Column title.</summary>
    string Title { get; }

    /// <summary>The processes measured for CPU, in column order.</summary>
    IReadOnlyList<MeasuredProcess> Processes { get; }

    /// <summary>
    /// The processes measured during <paramref name="scenario"/>: <see cref="Processes"/>, plus, for
    /// a forwarded scenario, the member the client talks to (role <c>fwd</c>), last.
    /// </summary>
    IReadOnlyList<MeasuredProcess> ProcessesFor(Scenario scenario) => Processes;

    /// <summary>Starts the system's processes and connects the load generator.</summary>
    /// <exception cref="SystemUnavailableException">The system cannot run on this machine.</exception>
    Task StartAsync(BenchEnvironment environment, CancellationToken cancellationToken);

    /// <summary>False when the scenario has no natural equivalent here (the cell reads n/a).</summary>
    bool Supports(Scenario scenario);

    /// <summary>
    /// Called once before <paramref name="scenario"/>'s first run: a forwarded scenario starts the
    /// second member (the first time), returns once a call through it reaches the service, and
    /// warms it up.
    /// </summary>
    Task PrepareAsync(Scenario scenario, LoadSettings settings, CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Runs <paramref name="scenario"/> once, as warm-up (short, result ignored) or measured.</summary>
    Task<Measurement> RunAsync(Scenario scenario, LoadSettings settings, bool warmup, CancellationToken cancellationToken);
}
