using Gatehouse.Bench.Processes;
using Gatehouse.Cluster.Soak;

SoakOptions options;
try
{
    options = SoakOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine("Gatehouse.Cluster.Soak: " + ex.Message);
    Console.Error.WriteLine(SoakOptions.Usage);
    return 2;
}

return await ProcessRegistry.RunAsync(token => SoakRunner.RunAsync(options, token),
    static () => Console.Error.WriteLine("Gatehouse.Cluster.Soak: interrupted; gateways stopped and network removed"));
