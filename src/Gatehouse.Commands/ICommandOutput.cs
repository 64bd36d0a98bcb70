namespace Gatehouse.Commands;

/// <summary>
/// Receives the output of a running command, chunk by chunk, as the program produces it.
/// </summary>
/// <remarks>
/// Awaiting <see cref="WriteAsync"/> is the backpressure: the runner does not read more from the
/// program's pipe for that stream until the returned task completes, so a slow consumer makes the
/// program block on its own write. The runner never calls <see cref="WriteAsync"/> concurrently.
/// </remarks>
public interface ICommandOutput
{
    /// <summary>Delivers one chunk of output.</summary>
    /// <param name="stream">The remctl stream number: 1 for standard output, 2 for standard error.</param>
    /// <param name="data">
    /// The bytes. The memory is only valid until the returned task completes (the runner reuses its
    /// buffer): copy it if it must outlive the call.
    /// </param>
    /// <param name="cancellationToken">Cancelled when the command is cancelled.</param>
    /// <returns>A task that completes when the consumer is ready for the next chunk.</returns>
    ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>
    /// Told, before anything runs, which configured line the invocation matched (not called when
    /// none did), so a caller's audit record can apply the line's <c>logmask=</c> and name its type.
    /// </summary>
    void Matched(Configuration.CommandLine line)
    {
    }
}
