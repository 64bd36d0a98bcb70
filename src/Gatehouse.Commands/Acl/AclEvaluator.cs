using Gatehouse.Commands.Configuration;

namespace Gatehouse.Commands.Acl;

/// <summary>
/// Checks ACL entries for a subject with remctld's semantics: entries are tried in order, the first
/// match grants access, a matching <c>deny:</c> refuses immediately, and any error refuses (never
/// allows). ACL files are read at check time, as remctld reads them, so edits apply without a reload.
/// </summary>
public sealed class AclEvaluator
{
    private const int MaxFileDepth = 32;
    private readonly AclContext context;

    /// <summary>Creates an evaluator that looks up groups and users as <paramref name="context"/> says.</summary>
    public AclEvaluator(AclContext? context = null) => this.context = context ?? AclContext.Default;

    /// <summary>Internal status, ordered as remctld's config_status (larger is "better" for max()).</summary>
    internal enum Status
    {
        Deny = -3,
        Error = -2,
        NoMatch = -1,
        Match = 0,
    }

    /// <summary>Checks a configuration line's ACL list.</summary>
    /// <param name="entries">The entries in order.</param>
    /// <param name="subject">Who is asking.</param>
    /// <param name="where">The configuration line (for error messages).</param>
    /// <returns>Allowed, or refused with the error that caused the refusal (if any).</returns>
    public AclDecision Check(IReadOnlyList<AclEntry> entries, AclSubject subject, SourceLocation where)
    {
        var state = new CheckState(subject);
        foreach (AclEntry entry in entries)
        {
            Status status = Evaluate(entry, state, where.FileName, where.LineNumber);
            if (status == Status.Match)
            {
                return new AclDecision(true, null);
            }

            if (status is Status.Deny or Status.Error)
            {
                return new AclDecision(false, state.Error);
            }
        }

        return new AclDecision(false, null);
    }

    private Status Evaluate(AclEntry entry, CheckState state, string file, int line)
    {
        switch (entry)
        {
            case AclEntry.PrincipalAcl p:
                return p.Principal == state.Subject.Principal ? Status.Match : Status.NoMatch;
            case AclEntry.AnyUserAcl a:
                return a.AllowAnonymous || !state.Subject.IsAnonymous ? Status.Match : Status.NoMatch;
            case AclEntry.DenyAcl d:
                return Evaluate(d.Inner, state, file, line) switch
                {
                    Status.Match => Status.Deny,
                    Status.Error => Status.Error,
                    _ => Status.NoMatch, // deny:deny:x neither grants nor denies, as in remctld
                };
            case AclEntry.RegexAcl r:
                try
                {
                    return r.Compiled.IsMatch(state.Subject.Principal) ? Status.Match : Status.NoMatch;
                }
                catch (System.Text.RegularExpressions.RegexMatchTimeoutException)
                {
                    return state.Fail(file, line, $"matching with regex '{r.Pattern}' failed: timed out");
                }

            case AclEntry.InvalidAcl invalid:
                return state.Fail(file, line, invalid.Problem);
            case AclEntry.LocalGroupAcl g:
                return CheckLocalGroup(g.Group, state, file, line);
            case AclEntry.FileAcl f:
                return CheckInclude(IncludeDirectory.Resolve(f.Path, file), state, file, line);
            default:
                return state.Fail(file, line, $"ACL entry '{entry.Text}' is not supported");
        }
    }

