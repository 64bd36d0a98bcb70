namespace Gatehouse.Interop.Tests.Differential;

/// <summary>
/// The remctl.conf both servers of the differential suite serve, and its programs and ACL files:
/// one line (or a few) per behaviour under test. Every program is a small /bin/sh script.
/// </summary>
internal static class DifferentialConfiguration
{
    /// <summary>Writes everything under <paramref name="dir"/>.</summary>
    /// <returns>The remctl.conf path.</returns>
    public static string Write(string dir, string switchUser, string localGroup)
    {
        string Script(string name, string body)
        {
            string path = Path.Combine(dir, name);
            File.WriteAllText(path, "#!/bin/sh\n" + body + "\n");
            File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("755", 8));
            return path;
        }

        string File_(string name, string text)
        {
            string path = Path.Combine(dir, name);
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            File.WriteAllText(path, text);
            File.SetUnixFileMode(path, (UnixFileMode)Convert.ToInt32("644", 8));
            return path;
        }

        // remctld passes the subcommand first.
        string helper = Script("helper", """
            sub=$1; shift
            pattern() { yes 0123456789abcdef | head -c "$1"; }
            case $sub in
                args)       printf '%s\n' "count=$#"; for a in "$@"; do printf '[%s]' "$a"; done; echo ;;
                out)        pattern "$1" ;;
                err)        pattern "$1" >&2 ;;
                both)       pattern "$1" & pattern "$1" >&2; wait ;;
                status)     echo "exiting $1"; exit "$1" ;;
                signal)     echo "before"; kill -"$1" $$; echo "after" ;;
                background) (sleep 5; echo late) & echo early ;;
                env)        for v in REMOTE_USER REMUSER REMOTE_ADDR REMOTE_HOST REMCTL_COMMAND REMOTE_EXPIRES; do eval "printf '%s=%s\n' $v \"\${$v-unset}\""; done ;;
                *)          echo "unknown $sub" >&2; exit 2 ;;
            esac
            """);
        string stdin = Script("stdin", "printf 'args=%s\\n' \"$*\"; cksum");
        string who = Script("who", "echo \"uid=$(id -u) groups=$(id -G) HOME=$HOME USER=$USER LOGNAME=$LOGNAME\"");
        string markA = Script("mark-a", "echo \"line a: $*\"");
        string markB = Script("mark-b", "echo \"line b: $*\"");
        string markC = Script("mark-c", "echo \"line c: $*\"");
        string documented = Script("documented", """
            case $1 in
                --help)    echo "help for $*" ;;
                --summary) echo "summary of $0" ;;
                --fail)    echo "failing summary"; exit 3 ;;
                *)         echo "ran $*" ;;
            esac
            """);
        File_("acl/alice", "# alice only\nalice@GATEHOUSE.TEST\n");
        File_("acl/bob", "bob@GATEHOUSE.TEST\n");
        File_("acl.d/one", "bob@GATEHOUSE.TEST\n");
        File_("acl.d/two", "alice@GATEHOUSE.TEST\n");
        File_("acl.d/three.bak", "carol@GATEHOUSE.TEST\n");
        File_("acl-deny.d/allow", "alice@GATEHOUSE.TEST\n");
        File_("acl-deny.d/deny", "deny:alice@GATEHOUSE.TEST\n");
        File_("conf.d/inc", $"inc one {markA} anyuser:auth\n");
        File_("conf.d/inc.bak", $"inc two {markB} anyuser:auth\n");

        return File_("remctl.conf", $"""
            # The differential suite's configuration (served by stock remctld and by Gatehouse).
            t           args        {helper}  anyuser:auth
            t           out         {helper}  anyuser:auth
            t           err         {helper}  anyuser:auth
            t           both        {helper}  anyuser:auth
            t           status      {helper}  anyuser:auth
            t           signal      {helper}  anyuser:auth
            t           background  {helper}  anyuser:auth
            t           env         {helper}  anyuser:auth
            last        ALL         {stdin}   stdin=last anyuser:auth
            second      ALL         {stdin}   stdin=2 anyuser:auth
            who         ALL         {who}     user={switchUser} anyuser:auth
            missing     ALL         {dir}/no-such-program anyuser:auth
            acl         princ       {markA}   princ:alice@GATEHOUSE.TEST
            acl         princ-bob   {markA}   princ:bob@GATEHOUSE.TEST
            acl         file        {markA}   file:{dir}/acl/alice
            acl         file-bob    {markA}   file:{dir}/acl/bob
            acl         dir         {markA}   file:{dir}/acl.d
            acl         dir-deny    {markA}   file:{dir}/acl-deny.d
            acl         file-missing {markA}  file:{dir}/acl/missing anyuser:auth
            acl         deny        {markA}   deny:princ:alice@GATEHOUSE.TEST anyuser:auth
            acl         anyuser     {markA}   anyuser:auth
            acl         anonymous   {markA}   anyuser:anonymous
            acl         legacy      {markA}   ANYUSER
            acl         localgroup  {markA}   localgroup:{localGroup}
            acl         localgroup-no {markA} localgroup:root
            acl         pcre        {markA}   pcre:^ali(?:ce|x)@GATEHOUSE\.TEST$
            acl         pcre-no     {markA}   pcre:^bob\b
            acl         regex       {markA}   regex:^a[a-z]+@GATEHOUSE\.TEST$
            acl         regex-no    {markA}   regex:^(bob|carol)@
            acl         unknown-scheme {markA} bogus:x anyuser:auth
            acl         unknown-after {markA} anyuser:auth bogus:x
            acl         anyuser-invalid {markA} anyuser:maybe
            fm          one         {markA}   anyuser:auth
            fm          one         {markB}   anyuser:auth
            fm          EMPTY       {markB}   anyuser:auth
            fm          ALL         {markC}   princ:bob@GATEHOUSE.TEST
            include {dir}/conf.d
            bobsummary  ALL         {documented} summary=--fail princ:bob@GATEHOUSE.TEST
            doc         ALL         {documented} help=--help summary=--summary anyuser:auth
            nohelp      ALL         {markA}   summary=--summary anyuser:auth

            """);
    }
}
