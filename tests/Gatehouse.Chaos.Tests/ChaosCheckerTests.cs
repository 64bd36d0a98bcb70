using Gatehouse.Chaos;
using Gatehouse.Chaos.Ledger;

namespace Gatehouse.Chaos.Tests;

/// <summary>
/// The soak's own checks must be able to fail: a call ended twice, an id executed twice, an ok
/// without an execution and a stray log line are each counted; bad options are refused.
/// </summary>
public class ChaosCheckerTests
{
    [Fact]
    public void A_second_end_of_the_same_call_is_counted_and_not_recorded()
    {
        var ledger = new CallLedger();
        long id = ledger.Start();
        Assert.Equal(1, ledger.InFlight);

        Assert.True(ledger.End(id, "ok", ok: true));
        Assert.False(ledger.End(id, "BackendFailed", ok: false));

        Assert.Equal(1, ledger.Ended);
        Assert.Equal(1, ledger.EndedTwice);
        Assert.Equal(CallLedger.EndedOk, ledger.Outcome(id));
        Assert.Equal([KeyValuePair.Create("ok", 1L)], ledger.Kinds());
        Assert.Equal(0, ledger.InFlight);
    }

    [Fact]
    public void A_call_that_never_ends_stays_in_flight_and_is_reported_overdue_once()
    {
        var ledger = new CallLedger();
        long hung = ledger.Start();
        ledger.End(ledger.Start(), "ok", ok: true);

        Assert.Equal([hung], ledger.NewlyOverdue(TimeSpan.Zero).Select(o => o.Id));
        Assert.Empty(ledger.NewlyOverdue(TimeSpan.Zero));
        Assert.Equal([hung], ledger.StillInFlight());
    }

    [Fact]
    public void The_audit_counts_duplicates_oks_without_execution_and_stray_lines()
    {
        const int Seed = 7;
        var ledger = new CallLedger();
        for (int i = 0; i < 200; i++)
        {
            ledger.End(ledger.Start(), "ok", ok: true);
        }

        CallPlan Plan(long id) => CallPlan.For(Seed, id, 0);
        long plain = Enumerable.Range(0, 200).First(i => !Plan(i).Idempotent);
        long idempotent = Enumerable.Range(0, 200).First(i => Plan(i).Idempotent);
        long missing = Enumerable.Range(0, 200).First(i => i != plain && i != idempotent);
        var lines = Enumerable.Range(0, 200).Where(i => i != missing).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        lines.Add(plain.ToString(System.Globalization.CultureInfo.InvariantCulture));
        lines.Add(idempotent.ToString(System.Globalization.CultureInfo.InvariantCulture));
        lines.Add("12x");
        lines.Add("999999");
        string file = Path.GetTempFileName();
        try
        {
            File.WriteAllLines(file, lines);
            var audit = ExecutionAudit.Run([file, file + ".absent"], ledger, Plan);

            Assert.Equal(201, audit.Executions);
            Assert.Equal(1, audit.Duplicated);
            Assert.Equal(1, audit.DuplicatedIdempotent);
            Assert.Equal(1, audit.OkNotExecuted);
            Assert.Equal(2, audit.Garbage);
            Assert.Contains(audit.Examples, e => e.StartsWith($"call {plain} ", StringComparison.Ordinal) && e.Contains("ran 2 times", StringComparison.Ordinal));
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public void Call_plans_mix_targets_deadlines_and_idempotent_calls_and_depend_only_on_seed_and_id()
    {
        var plans = Enumerable.Range(0, 100_000).Select(i => CallPlan.For(3, i, 0.05)).ToList();

        Assert.Equal(plans, Enumerable.Range(0, 100_000).Select(i => CallPlan.For(3, i, 0.05)));
        Assert.InRange(plans.Count(p => p.Target == CallTarget.Exec), 4_000, 6_000);
        Assert.InRange(plans.Count(p => p.Target == CallTarget.ServiceStreaming), 10_000, 14_000);
        Assert.InRange(plans.Count(p => p.HasDeadline), 45_000, 55_000);
        Assert.InRange(plans.Count(p => p.Idempotent), 10_000, 15_000);
        Assert.InRange(plans.Count(p => p.DelayMs > 0), 2_000, 4_000);
        Assert.All(plans, p => Assert.InRange(p.DelayMs, 0, 20));
        Assert.NotEqual(plans.Take(100), Enumerable.Range(0, 100).Select(i => CallPlan.For(4, i, 0.05)));
    }

    [Theory]
    [InlineData("--concurrency", "0", "--concurrency: '0' is not a whole number in 1..4096")]
    [InlineData("--duration", "-3", "--duration: '-3' is not a positive number of seconds")]
    [InlineData("--exec-share", "1.5", "--exec-share: '1.5' is not a fraction in 0..1")]
    [InlineData("--bogus", "1", "unknown option --bogus")]
    public void Bad_options_are_refused_with_a_clear_message(string name, string value, string message)
    {
        var ex = Assert.Throws<ArgumentException>(() => ChaosOptions.Parse([name, value]));
        Assert.Equal(message, ex.Message);
    }

    [Fact]
    public void Options_are_parsed_into_the_record()
    {
        var o = ChaosOptions.Parse(["--duration", "30", "--requests", "1000", "--concurrency", "8", "--services", "2", "--seed", "5",
            "--kill-interval", "1.5", "--gateway-restart-interval", "10", "--json", "x.json"]);

        Assert.Equal(new ChaosOptions
        {
            Duration = TimeSpan.FromSeconds(30), Requests = 1000, Concurrency = 8, Services = 2, Seed = 5,
            KillInterval = TimeSpan.FromSeconds(1.5), GatewayRestartInterval = TimeSpan.FromSeconds(10), JsonPath = "x.json",
        }, o);
        Assert.Throws<ArgumentException>(() => ChaosOptions.Parse(["--deadline", "60", "--lost-after", "30"]));
    }
}
