using System.Globalization;

namespace Gatehouse.Bench.Processes;

/// <summary>CPU time of one process as Linux accounts it in <c>/proc/PID/stat</c>.</summary>
/// <param name="Seconds">utime + stime (and, when asked, cutime + cstime of reaped children), in seconds.</param>
public readonly record struct CpuSample(double Seconds);

/// <summary>
/// Reads utime/stime (fields 14 and 15) and optionally cutime/cstime (16 and 17) from
/// <c>/proc/PID/stat</c>. Ticks are converted with USER_HZ = 100, the value every Linux
/// architecture .NET runs on exports to user space.
/// </summary>
public static class ProcStat
{
    private const double TicksPerSecond = 100.0;

    /// <summary>Reads the CPU time of <paramref name="pid"/>; null when the process is gone.</summary>
    /// <param name="includeChildren">Adds the CPU of waited-for children (remctld forks per command).</param>
    public static CpuSample? Read(int pid, bool includeChildren = false)
    {
        if (ReadText(pid) is not { } text)
        {
            return null;
        }

        // The command name (field 2) may hold spaces or parentheses: fields after the last ')' are fixed.
        int close = text.LastIndexOf(')');
        string[] fields = text[(close + 2)..].Split(' ');
        // fields[0] is field 3 (state); field N is fields[N - 3].
        long ticks = long.Parse(fields[11], CultureInfo.InvariantCulture) + long.Parse(fields[12], CultureInfo.InvariantCulture);
        if (includeChildren)
        {
            ticks += long.Parse(fields[13], CultureInfo.InvariantCulture) + long.Parse(fields[14], CultureInfo.InvariantCulture);
        }

        return new CpuSample(ticks / TicksPerSecond);
    }

    /// <summary>Resident memory (VmRSS from /proc/PID/status) in MiB, or NaN when the process is gone.</summary>
    public static double ResidentMegabytes(int pid)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                {
                    string kb = line["VmRSS:".Length..].Trim().Split(' ')[0];
                    return double.Parse(kb, System.Globalization.CultureInfo.InvariantCulture) / 1024;
                }
            }
        }
        catch (IOException)
        {
            // The process exited.
        }

        return double.NaN;
    }

    /// <summary>The text of <c>/proc/PID/stat</c>, or null when the process is gone or not readable.</summary>
    internal static string? ReadText(int pid)
    {
        try
        {
            return File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }
}
