using BenchmarkDotNet.Running;

// dotnet run -c Release --project bench/Gatehouse.Bench.Micro -- --filter '*' --job short
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
