using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace Gatehouse.Gateway.Tests;

/// <summary>A private temporary directory (mode 0700, as a gateway's state directory), removed afterwards.</summary>
internal sealed class TempState : IDisposable
{
    public TempState()
    {
        Path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "gatehouse-gw-" + Guid.NewGuid().ToString("N")[..12]);
        Directory.CreateDirectory(Path, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
    }

    public string Path { get; }

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>Puts a listening Unix socket at <paramref name="path"/>: stat(2) sees it, open(2) fails (ENXIO) even for root.</summary>
    public static Socket SocketAt(string path)
    {
        System.IO.File.Delete(path);
        var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        socket.Bind(new UnixDomainSocketEndPoint(path));
        return socket;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Path, recursive: true);
        }
        catch (IOException)
        {
            // Best effort clean-up of a temporary directory.
        }
    }
}

/// <summary>Records every log line (level, event id, text) for assertions.</summary>
internal sealed class RecordingLoggerProvider : ILoggerProvider
{
    private readonly List<(LogLevel Level, int EventId, string Text)> _lines = [];

    public IReadOnlyList<(LogLevel Level, int EventId, string Text)> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public int Count(int eventId) => Lines.Count(l => l.EventId == eventId);

    public ILogger CreateLogger(string categoryName) => new Logger(this);

    public void Dispose()
    {
    }

    private sealed class Logger(RecordingLoggerProvider owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state) where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            lock (owner._lines)
            {
                owner._lines.Add((logLevel, eventId.Id, formatter(state, exception)));
            }
        }
    }
}
