using System.Diagnostics;
using System.Globalization;

namespace Gatehouse.Bench.Systems;

/// <summary>One established TCP socket as <c>ss -tinp</c> shows it: its kernel queues and tcp_info byte counters.</summary>
/// <param name="Pid">The process holding it.</param>
/// <param name="Local">Local address:port.</param>
/// <param name="Peer">Peer address:port.</param>
/// <param name="RecvQueue">Bytes received by the kernel and not yet read by the process.</param>
/// <param name="SendQueue">Bytes written by the process and not yet acknowledged by the peer.</param>
/// <param name="BytesReceived">tcp_info bytes_received.</param>
/// <param name="BytesAcked">tcp_info bytes_acked.</param>
public sealed record TcpSocket(int Pid, string Local, string Peer, long RecvQueue, long SendQueue, long BytesReceived, long BytesAcked)
{
    /// <summary>Bytes the process has read from this socket so far (what arrived, less what waits in the kernel).</summary>
    public long ReadByProcess => BytesReceived - RecvQueue;

    /// <summary>Bytes the process has written to this socket so far (acknowledged, plus what waits in the kernel).</summary>
    public long WrittenByProcess => BytesAcked + SendQueue;

    /// <summary>The port of <paramref name="address"/> (<c>host:port</c>).</summary>
    public static int Port(string address) => int.Parse(address[(address.LastIndexOf(':') + 1)..], CultureInfo.InvariantCulture);
}

/// <summary>
/// How many bytes a relaying process holds in user space, from outside: for the sockets it reads
/// from and the sockets it writes to, the bytes it read less the bytes it wrote between two
/// snapshots of <c>ss -tinp</c> (tcp_info counters and queues). /proc/PID/io cannot tell this:
/// its rchar/wchar count read(2)/write(2), not the recv/send calls .NET sockets make.
/// </summary>
public static class SocketCounters
{
    /// <summary>Every established TCP socket on this host with its owner, or null when <c>ss</c> is missing or failed.</summary>
    public static async Task<IReadOnlyList<TcpSocket>?> SnapshotAsync()
    {
        string? ss = BenchEnvironment.Which("ss");
        if (ss is null)
        {
            return null;
        }

        using var p = Process.Start(new ProcessStartInfo(ss, ["-tinpH", "state", "established"]) { RedirectStandardOutput = true, UseShellExecute = false })!;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        try
        {
            string output = await p.StandardOutput.ReadToEndAsync(timeout.Token);
            await p.WaitForExitAsync(timeout.Token);
            return p.ExitCode == 0 ? Parse(output) : null;
        }
        catch (OperationCanceledException)
        {
            p.Kill();
            return null;
        }
    }

    /// <summary>Parses <c>ss -tinpH state established</c>: a line per socket, then an indented line of tcp_info.</summary>
    public static List<TcpSocket> Parse(string text)
    {
        var sockets = new List<TcpSocket>();
        string[] lines = text.Split('\n');
        for (int i = 0; i + 1 < lines.Length; i++)
        {
            string[] head = lines[i].Split(' ', StringSplitOptions.RemoveEmptyEntries);
            if (head.Length < 5 || char.IsWhiteSpace(lines[i], 0) || !long.TryParse(head[0], out long recvQ) || !long.TryParse(head[1], out long sendQ))
            {
                continue;
            }

            int pidAt = lines[i].IndexOf("pid=", StringComparison.Ordinal);
            if (pidAt < 0)
            {
                continue;
            }

            int pidEnd = lines[i].IndexOfAny([',', ')'], pidAt);
            int pid = int.Parse(lines[i].AsSpan(pidAt + 4, pidEnd - pidAt - 4), CultureInfo.InvariantCulture);
            string info = lines[i + 1];
            sockets.Add(new TcpSocket(pid, head[2], head[3], recvQ, sendQ, Field(info, "bytes_received:"), Field(info, "bytes_acked:")));
            i++;
        }

        return sockets;
    }

    /// <summary>
    /// Bytes <paramref name="pid"/> read from the sockets <paramref name="from"/> selects less the
    /// bytes it wrote to the sockets <paramref name="to"/> selects, between <paramref name="before"/>
    /// and <paramref name="after"/> (sockets present in both snapshots only).
    /// </summary>
    public static long Held(IReadOnlyList<TcpSocket> before, IReadOnlyList<TcpSocket> after, int pid, Func<TcpSocket, bool> from, Func<TcpSocket, bool> to)
    {
        long held = 0;
        foreach (var now in after.Where(s => s.Pid == pid))
        {
            if (before.FirstOrDefault(s => s.Pid == pid && s.Local == now.Local && s.Peer == now.Peer) is not { } then)
            {
                continue;
            }

            if (from(now))
            {
                held += now.ReadByProcess - then.ReadByProcess;
            }

            if (to(now))
            {
                held -= now.WrittenByProcess - then.WrittenByProcess;
            }
        }

        return held;
    }

    private static long Field(string info, string name)
    {
        int at = info.IndexOf(name, StringComparison.Ordinal);
        if (at < 0)
        {
            return 0;
        }

        int start = at + name.Length;
        int end = start;
        while (end < info.Length && char.IsAsciiDigit(info[end]))
        {
            end++;
        }

        return long.Parse(info.AsSpan(start, end - start), CultureInfo.InvariantCulture);
    }
}
