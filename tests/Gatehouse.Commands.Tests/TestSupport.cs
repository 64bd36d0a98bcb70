using System.Collections.Concurrent;
using System.Text;

namespace Gatehouse.Commands.Tests;

/// <summary>A temporary directory deleted at dispose.</summary>
internal sealed class TempDir : IDisposable
{
    public TempDir()
    {
        Path = Directory.CreateTempSubdirectory("gatehouse-commands-").FullName;
    }

    public string Path { get; }

    public string File(string name, string text)
    {
        string path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    /// <summary>Writes an executable /bin/sh script (the program under test, never a wrapper).</summary>
    public string Script(string name, string body)
    {
        string path = File(name, "#!/bin/sh\n" + body + "\n");
        System.IO.File.SetUnixFileMode(path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute | UnixFileMode.GroupRead | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherExecute);
        return path;
    }

    public string Sub(string name)
    {
        string path = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(path);
        return path;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // A test's leftover process may still hold a file; the OS cleans /tmp eventually.
        }
    }
}

/// <summary>Collects output chunks per stream, in arrival order.</summary>
internal sealed class RecordingOutput : ICommandOutput
{
    private readonly ConcurrentQueue<(int Stream, byte[] Data)> chunks = new();
    private int concurrent;

    public bool SawConcurrentWrites { get; private set; }

    public IReadOnlyList<(int Stream, byte[] Data)> Chunks => [.. chunks];

    public async ValueTask WriteAsync(int stream, ReadOnlyMemory<byte> data, CancellationToken cancellationToken)
    {
        if (Interlocked.Increment(ref concurrent) > 1)
        {
            SawConcurrentWrites = true;
        }

        chunks.Enqueue((stream, data.ToArray()));
        await Task.Yield();
        Interlocked.Decrement(ref concurrent);
    }

    public byte[] Bytes(int stream) => [.. chunks.Where(c => c.Stream == stream).SelectMany(c => c.Data)];

    public string Text(int stream) => Encoding.UTF8.GetString(Bytes(stream));
}

internal static class Invocations
{
    public static CommandInvocation Make(string command, params string[] args) =>
        new(command, [.. args.Select(a => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(a))], "alice@EXAMPLE.ORG", "192.0.2.7", "client.example.org", DateTimeOffset.FromUnixTimeSeconds(1900000000));

    public static CommandInvocation As(this CommandInvocation invocation, string principal) => invocation with { Principal = principal };
}

/// <summary>Collects log messages so tests can assert on what the runner logged.</summary>
internal sealed class ListLogger : Microsoft.Extensions.Logging.ILogger<CommandRunner>
{
    private readonly ConcurrentQueue<string> messages = new();

    public IReadOnlyList<string> Messages => [.. messages];

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(Microsoft.Extensions.Logging.LogLevel logLevel) => true;

    public void Log<TState>(Microsoft.Extensions.Logging.LogLevel logLevel, Microsoft.Extensions.Logging.EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        messages.Enqueue($"{logLevel}: {formatter(state, exception)}");
}
