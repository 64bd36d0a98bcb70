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

return await ProcessRegistry.RunAsync(async token =>
{
    try
    {
        return await ChaosRunner.RunAsync(options, token);
    }
    catch (Exception ex) when (ex is FileNotFoundException or TimeoutException)
    {
        Console.Error.WriteLine("Gatehouse.Chaos: " + ex.Message);
        return 3;
    }
}, static () => Console.Error.WriteLine("Gatehouse.Chaos: interrupted"));
