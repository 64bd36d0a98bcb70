namespace Gatehouse.Fuzz;

/// <summary>Runs saved inputs (a corpus, afl's queue or crashes) through a target in-process.</summary>
internal static class Replay
{
    /// <summary>One input that escaped with an unexpected exception.</summary>
    public sealed record Failure(string File, Exception Exception);

    /// <summary>The regular files under <paramref name="path"/> (or the file itself), in name order; afl's README.txt is skipped.</summary>
    public static List<string> Inputs(string path)
    {
        if (File.Exists(path))
        {
            return [path];
        }

        if (!Directory.Exists(path))
        {
            return [];
        }

        var files = Directory.EnumerateFiles(path, "*", SearchOption.AllDirectories)
            .Where(f => Path.GetFileName(f) is not ("README.txt" or ".cur_input") && !Path.GetFileName(f).StartsWith('.'))
            .ToList();
        files.Sort(StringComparer.Ordinal);
        return files;
    }

    /// <summary>Runs every input under <paramref name="paths"/> through <paramref name="target"/>.</summary>
    /// <returns>The inputs that failed, with their exceptions; the number of inputs run.</returns>
    public static (List<Failure> Failures, int Count) Run(FuzzTarget target, IEnumerable<string> paths)
    {
        var failures = new List<Failure>();
        int count = 0;
        foreach (string file in paths.SelectMany(Inputs))
        {
            count++;
            try
            {
                FuzzRunner.Run(target, File.ReadAllBytes(file));
            }
            catch (Exception e)
            {
                failures.Add(new Failure(file, e));
            }
        }

        return (failures, count);
    }
}
