using System.Runtime.CompilerServices;
using Microsoft.Extensions.Logging;
using Xunit.Sdk;

namespace Gatehouse.Functional.Tests;

/// <summary>
/// Runs alone (no other test gateway alive), because it drops a faulted task on purpose and
/// unobserved task exceptions are reported to every test gateway running at the time.
/// </summary>
[CollectionDefinition(nameof(TestGatewayCollection), DisableParallelization = true)]
public sealed class TestGatewayCollection;

/// <summary>The test gateway fails a test on any error it did not expect.</summary>
[Collection(nameof(TestGatewayCollection))]
public class TestGatewayTests
{
    [Fact]
    public async Task An_unexpected_error_entry_fails_the_test_at_dispose_with_the_entry()
    {
        var gw = await TestGateway.StartAsync();
        gw.Errors.CreateLogger("Gatehouse.Gateway.Example").Log(LogLevel.Error, new EventId(2999), "something broke", null, (s, _) => s);

        var failure = await Assert.ThrowsAsync<FailException>(() => gw.DisposeAsync().AsTask());
        Assert.Contains("1 unexpected error", failure.Message, StringComparison.Ordinal);
        Assert.Contains("Gatehouse.Gateway.Example [2999] something broke", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Errors_declared_expected_by_event_id_or_predicate_pass_and_warnings_never_count()
    {
        var gw = await TestGateway.StartAsync();
        var log = gw.Errors.CreateLogger("Gatehouse.Gateway.Example");
        gw.ExpectErrors(2998).ExpectErrors(e => e.Message.StartsWith("provoked", StringComparison.Ordinal));
        log.Log(LogLevel.Error, new EventId(2998), "by id", null, (s, _) => s);
        log.Log(LogLevel.Critical, new EventId(1), "provoked on purpose", null, (s, _) => s);
        log.Log(LogLevel.Warning, new EventId(2), "only a warning", null, (s, _) => s);

        await gw.DisposeAsync();
        Assert.Equal(2, gw.Errors.Entries.Count);
    }

    [Fact]
    public async Task An_unobserved_task_exception_while_the_gateway_runs_fails_the_test()
    {
        var gw = await TestGateway.StartAsync();
        DropAFaultedTask("dropped on the floor");

        var failure = await Assert.ThrowsAsync<FailException>(() => gw.DisposeAsync().AsTask());
        Assert.Contains(UnobservedTaskExceptions.Category, failure.Message, StringComparison.Ordinal);
        Assert.Contains("dropped on the floor", failure.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_expected_unobserved_task_exception_passes()
    {
        var gw = await TestGateway.StartAsync();
        gw.ExpectErrors(e => e.Category == UnobservedTaskExceptions.Category
            && e.Exception?.InnerException is InvalidOperationException { Message: "expected drop" });
        DropAFaultedTask("expected drop");

        await gw.DisposeAsync();
        Assert.Single(gw.Errors.Entries);
    }

    /// <summary>Faults a task and lets it go without observing its exception.</summary>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void DropAFaultedTask(string message)
    {
        var task = Task.Run(() => throw new InvalidOperationException(message));
        ((IAsyncResult)task).AsyncWaitHandle.WaitOne();
    }
}
