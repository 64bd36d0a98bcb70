using Gatehouse.Bench.Processes;
using Gatehouse.Chaos;
using Gatehouse.Chaos.Roles;

// One executable: with no role it is the driver (clients, chaos, checks); the driver starts itself
// again as "service". The gateway is the real gatehouse CLI.
if (args.Length > 0 && args[0] == "service")
{
    return await ChaosServiceRole.RunAsync(args[1..]);
}

ChaosOptions options;
try
{
    options = ChaosOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine("Gatehouse.Chaos: " + ex.Message);
    Console.Error.WriteLine(ChaosOptions.Usage);
    return 2;
}

using var cts = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    // Unwind so that every child is stopped by PID.
    e.Cancel = true;
    cts.Cancel();
};
AppDomain.CurrentDomain.ProcessExit += (_, _) => ProcessRegistry.StopAll();
try
{
    return await ChaosRunner.RunAsync(options, cts.Token);
}
catch (OperationCanceledException) when (cts.IsCancellationRequested)
{
    Console.Error.WriteLine("Gatehouse.Chaos: interrupted");
    return 130;
}
catch (Exception ex) when (ex is FileNotFoundException or TimeoutException)
{
    Console.Error.WriteLine("Gatehouse.Chaos: " + ex.Message);
    return 3;
}
finally
{
    ProcessRegistry.StopAll();
}
