using Gatehouse.Fuzz;
using SharpFuzz;

// Gatehouse.Fuzz: the fuzz targets of docs/fuzzing.md.
//   Gatehouse.Fuzz TARGET              run under afl-fuzz (SharpFuzz persistent mode; input on stdin)
//   Gatehouse.Fuzz replay TARGET PATH  run every file under PATH in-process; exit 1 on an unexpected exception
//   Gatehouse.Fuzz seeds TARGET DIR    write the target's seed corpus into DIR
//   Gatehouse.Fuzz list                the targets
const int Usage = 2;

if (args.Length == 1 && args[0] == "list")
{
    foreach (var t in FuzzTargets.All)
    {
        Console.WriteLine($"{t.Name,-18} {t.Description}");
    }

    return 0;
}

if (args.Length == 1 && FuzzTargets.Find(args[0]) is { } fuzzTarget)
{
    // Persistent mode in this process (the fastest). With GATEHOUSE_FUZZ_OUT_OF_PROCESS=1 a child
    // process runs the inputs instead, so that a stack overflow (which no handler can catch) is
    // reported to afl as a crash and the child restarted, rather than ending the fork server.
    Action<Stream> run = stream =>
    {
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        FuzzRunner.Run(fuzzTarget, copy.GetBuffer().AsSpan(0, (int)copy.Length));
    };
    if (Environment.GetEnvironmentVariable("GATEHOUSE_FUZZ_OUT_OF_PROCESS") == "1")
    {
        Fuzzer.OutOfProcess.Run(run);
    }
    else
    {
        Fuzzer.Run(run);
    }

    return 0;
}

if (args.Length >= 3 && args[0] == "replay" && FuzzTargets.Find(args[1]) is { } replayTarget)
{
    var (failures, count) = Replay.Run(replayTarget, args[2..]);
    foreach (var failure in failures)
    {
        Console.WriteLine($"{failure.File}: {failure.Exception.GetType().Name}: {failure.Exception.Message}");
        Console.WriteLine(failure.Exception.StackTrace);
    }

    Console.WriteLine($"{replayTarget.Name}: {count} inputs, {failures.Count} unexpected exceptions");
    return failures.Count == 0 ? 0 : 1;
}

if (args.Length == 3 && args[0] == "seeds" && FuzzTargets.Find(args[1]) is { } seedTarget)
{
    Directory.CreateDirectory(args[2]);
    int n = 0;
    foreach (var (name, data) in seedTarget.Seeds())
    {
        File.WriteAllBytes(Path.Combine(args[2], name), data);
        n++;
    }

    Console.WriteLine($"{seedTarget.Name}: wrote {n} seeds to {args[2]}");
    return 0;
}

Console.Error.WriteLine("usage: Gatehouse.Fuzz TARGET | replay TARGET PATH... | seeds TARGET DIR | list");
Console.Error.WriteLine("targets: " + string.Join(' ', FuzzTargets.All.Select(t => t.Name)));
return Usage;
