using System.Globalization;

namespace Gatehouse.Chaos.Ledger;

/// <summary>What the execution logs say, checked against the ledger.</summary>
/// <param name="Executions">Lines read (one per execution).</param>
/// <param name="Duplicated">Calls not marked idempotent that ran more than once: always a bug.</param>
/// <param name="DuplicatedIdempotent">Idempotent calls that ran more than once (the client may retry those).</param>
/// <param name="OkNotExecuted">Calls that ended ok although no backend recorded running them.</param>
/// <param name="Garbage">Log lines that are not an id this run handed out.</param>
/// <param name="Examples">A few offending ids, for the report.</param>
public sealed record AuditResult(long Executions, long Duplicated, long DuplicatedIdempotent, long OkNotExecuted, long Garbage, IReadOnlyList<string> Examples);

/// <summary>
/// Reads every backend's execution log (one id per line: the chaos services' logs and the exec
/// command's log) and counts, per id, how often it ran; then compares with how each call ended.
/// </summary>
internal static class ExecutionAudit
{
    public static AuditResult Run(IEnumerable<string> logFiles, CallLedger ledger, Func<long, CallPlan> plan)
    {
        var runs = new IdTable();
        long started = ledger.Started;
        long executions = 0, garbage = 0;
        var examples = new List<string>();
        foreach (string file in logFiles.Where(File.Exists))
        {
            foreach (string line in File.ReadLines(file))
            {
                if (long.TryParse(line, NumberStyles.None, CultureInfo.InvariantCulture, out long id) && id < started)
                {
                    executions++;
                    runs.Increment(id);
                }
                else
                {
                    garbage++;
                    if (examples.Count < 10)
                    {
                        examples.Add($"garbage line '{line}' in {Path.GetFileName(file)}");
                    }
                }
            }
        }

        long duplicated = 0, duplicatedIdempotent = 0, okNotExecuted = 0;
        for (long id = 0; id < started; id++)
        {
            byte count = runs.Get(id);
            if (count > 1)
            {
                if (plan(id).Idempotent)
                {
                    duplicatedIdempotent++;
                }
                else
                {
                    duplicated++;
                    if (examples.Count < 10)
                    {
                        examples.Add($"call {id} ({plan(id)}) ran {count} times and ended {Describe(ledger.Outcome(id))}");
                    }
                }
            }
            else if (count == 0 && ledger.Outcome(id) == CallLedger.EndedOk)
            {
                okNotExecuted++;
                if (examples.Count < 10)
                {
                    examples.Add($"call {id} ({plan(id)}) ended ok but no backend recorded it");
                }
            }
        }

        return new AuditResult(executions, duplicated, duplicatedIdempotent, okNotExecuted, garbage, examples);
    }

    private static string Describe(byte outcome) => outcome switch
    {
        CallLedger.EndedOk => "ok",
        CallLedger.EndedFailed => "with an error",
        _ => "never",
    };
}
