using System.Diagnostics;
using System.Globalization;
using System.Net.Sockets;
using System.Text;
using Gatehouse.Protocol;
using Gatehouse.Remctl;

namespace Gatehouse.Cli.Fanout;

/// <summary>
/// One node of <c>gatehouse remctl -w</c>: a remctl (Kerberos) call to HOST[:PORT] with the user's
/// credentials, as the single-host <c>gatehouse remctl</c> makes it; output streams to the fan-out.
/// remctl has no stdin, and a connection is tried once (as the stock client does).
/// </summary>
internal sealed class RemctlNodeRunner(RemctlClientOptions options, IReadOnlyList<string> words) : INodeRunner
{
    private readonly ReadOnlyMemory<byte>[] _arguments = [.. words.Select(w => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(w))];

    public bool TakesStdin => false;

    /// <summary>Splits HOST[:PORT]; the port defaults to <paramref name="defaultPort"/>.</summary>
    /// <exception cref="FormatException">The port is not 1..65535.</exception>
    public static (string Host, int Port) Split(string node, int defaultPort)
    {
        int colon = node.LastIndexOf(':');
        if (colon <= 0)
        {
            return (node, defaultPort);
        }

        if (!int.TryParse(node.AsSpan(colon + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port is < 1 or > 65535)
        {
            throw new FormatException($"'{node}': the port must be 1..65535");
        }

        return (node[..colon], port);
    }

    public async Task<NodeOutcome> RunAsync(string node, INodeOutput output, IStdinSource? stdin, CancellationToken cancellationToken)
    {
        stdin?.Leave();
        var clock = Stopwatch.StartNew();
        var (host, port) = Split(node, options.Port);
        RemctlClient client;
        try
        {
            client = await RemctlClient.ConnectAsync(host, options with { Port = port }, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return NodeOutcome.Interrupted(node, clock.Elapsed);
        }
        catch (TimeoutException)
        {
            return NodeOutcome.NotConnected(node, $"connect timed out after {Commands.CommonOptions.Format(options.ConnectTimeout)}", clock.Elapsed);
        }
        catch (SocketException ex)
        {
            return NodeOutcome.NotConnected(node, FailureText.Of(ex), clock.Elapsed);
        }
        catch (RemctlException ex) when (ex.InnerException is SocketException socket)
        {
            return NodeOutcome.NotConnected(node, FailureText.Of(socket), clock.Elapsed);
        }
        catch (RemctlGssException ex)
        {
            return NodeOutcome.NotConnected(node, "Kerberos authentication failed: " + ex.Message, clock.Elapsed);
        }
        catch (Exception ex) when (ex is RemctlException or IOException)
        {
            return NodeOutcome.NotConnected(node, ex.Message, clock.Elapsed);
        }

        await using (client)
        {
            RemctlResult result;
            try
            {
                result = await client.ExecuteAsync(_arguments, (stream, data, _) =>
                {
                    output.Write(stream, data.Span);
                    return ValueTask.CompletedTask;
                }, cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return NodeOutcome.Interrupted(node, clock.Elapsed);
            }
            catch (Exception ex) when (ex is RemctlException or IOException or TimeoutException or SocketException)
            {
                return NodeOutcome.NotConnected(node, "connection lost during the command: " + ex.Message, clock.Elapsed);
            }

            if (result.IsError)
            {
                var code = (ErrorCode)result.ErrorCode!.Value;
                return new NodeOutcome(node, OutcomeKind.RemoteError, ExitCodes.For(code), $"{result.ErrorMessage} (remctl error {result.ErrorCode})", clock.Elapsed);
            }

            return NodeOutcome.Exited(node, result.ExitStatus ?? 0, clock.Elapsed);
        }
    }
}
