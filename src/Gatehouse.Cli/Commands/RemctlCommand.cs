using System.CommandLine;
using System.Text;
using Gatehouse.Remctl;

namespace Gatehouse.Cli.Commands;

/// <summary>
/// <c>gatehouse remctl [-p PORT] [-s PRINCIPAL] [-t TIMEOUT] HOST COMMAND [ARGS...]</c>: calls a remctl
/// server (stock remctld, or a gatehouse remctl port) with your Kerberos credentials, like the stock
/// <c>remctl</c> client: output streams to stdout/stderr; the exit status is the command's; a remctl
/// error prints its message and exits 255.
/// </summary>
internal static class RemctlCommand
{
    public static readonly string[] ValueOptions = ["-p", "--port", "-s", "--principal", "-t", "--timeout"];

    public static Command Create()
    {
        var words = new Argument<string[]>("words") { Description = "HOST COMMAND [ARGS...]", Arity = ArgumentArity.OneOrMore };
        var port = new Option<int>("--port", "-p") { Description = "Server port", DefaultValueFactory = _ => 4373 };
        var principal = new Option<string?>("--principal", "-s") { Description = "Server principal (default host/HOST)" };
        var timeout = new Option<double>("--timeout", "-t") { Description = "Seconds to wait for the server (connect and each reply)", DefaultValueFactory = _ => 60 };
        var command = new Command("remctl", "Call a remctl server (Kerberos), like the stock remctl client") { words, port, principal, timeout };
        command.SetAction(async (parse, ct) =>
        {
            var all = parse.GetValue(words) ?? [];
            if (all.Length < 2)
            {
                Console.Error.WriteLine("gatehouse remctl: usage: gatehouse remctl [-p PORT] [-s PRINCIPAL] HOST COMMAND [ARGS...]");
                return ExitCodes.Usage;
            }

            var options = new RemctlClientOptions
            {
                Port = parse.GetValue(port),
                ServerPrincipal = parse.GetValue(principal),
                ConnectTimeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
                Timeout = TimeSpan.FromSeconds(parse.GetValue(timeout)),
            };
            using var stdout = Console.OpenStandardOutput();
            using var stderr = Console.OpenStandardError();
            try
            {
                await using var client = await RemctlClient.ConnectAsync(all[0], options, ct);
                var args = all[1..].Select(a => (ReadOnlyMemory<byte>)Encoding.UTF8.GetBytes(a)).ToArray();
                var result = await client.ExecuteAsync(args, async (stream, data, token) =>
                {
                    var target = stream == 2 ? stderr : stdout;
                    await target.WriteAsync(data, token);
                    await target.FlushAsync(token);
                }, ct);
                if (result.IsError)
                {
                    Console.Error.WriteLine(result.ErrorMessage);
                    return 255;
                }

                return result.ExitStatus ?? 0;
            }
            catch (RemctlException ex)
            {
                Console.Error.WriteLine($"gatehouse remctl: {ex.Message}");
                return 255;
            }
            catch (Exception ex) when (ex is System.Net.Sockets.SocketException or IOException or TimeoutException)
            {
                Console.Error.WriteLine($"gatehouse remctl: {all[0]}:{options.Port}: {ex.Message}");
                return 255;
            }
        });
        return command;
    }
}
