using System.Runtime.InteropServices;
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

// SIGTERM unwinds the run like Ctrl-C (the runtime would otherwise end the process at once and
// leave the gateways, namespaces and bridge behind).
using var terminate = new CancellationTokenSource();
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    terminate.Cancel();
});

return await ProcessRegistry.RunAsync(async token =>
{
    using var either = CancellationTokenSource.CreateLinkedTokenSource(token, terminate.Token);
    try
    {
        return await SoakRunner.RunAsync(options, either.Token);
    }
    catch (OperationCanceledException) when (terminate.IsCancellationRequested)
    {
        Console.Error.WriteLine("Gatehouse.Cluster.Soak: terminated; gateways stopped and network removed");
        return 143;
    }
}, static () => Console.Error.WriteLine("Gatehouse.Cluster.Soak: interrupted; gateways stopped and network removed"));
