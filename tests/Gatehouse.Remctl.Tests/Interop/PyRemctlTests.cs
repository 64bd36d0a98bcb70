using System.Text.Json;
using Gatehouse.Remctl.Tests.Infrastructure;

namespace Gatehouse.Remctl.Tests.Interop;

/// <summary>Debian's python3-pyremctl (libremctl 3.18, keeps its connection open) against our server.</summary>
[Collection(KerberosCollection.Name)]
public sealed class PyRemctlTests(KerberosRealm realm) : IAsyncLifetime
{
    private const string Python = "/usr/bin/python3";
    private readonly TestDispatcher _dispatcher = new();
    private RemctlTestServer _server = null!;

    public async Task InitializeAsync()
    {
        ProcessRunner.Require(Python, "python3");
        var check = await realm.RunAsync(Python, ["-c", "import remctl"]);
        if (check.ExitCode != 0)
        {
            throw new InvalidOperationException("python3-pyremctl is not importable by /usr/bin/python3; install it with: apt-get install -y --no-install-recommends python3-pyremctl\n" + check);
        }

        _server = await RemctlTestServer.StartAsync(realm, _dispatcher);
    }

    public async Task DisposeAsync() => await _server.DisposeAsync();

    private async Task<JsonElement> Py(params string[] args)
    {
        string script = Path.Combine(AppContext.BaseDirectory, "Interop", "pyremctl_client.py");
        var result = await realm.RunAsync(Python, [script, _server.Port.ToString(), .. args], TimeSpan.FromSeconds(120));
        Assert.True(result.ExitCode == 0, result.ToString());
        return JsonDocument.Parse(result.Stdout).RootElement;
    }

    [Fact]
    public async Task Command_with_stdout_stderr_and_status()
    {
        var r = await Py("command", "stderr", "to", "err");
        Assert.Equal("out\n", r.GetProperty("stdout").GetString());
        Assert.Equal("to err\n", r.GetProperty("stderr").GetString());
        Assert.Equal(3, r.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Access_denied_is_error_6()
    {
        var error = (await Py("command", "denied")).GetProperty("error");
        Assert.Equal(6, error[0].GetInt32());
        Assert.Equal("Access denied", error[1].GetString());
    }

    [Fact]
    public async Task Unknown_command_is_error_5()
        => Assert.Equal(5, (await Py("command", "nope")).GetProperty("error")[0].GetInt32());

    [Fact]
    public async Task Output_over_64_KiB_in_many_writes()
    {
        var r = await Py("command", "chunks", "20", "10000");
        Assert.Equal(200_000, r.GetProperty("stdout").GetString()!.Length);
        Assert.Equal(0, r.GetProperty("status").GetInt32());
    }

    [Fact]
    public async Task Hundred_commands_on_one_kept_alive_connection()
    {
        var results = await Py("repeat", "100");
        Assert.Equal(100, results.GetArrayLength());
        for (int i = 0; i < 100; i++)
        {
            Assert.Equal($"{i}\n", results[i].GetProperty("stdout").GetString());
            Assert.Equal(0, results[i].GetProperty("status").GetInt32());
        }

        var ports = _dispatcher.Requests.Select(r => r.RemoteEndPoint!.Port).Distinct().ToList();
        Assert.Single(ports);
    }

    [Fact]
    public async Task Noop_is_answered_and_the_connection_stays_usable()
    {
        var r = await Py("noop");
        Assert.True(r.GetProperty("noop").GetBoolean());
        Assert.Equal("after-noop\n", r.GetProperty("stdout").GetString());
        Assert.Equal(3, _dispatcher.LastRequest!.ProtocolVersion);
    }
}