    private Status CheckLocalGroup(string groupName, CheckState state, string file, int line)
    {
        string groupText, passwdText;
        try
        {
            groupText = File.ReadAllText(context.GroupFile);
            passwdText = File.ReadAllText(context.PasswdFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return state.Fail(file, line, $"retrieving membership of localgroup {groupName} failed: {e.Message}");
        }

        UnixGroup? group = UnixAccounts.FindGroup(groupText, groupName);
        if (group is null)
        {
            return Status.NoMatch;
        }

        string? localName = PrincipalMapping.ToLocalName(state.Subject.Principal, context.LocalRealms);
        UnixUser? user = localName is null ? null : UnixAccounts.FindUser(passwdText, localName);
        if (user is null)
        {
            return Status.NoMatch;
        }

        return user.Gid == group.Gid || group.Members.Contains(user.Name, StringComparer.Ordinal)
            ? Status.Match
            : Status.NoMatch;
    }

    /// <summary>remctld's handle_include for ACLs: a file, or every included file of a directory.</summary>
    private Status CheckInclude(string target, CheckState state, string file, int line)
    {
        string full = Path.GetFullPath(target);
        if (state.Stack.Contains(full, StringComparer.Ordinal) || full == Path.GetFullPath(file))
        {
            return state.Fail(file, line, $"{target} recursively included");
        }

        if (state.Stack.Count >= MaxFileDepth)
        {
            return state.Fail(file, line, $"ACL includes nested deeper than {MaxFileDepth} levels at {target}");
        }

        if (File.Exists(target))
        {
            return CheckFile(target, full, state);
        }

        if (!Directory.Exists(target))
        {
            return state.Fail(file, line, $"included file {target} not found");
        }

        List<string> files;
        try
        {
            files = IncludeDirectory.ListFiles(target);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return state.Fail(file, line, $"included directory {target} cannot be opened: {e.Message}");
        }

        // As remctld: every file is checked (a later file's deny still wins over an earlier match);
        // the first deny or error stops; otherwise the best result (match over no match).
        Status result = Status.NoMatch;
        state.Stack.Add(full);
        foreach (string path in files)
        {
            Status status = CheckFile(path, Path.GetFullPath(path), state);
            if (status < Status.NoMatch)
            {
                result = status;
                break;
            }

            if (status > result)
            {
                result = status;
            }
        }

        state.Stack.RemoveAt(state.Stack.Count - 1);
        return result;
    }

    /// <summary>remctld's acl_check_file_internal: the first entry that does not say "no match" decides.</summary>
    private Status CheckFile(string path, string full, CheckState state)
    {
        string text;
        try
        {
            text = File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return state.Fail(path, 0, $"cannot open ACL file {path}: {e.Message}");
        }

        state.Stack.Add(full);
        try
        {
            foreach (AclFileLine entry in AclFileParser.Parse(text))
            {
                Status status;
                if (entry.Error is not null)
                {
                    status = state.Fail(path, entry.LineNumber, entry.Error);
                }
                else if (entry.IsInclude)
                {
                    status = Parse(entry.Text, AclMethod.File, state, path, entry.LineNumber, out AclEntry? parsed);
                    if (parsed is not null)
                    {
                        status = Evaluate(parsed, state, path, entry.LineNumber);
                    }
                }
                else
                {
                    status = Parse(entry.Text, AclMethod.Princ, state, path, entry.LineNumber, out AclEntry? parsed);
                    if (parsed is not null)
                    {
                        status = Evaluate(parsed, state, path, entry.LineNumber);
                    }
                }

                if (status != Status.NoMatch)
                {
                    return status;
                }
            }

            return Status.NoMatch;
        }
        finally
        {
            state.Stack.RemoveAt(state.Stack.Count - 1);
        }
    }

    private static Status Parse(string text, AclMethod defaultMethod, CheckState state, string file, int line, out AclEntry? entry)
    {
        try
        {
            entry = AclParser.Parse(text, defaultMethod);
            return Status.NoMatch;
        }
        catch (AclSyntaxException e)
        {
            entry = null;
            return state.Fail(file, line, e.Message);
        }
    }

    private sealed class CheckState(AclSubject subject)
    {
        public AclSubject Subject { get; } = subject;

        public List<string> Stack { get; } = [];

        public string? Error { get; private set; }

        public Status Fail(string file, int line, string problem)
        {
            Error ??= line > 0 ? $"{file}:{line}: {problem}" : $"{file}: {problem}";
            return Status.Error;
        }
    }
}
