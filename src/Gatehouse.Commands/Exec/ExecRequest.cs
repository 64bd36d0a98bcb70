namespace Gatehouse.Commands.Exec;

/// <summary>Everything the exec backend needs to run one program.</summary>
/// <param name="Spawn">What to spawn.</param>
/// <param name="StdinData">Bytes written to stdin then closed (a <c>stdin=</c> argument), or null.</param>
/// <param name="StdinStream">A stream copied to stdin then closed, or null. Ignored when <paramref name="StdinData"/> is set.</param>
/// <param name="Timeout">When to kill the process group, or null for never.</param>
/// <param name="KillGrace">How long after SIGTERM the group gets SIGKILL.</param>
internal sealed record ExecRequest(SpawnRequest Spawn, ReadOnlyMemory<byte>? StdinData, Stream? StdinStream, TimeSpan? Timeout, TimeSpan KillGrace);
