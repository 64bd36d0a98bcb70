namespace Gatehouse.Cli.Fanout;

/// <summary>A call that takes stdin: one node's end of <c>--stdin</c>.</summary>
internal interface IStdinTarget
{
    /// <summary>Sends the next bytes, waiting for the call's flow-control credit; the data may be reused once this completes.</summary>
    ValueTask WriteAsync(ReadOnlyMemory<byte> data, CancellationToken cancellationToken);

    /// <summary>Ends the call's stdin (all of the input was sent).</summary>
    ValueTask CompleteAsync(CancellationToken cancellationToken);

    /// <summary>Cancels the call: its input can no longer be delivered whole (the spool could not be written).</summary>
    void Abort();
}

/// <summary>
/// Where <c>--stdin</c> comes from for the nodes of one command: <see cref="StdinBroadcast"/> when
/// every node is called at once (one node, or no more nodes than <c>-f</c>), <see cref="StdinSpool"/>
/// when the nodes are called a batch at a time. A node runner joins once its call has started, or
/// leaves when it never will; <see cref="RunAsync"/> reads this command's standard input once.
/// </summary>
internal interface IStdinSource
{
    /// <summary>A node's call started and takes stdin.</summary>
    void Join(IStdinTarget target);

    /// <summary>A node will not take stdin (it could not be reached, or failed before its call started).</summary>
    void Leave();

    /// <summary>Reads the input until it ends (or nobody needs it any more, or <paramref name="cancellationToken"/> fires).</summary>
    Task RunAsync(CancellationToken cancellationToken);
}
