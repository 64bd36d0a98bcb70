using Gatehouse.Bench;
using Gatehouse.Bench.Processes;
using Gatehouse.Bench.Roles;

// One executable, several roles: with no role argument it is the runner (and the load generator);
// the runner starts itself again as gateway, service, grpc-server and nats-service.
string role = args.Length > 0 && !args[0].StartsWith('-') ? args[0] : "run";
string[] rest = args.Length > 0 && role != "run" ? args[1..] : args;
switch (role)
{
    case "gateway":
        return await GatewayRole.RunAsync(rest);
    case "service":
        return await ServiceRole.RunAsync(rest);
    case "grpc-server":
        return await GrpcServerRole.RunAsync(rest);
    case "nats-service":
        return await NatsServiceRole.RunAsync(rest);
    case "run":
        break;
    default:
        Console.Error.WriteLine(BenchOptions.Usage);
        return 2;
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(rest);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}

return await ProcessRegistry.RunAsync(token => BenchRunner.RunAsync(options, token), static () => BenchRunner.Progress("interrupted"));
