using Gatehouse.Protocol;
using System.Collections.Concurrent;
using System.Text;
using Gatehouse.Remctl.Protocol;

namespace Gatehouse.Remctl.Tests.Infrastructure;

/// <summary>
/// Dispatcher for interop tests. Commands:
/// <c>echo ARGS</c> prints ARGS; <c>whoami</c> prints principal and expiry; <c>stderr TEXT</c> prints to stderr
/// and exits 3; <c>exit N</c>; <c>big N</c> prints N bytes in one write; <c>chunks N SIZE</c> prints N writes of
/// SIZE bytes; <c>len ARGS</c> prints each argument's length; <c>denied</c> (ERROR 6); <c>throw</c>
/// (dispatcher exception); anything else ERROR 5.
/// </summary>
public sealed class TestDispatcher : IRemctlDispatcher
{
    public ConcurrentQueue<RemctlRequest> Requests { get; } = new();

    public RemctlRequest? LastRequest => Requests.LastOrDefault();

    /// <summary>Requests whose execution has ended (returned or thrown).</summary>
    public ConcurrentQueue<RemctlRequest> Ended { get; } = new();

    public async Task<RemctlOutcome> ExecuteAsync(RemctlRequest request, IRemctlOutput output, CancellationToken cancellationToken)
    {
        try
        {
            return await RunAsync(request, output, cancellationToken);
        }
        finally
        {
            Ended.Enqueue(request);
        }
    }

    private async Task<RemctlOutcome> RunAsync(RemctlRequest request, IRemctlOutput output, CancellationToken cancellationToken)
    {
        Requests.Enqueue(request);
        string[] args = [.. request.Arguments.Select(a => Encoding.UTF8.GetString(a.Span))];
        switch (args[0])
        {
            case "echo":
                await output.WriteAsync(1, Encoding.UTF8.GetBytes(string.Join(' ', args[1..]) + "\n"), cancellationToken);
                return new RemctlOutcome.Exited(0);
            case "whoami":
                await output.WriteAsync(1, Encoding.UTF8.GetBytes($"{request.Principal}\n{request.Expires?.ToUnixTimeSeconds()}\n"), cancellationToken);
                return new RemctlOutcome.Exited(0);
            case "stderr":
                await output.WriteAsync(1, "out\n"u8.ToArray(), cancellationToken);
                await output.WriteAsync(2, Encoding.UTF8.GetBytes(string.Join(' ', args[1..]) + "\n"), cancellationToken);
                return new RemctlOutcome.Exited(3);
            case "exit":
                return new RemctlOutcome.Exited(int.Parse(args[1]));
            case "big":
                await output.WriteAsync(1, Pattern(int.Parse(args[1])), cancellationToken);
                return new RemctlOutcome.Exited(0);
            case "chunks":
                var chunk = Pattern(int.Parse(args[2]));
                for (int i = 0; i < int.Parse(args[1]); i++)
                {
                    await output.WriteAsync(1, chunk, cancellationToken);
                }

                return new RemctlOutcome.Exited(0);
            case "len":
                await output.WriteAsync(1, Encoding.UTF8.GetBytes(string.Join(' ', request.Arguments.Skip(1).Select(a => a.Length)) + "\n"), cancellationToken);
                return new RemctlOutcome.Exited(0);
            case "denied":
                return new RemctlOutcome.Failed((int)RemctlErrorCode.Access, "Access denied");
            case "throw":
                throw new InvalidOperationException("test dispatcher failure");
            default:
                return new RemctlOutcome.Failed((int)RemctlErrorCode.UnknownCommand, "Unknown command");
        }
    }

    /// <summary>Deterministic printable output: 'a'..'z' repeated.</summary>
    public static byte[] Pattern(int length)
    {
        var bytes = new byte[length];
        for (int i = 0; i < length; i++)
        {
            bytes[i] = (byte)('a' + (i % 26));
        }

        return bytes;
    }
}
