namespace Vigil.Runbooks.Risk;

/// <summary>What each tool does with its arguments: the rules behind <see cref="CommandRisk"/>.</summary>
internal static class ToolRules
{
    private static RiskAssessment Read(string reason) => RiskAssessment.ReadOnly(reason);

    private static RiskAssessment Change(string reason) => RiskAssessment.Mutating(reason);

    private static RiskAssessment Lose(string reason) => RiskAssessment.Destructive(reason);

    /// <summary>Tools that only read (or only print), whatever their arguments.</summary>
    private static readonly HashSet<string> Reading = new(StringComparer.Ordinal)
    {
        "ls", "ll", "la", "dir", "cat", "tac", "head", "tail", "less", "more", "grep", "egrep", "fgrep", "rg", "ag", "ack", "uniq", "wc",
        "cut", "tr", "jq", "column", "nl", "fold", "fmt", "paste", "join", "comm", "diff", "cmp", "md5sum", "sha1sum", "sha256sum",
        "sha512sum", "cksum", "base64", "xxd", "od", "hexdump", "strings", "file", "stat", "realpath", "readlink", "basename",
        "dirname", "du", "df", "free", "uptime", "w", "who", "whoami", "id", "groups", "uname", "cal", "ps", "pgrep", "pidof",
        "top", "htop", "atop", "iotop", "vmstat", "iostat", "mpstat", "sar", "pidstat", "dstat", "nmon", "lsof", "netstat", "ss",
        "ping", "ping6", "traceroute", "tracepath", "mtr", "dig", "nslookup", "host", "whois", "arp", "lsblk", "blkid", "lscpu",
        "lsmem", "lspci", "lsusb", "dmidecode", "nproc", "getconf", "last", "lastlog", "getent", "printenv", "locale", "zcat",
        "zgrep", "zless", "bzcat", "xzcat", "tree", "locate", "which", "whereis", "type", "man", "help", "echo", "printf", "true",
        "false", "sleep", "test", "[", "[[", "seq", "expr", "bc", "envsubst", "numfmt", "pv", "nmap", "cd", "pwd", "export",
        "set", "unset", "alias", "read", "exit", "return", "shift", "wait", "jobs", "history", "hash", "ulimit", "pg_isready",
        "pg_controldata", "pg_config", "pg_lsclusters", "kubectx", "kubens", "iftop", "nethogs", "ncdu", "glances", "lnav", "jless",
        "fx", "bat", "fd", "exa", "eza", "time", "tcpdump", "ngrep", "strace", "ltrace", "perf", "gdb", "promtool", "amtool",
        "dog", "drill", "delv", "curlie", "httpstat", "hey", "ab", "wrk", "vegeta", "iperf", "iperf3", "speedtest", "sensors",
        "smartctl", "hdparm", "nvidia-smi", "ipcs", "sha224sum", "sha384sum", "b2sum", "sum", "look", "rev", "shuf", "split",
    };

    /// <summary>The reason given for a tool without a rule.</summary>
    public const string Unknown = "is not a command Vigil knows, so it may change things";

    public static RiskAssessment Classify(string tool, List<string> args, bool mass, int depth)
    {
        var sub = Sub(args);
        switch (tool)
        {
            // Files.
            case "rm" or "unlink":
                return HasShort(args, 'r') || HasShort(args, 'R') || Has(args, "--recursive")
                    ? Lose($"`rm -r` deletes folders and everything in them: {Args(args)}")
                    : Lose($"`{tool}` deletes files: {Args(args)}");
            case "shred" or "wipe" or "wipefs" or "fdisk" or "sfdisk" or "parted" or "sgdisk" or "blkdiscard" or "pg_resetwal" or "pg_resetxlog":
                return Lose($"`{tool}` destroys data on disk");
            case var _ when tool.StartsWith("mkfs", StringComparison.Ordinal):
                return Lose($"`{tool}` makes a new file system, erasing the old one");
            case "dd":
            {
                var of = args.FirstOrDefault(a => a.StartsWith("of=", StringComparison.Ordinal));
                if (of is null) return Read("`dd` without `of=` writes to standard output");
                return of.StartsWith("of=/dev/", StringComparison.Ordinal) && of != "of=/dev/null" ? Lose($"`dd {of}` writes over a device") : Change($"`dd {of}` writes a file");
            }
            case "truncate":
                return Lose("`truncate` cuts files to a size, losing what was after it");
            case "find":
            {
                if (Has(args, "-delete")) return Lose("`find -delete` deletes every file it matches");
                var exec = args.FindIndex(a => a is "-exec" or "-execdir" or "-ok" or "-okdir");
                if (exec >= 0)
                {
                    var inner = args.Skip(exec + 1).TakeWhile(a => a is not ";" and not "+" and not "\\;").ToList();
                    var r = CommandRisk.Inner(inner, depth);
                    return r.Class == RiskClass.ReadOnly ? r : r with { Class = r.Class == RiskClass.Mutating && CommandRisk.Tool(inner.FirstOrDefault() ?? "") is "rm" ? RiskClass.Destructive : r.Class };
                }
                return Read("`find` lists files");
            }
            case "mv" or "cp" or "mkdir" or "touch" or "ln" or "chmod" or "chown" or "chgrp" or "install" or "scp" or "rmdir" or "patch" or "setfacl" or "chattr" or "mount" or "umount" or "swapon" or "swapoff":
                if (tool == "mount" && args.Count == 0) return Read("`mount` lists mounted file systems");
                return Change($"`{tool}` changes files: {Args(args)}");
            case "rsync":
                return Has(args, "--delete") || args.Any(a => a.StartsWith("--delete", StringComparison.Ordinal) || a == "--remove-source-files")
                    ? Lose("`rsync --delete` deletes files at the destination that the source lacks")
                    : HasShort(args, 'n') || Has(args, "--dry-run") ? Read("`rsync --dry-run` only lists") : Change("`rsync` copies files");
            case "tar":
            {
                var flags = args.FirstOrDefault() ?? "";
                if (Has(args, "--list") || (!flags.StartsWith("--", StringComparison.Ordinal) && flags.TrimStart('-').Contains('t', StringComparison.Ordinal))) return Read("`tar -t` lists an archive");
                return Change("`tar` writes an archive or its files");
            }
            case "gzip" or "gunzip" or "bzip2" or "bunzip2" or "xz" or "unxz" or "zstd" or "unzstd" or "zip" or "unzip" or "7z":
                return HasShort(args, 'c') || HasShort(args, 'l') || HasShort(args, 't') || Has(args, "--stdout") || Has(args, "--list") || Has(args, "--test")
                    ? Read($"`{tool}` to standard output or listing only")
                    : Change($"`{tool}` writes (and may replace) files");
            case "tee":
                return args.Any(a => !a.StartsWith('-')) ? Change($"`tee` writes {string.Join(' ', args.Where(a => !a.StartsWith('-')))}") : Read("`tee` copies its input");
            case "sed" or "perl" or "ruby" when args.Any(a => a == "-i" || (a.StartsWith("-i", StringComparison.Ordinal) && !a.StartsWith("--", StringComparison.Ordinal)) || a.StartsWith("--in-place", StringComparison.Ordinal)):
                return Change($"`{tool} -i` edits files in place");
            case "sed":
                return Read("`sed` prints its edit");
            case "awk" or "gawk" or "mawk":
                return args.Any(a => a.Contains("inplace", StringComparison.Ordinal)) ? Change("`awk -i inplace` edits files in place") : Read($"`{tool}` prints");
            case "yq":
                return HasShort(args, 'i') || Has(args, "--inplace") ? Change("`yq -i` edits files in place") : Read("`yq` prints");
            case "sort":
                return HasShort(args, 'o') || args.Any(a => a.StartsWith("--output", StringComparison.Ordinal)) ? Change("`sort -o` writes a file") : Read("`sort` prints");

            // Processes and the machine.
            case "kill" or "pkill" or "killall" or "skill" or "xkill":
                return HasShort(args, 'l') && args.Count == 1 ? Read("`kill -l` lists signals") : Change($"`{tool}` signals (usually stops) processes");
            case "fuser":
                return HasShort(args, 'k') ? Change("`fuser -k` kills the processes using a file") : Read("`fuser` shows who uses a file");
            case "reboot" or "shutdown" or "halt" or "poweroff" or "init" or "telinit":
                return Change($"`{tool}` restarts or stops the machine");
            case "systemctl":
                return Systemctl(args);
            case "service":
            {
                var action = args.Count > 1 ? args[1] : args.FirstOrDefault() ?? "";
                return action is "status" or "--status-all" ? Read($"`service {Args(args)}` shows status") : Change($"`service {Args(args)}` changes a service");
            }
            case "journalctl":
                return args.Any(a => a.StartsWith("--vacuum", StringComparison.Ordinal) || a is "--rotate" or "--flush" or "--sync")
                    ? Change("`journalctl --vacuum…/--rotate` deletes or rotates logs")
                    : Read("`journalctl` reads the logs");
            case "dmesg":
                return HasShort(args, 'c') || HasShort(args, 'C') || Has(args, "--clear") || Has(args, "--read-clear") ? Change("`dmesg -c` clears the kernel log") : Read("`dmesg` reads the kernel log");
            case "date":
                return HasShort(args, 's') || Has(args, "--set") ? Change("`date -s` sets the clock") : Read("`date` prints the time");
            case "hostname":
                return args.Any(a => !a.StartsWith('-')) ? Change("`hostname NAME` renames the machine") : Read("`hostname` prints the name");
            case "sysctl":
                return HasShort(args, 'w') || args.Any(a => a.Contains('=', StringComparison.Ordinal) && !a.StartsWith('-')) || HasShort(args, 'p') || Has(args, "--system")
                    ? Change("`sysctl -w` changes kernel settings")
                    : Read("`sysctl` reads kernel settings");
            case "ifconfig" or "route" or "ethtool" or "iwconfig":
                return args.Count <= 1 || (tool == "route" && args.All(a => a.StartsWith('-'))) ? Read($"`{tool}` shows the network") : Change($"`{tool}` changes the network");
            case "ip":
                return IpCommand(args);
            case "iptables" or "ip6tables" or "nft" or "ufw" or "firewall-cmd" or "iptables-save":
                return args.Any(a => a is "-L" or "-S" or "--list" or "-nL" or "-nvL" or "-vnL" or "list" or "status" or "--list-all" or "--state" or "--list-rules" or "--get-active-zones") || tool == "iptables-save"
                    ? Read($"`{tool}` lists firewall rules")
                    : Change($"`{tool}` changes firewall rules");
            case "timedatectl" or "hostnamectl" or "loginctl" or "localectl" or "resolvectl" or "networkctl" or "coredumpctl" or "busctl":
                return sub is null or "status" or "show" or "list" or "list-sessions" or "list-users" or "list-timezones" or "query" or "statistics" or "info" or "dump"
                    ? Read($"`{tool}` shows status")
                    : Change($"`{tool} {sub}` changes settings");

            // Containers and clusters.
            case "docker" or "podman" or "nerdctl":
                return args.FirstOrDefault() == "compose" ? Compose($"{tool} compose", args.Skip(1).ToList(), depth) : Docker(tool, args, depth);
            case "docker-compose" or "podman-compose":
                return Compose(tool, args, depth);
            case "kubectl" or "oc" or "k":
                return Kubectl(tool, args, depth);
            case "helm":
                return Helm(args);

            // Databases.
            case "psql":
                return Psql(args);
            case "mysql" or "mariadb":
            {
                var e = Values(args, "-e", "--execute");
                return e.Count > 0 ? RiskAssessment.Max(e.Select(SqlRisk.Classify)) : Change($"`{tool}` opens an interactive session (or runs its input)");
            }
            case "sqlite3":
            {
                var rest = args.Where(a => !a.StartsWith('-')).ToList();
                if (rest.Count < 2) return Change("`sqlite3` opens an interactive session (or runs its input)");
                return RiskAssessment.Max(rest.Skip(1).Select(s => s.StartsWith('.') ? (s.StartsWith(".dump", StringComparison.Ordinal) || s.StartsWith(".tables", StringComparison.Ordinal) || s.StartsWith(".schema", StringComparison.Ordinal) ? Read($"sqlite3 `{s}` shows the database") : Change($"sqlite3 `{s}`")) : SqlRisk.Classify(s)));
            }
            case "clickhouse-client" or "cqlsh":
            {
                var q = Values(args, "--query", "-q", "-e", "--execute");
                return q.Count > 0 ? RiskAssessment.Max(q.Select(SqlRisk.Classify)) : Change($"`{tool}` opens an interactive session");
            }
            case "pg_dump" or "pg_dumpall":
                return HasShort(args, 'f') || args.Any(a => a.StartsWith("--file", StringComparison.Ordinal))
                    ? Change($"`{tool} -f` reads the database and writes a dump file")
                    : Read($"`{tool}` reads the database (to standard output)");
            case "pg_restore":
                if (HasShort(args, 'l') || Has(args, "--list")) return Read("`pg_restore -l` lists an archive");
                return HasShort(args, 'c') || Has(args, "--clean") || Has(args, "--if-exists") && Has(args, "--clean")
                    ? Lose("`pg_restore --clean` drops the database's objects before restoring them")
                    : Change("`pg_restore` writes into a database");
            case "pg_ctl" or "pg_ctlcluster":
                return args.Contains("status") ? Read($"`{tool} status`") : Change($"`{tool}` starts, stops or reloads PostgreSQL");
            case "createdb" or "createuser" or "vacuumdb" or "reindexdb" or "clusterdb" or "pg_basebackup" or "pg_upgrade" or "pg_rewind" or "pg_archivecleanup":
                return Change($"`{tool}` changes the database server");
            case "dropdb" or "dropuser":
                return Lose($"`{tool}` drops a database or role and what it owns");
            case "redis-cli" or "valkey-cli" or "keydb-cli":
                return RedisRisk.Cli(args, mass);
            case "mongo" or "mongosh":
                return Mongo(args);

            // HTTP and network.
            case "curl":
                return Curl(args);
            case "wget":
                return args.Any(a => a is "--spider" or "--output-document=-" || (a.StartsWith('-') && !a.StartsWith("--", StringComparison.Ordinal) && a.EndsWith("O-", StringComparison.Ordinal)))
                       || Values(args, "-O", "--output-document").Contains("-")
                    ? Read("`wget` to standard output")
                    : Change("`wget` downloads to a file");
            case "http" or "https" or "xh":
            {
                var method = args.FirstOrDefault(a => a.Length > 2 && a.All(char.IsUpper));
                var data = args.Any(a => !a.StartsWith('-') && (a.Contains(":=", StringComparison.Ordinal) || (a.Contains('=', StringComparison.Ordinal) && !a.Contains("==", StringComparison.Ordinal) && !a.Contains("://", StringComparison.Ordinal))));
                method ??= data ? "POST" : "GET";
                return Method(tool, method);
            }
            case "nc" or "ncat" or "netcat" or "telnet" or "socat":
                return HasShort(args, 'z') ? Read($"`{tool} -z` checks a port") : Change($"`{tool}` sends what it is given to a server");
            case "openssl":
                return Has(args, "-out") || sub is "genrsa" or "genpkey" or "rand" && Has(args, "-out") ? Change("`openssl … -out` writes a key or certificate") : Read($"`openssl {sub}` reads or prints");
            case "ssh-keygen":
                return HasShort(args, 'l') || HasShort(args, 'F') || HasShort(args, 'y') ? Read("`ssh-keygen -l` shows a key") : Change("`ssh-keygen` writes keys or known hosts");
            case "certbot":
                return sub is "certificates" || Has(args, "--dry-run") ? Read("`certbot certificates` / `--dry-run`")
                    : sub is "revoke" or "delete" ? Lose($"`certbot {sub}` revokes or deletes certificates") : Change($"`certbot {sub}` gets or renews certificates");
            case "nginx":
                return HasShort(args, 't') || HasShort(args, 'T') || HasShort(args, 'v') || HasShort(args, 'V') ? Read("`nginx -t` checks the configuration") : Change("`nginx` starts or signals the server");
            case "apachectl" or "apache2ctl" or "httpd":
                return args.Any(a => a is "configtest" or "-t" or "-S" or "status" or "-v" or "-V" or "fullstatus") ? Read($"`{tool}` checks or shows") : Change($"`{tool}` starts, stops or restarts the server");
            case "crontab":
                return HasShort(args, 'l') ? Read("`crontab -l` lists jobs") : HasShort(args, 'r') ? Lose("`crontab -r` removes every job of the user") : Change("`crontab` changes scheduled jobs");

            // Cloud, source control, infrastructure.
            case "aws":
                return Aws(args);
            case "gcloud" or "az" or "doctl" or "gsutil" or "flyctl" or "heroku" or "vercel":
                return Cloud(tool, args);
            case "git":
                return Git(args);
            case "terraform" or "tofu" or "terragrunt":
                return Terraform(tool, args);
            case "ansible-playbook":
                return Has(args, "--check") || HasShort(args, 'C') || Has(args, "--syntax-check") || Has(args, "--list-tasks") || Has(args, "--list-hosts")
                    ? Read("`ansible-playbook --check` only reports")
                    : Change("`ansible-playbook` changes the hosts it targets");
            case "ansible":
            {
                var module = Values(args, "-m", "--module-name").FirstOrDefault();
                return module is "ping" or "setup" or "debug" or "stat" or "slurp" ? Read($"`ansible -m {module}` reads") : Change("`ansible` runs a module on hosts");
            }

            // Queues and application tools.
            case "celery":
                return Celery(args);
            case "rabbitmqctl" or "rabbitmqadmin":
                return sub is not null && (sub.StartsWith("list", StringComparison.Ordinal) || sub is "status" or "cluster_status" or "environment" or "report" or "show" or "ping" or "node_health_check" or "await_startup")
                    ? Read($"`{tool} {sub}` reads")
                    : sub is "purge_queue" or "delete_queue" or "reset" or "force_reset" or "delete_vhost" or "purge" || (sub == "delete" && args.Contains("queue")) ? Lose($"`{tool} {sub}` deletes queued messages")
                    : Change($"`{tool} {sub}` changes the broker");
            case "python" or "python3" or "python2" or "py" or "pipenv" or "poetry" or "uv":
                return Python(tool, args);
            case "alembic":
                return sub is "current" or "history" or "heads" or "branches" or "show" or "check" ? Read($"`alembic {sub}` reads") : sub == "downgrade" ? Change("`alembic downgrade` reverts migrations (may drop data)") : Change($"`alembic {sub}` changes the schema");
            case "flask" or "rails" or "rake" or "bundle" or "npx" or "node" or "deno" or "bun" or "php" or "artisan" or "java" or "go" or "cargo" or "dotnet":
                return args.Any(a => a.Contains("db:drop", StringComparison.Ordinal) || a.Contains("db:reset", StringComparison.Ordinal) || a.Contains("migrate:fresh", StringComparison.Ordinal) || a is "flush")
                    ? Lose($"`{tool} {Args(args)}` drops or empties the database")
                    : args.Any(a => a is "--version" or "-v" or "version" or "--help" or "-h") ? Read($"`{tool} --version`") : Change($"`{tool} {Args(args)}` runs a program whose effects are not read here");
            case "apt" or "apt-get" or "yum" or "dnf" or "apk" or "zypper" or "pacman" or "pip" or "pip3" or "npm" or "yarn" or "pnpm" or "gem" or "brew" or "snap" or "flatpak" or "dpkg" or "rpm":
                return sub is "list" or "show" or "search" or "info" or "policy" or "outdated" or "freeze" or "check" or "audit" or "ls" or "view" or "why" or "madison" or "depends" or "rdepends" || Has(args, "--version") || Has(args, "-l") || Has(args, "-q") || Has(args, "-qa") || Has(args, "-s") && tool == "dpkg"
                    ? Read($"`{tool} {sub}` reads package information")
                    : Change($"`{tool} {sub}` installs, removes or updates packages");
            case "source" or ".":
                return Change($"`{tool} {Args(args)}` runs a script's commands in this shell");
            case "vigil":
                return sub is "validate" or "lint" or "runbook" or "status" or "version" or "--version" or "show" or "check" ? Read($"`vigil {sub}` reads") : Change($"`vigil {sub}` changes Vigil's state");
            case "make":
                return HasShort(args, 'n') || Has(args, "--dry-run") ? Read("`make -n` only prints") : Change("`make` runs a Makefile's commands");
        }
        if (Reading.Contains(tool)) return Read($"`{tool}` only reads or prints");
        return Change($"`{tool}` {Unknown}");
    }

    private static RiskAssessment Systemctl(List<string> args)
    {
        var rest = CommandRisk.SkipOptions(args, "-H", "--host", "-M", "-p", "--property", "-t", "--type", "--state", "-n", "--lines", "-o", "--output");
        var verb = rest.FirstOrDefault() ?? "list-units";
        return verb is "status" or "is-active" or "is-enabled" or "is-failed" or "is-system-running" or "list-units" or "list-unit-files"
            or "list-timers" or "list-sockets" or "list-dependencies" or "list-jobs" or "list-machines" or "show" or "cat" or "help"
            or "get-default" or "show-environment"
            ? Read($"`systemctl {verb}` shows")
            : Change($"`systemctl {verb}` changes {(rest.Count > 1 ? string.Join(' ', rest.Skip(1)) : "the system")}");
    }

    private static RiskAssessment IpCommand(List<string> args)
    {
        var rest = CommandRisk.SkipOptions(args, "-n", "-netns", "-f", "-family");
        if (rest.Count <= 1) return Read("`ip` shows the network");
        return rest[1] is "show" or "list" or "ls" or "get" or "lst" ? Read($"`ip {rest[0]} {rest[1]}` shows") : Change($"`ip {rest[0]} {rest[1]}` changes the network");
    }

    private static RiskAssessment Docker(string tool, List<string> args, int depth)
    {
        var rest = CommandRisk.SkipOptions(args, "-H", "--host", "--context", "-c", "--config", "-l", "--log-level");
        if (rest.Count == 0) return Read($"`{tool}` prints its help");
        var verb = rest[0];
        var more = rest.Skip(1).ToList();
        if (verb is "container" or "image" or "volume" or "network" or "system" or "builder" or "context" or "node" or "service" or "stack" or "secret" or "config" or "plugin" or "buildx" or "trust" or "manifest")
        {
            var op = more.FirstOrDefault() ?? "ls";
            var opArgs = more.Skip(1).ToList();
            if (op is "ls" or "list" or "inspect" or "logs" or "ps" or "df" or "info" or "events" or "history" or "top" or "stats" or "port" or "diff" or "show" or "version") return Read($"`{tool} {verb} {op}` shows");
            if (verb == "volume" && op is "rm" or "remove" or "prune") return Lose($"`{tool} volume {op}` deletes volumes and their data");
            if (verb == "system" && op == "prune")
                return Has(opArgs, "--volumes") ? Lose($"`{tool} system prune --volumes` deletes unused volumes and their data") : Change($"`{tool} system prune` removes stopped containers, unused networks and images");
            if (op == "exec" && verb == "container") return Exec(tool, opArgs, depth);
            if (verb == "container" && op is "rm" or "remove" && (HasShort(opArgs, 'v') || Has(opArgs, "--volumes"))) return Lose($"`{tool} container rm -v` deletes containers with their anonymous volumes");
            return Change($"`{tool} {verb} {op}` changes {verb}s");
        }
        return verb switch
        {
            "ps" or "logs" or "inspect" or "images" or "stats" or "top" or "version" or "info" or "events" or "port" or "diff" or "history" or "search" or "help" => Read($"`{tool} {verb}` shows"),
            "exec" => Exec(tool, more, depth),
            "rm" when HasShort(more, 'v') || Has(more, "--volumes") => Lose($"`{tool} rm -v` deletes containers with their anonymous volumes"),
            "rm" => Change($"`{tool} rm` removes containers (their volumes stay)"),
            "run" => Change($"`{tool} run` starts a container"),
            _ => Change($"`{tool} {verb}` changes containers or images"),
        };
    }

    private static RiskAssessment Exec(string tool, List<string> args, int depth)
    {
        var rest = CommandRisk.SkipOptions(args, "-u", "--user", "-e", "--env", "-w", "--workdir", "--env-file", "--detach-keys");
        return rest.Count <= 1 ? Change($"`{tool} exec` opens a shell in a container") : CommandRisk.Inner(rest.Skip(1).ToList(), depth);
    }

    private static RiskAssessment Compose(string tool, List<string> args, int depth)
    {
        var rest = CommandRisk.SkipOptions(args, "-f", "--file", "-p", "--project-name", "--env-file", "--profile", "--project-directory", "--ansi", "--parallel", "--progress");
        if (rest.Count == 0) return Read($"`{tool}` prints its help");
        var verb = rest[0];
        var more = rest.Skip(1).ToList();
        switch (verb)
        {
            case "ps" or "logs" or "config" or "top" or "images" or "version" or "ls" or "port" or "events" or "convert" or "stats":
                return Read($"`{tool} {verb}` shows");
            case "exec":
            {
                var inner = CommandRisk.SkipOptions(more, "-u", "--user", "-e", "--env", "-w", "--workdir", "--index");
                return inner.Count <= 1 ? Change($"`{tool} exec` opens a shell in a service") : CommandRisk.Inner(inner.Skip(1).ToList(), depth);
            }
            case "run":
            {
                var inner = CommandRisk.SkipOptions(more, "-u", "--user", "-e", "--env", "-w", "--workdir", "--entrypoint", "--name", "-v", "--volume", "-p", "--publish", "-l", "--label", "--env-from-file");
                return inner.Count <= 1 ? Change($"`{tool} run` starts a one-off container of a service") : CommandRisk.Inner(inner.Skip(1).ToList(), depth);
            }
            case "down" or "rm" when HasShort(more, 'v') || Has(more, "--volumes"):
                return Lose($"`{tool} {verb} -v` deletes the services' volumes and their data");
            case "down":
                return Change($"`{tool} down` stops and removes the services' containers and networks");
            default:
                return Change($"`{tool} {verb}` changes the services");
        }
    }

    private static readonly HashSet<string> KubeLosing = new(StringComparer.OrdinalIgnoreCase)
    {
        "namespace", "namespaces", "ns", "pvc", "pvcs", "persistentvolumeclaim", "persistentvolumeclaims", "pv", "pvs", "persistentvolume",
        "persistentvolumes", "deployment", "deployments", "deploy", "statefulset", "statefulsets", "sts", "secret", "secrets", "configmap",
        "configmaps", "cm", "crd", "crds", "customresourcedefinition", "customresourcedefinitions", "service", "services", "svc", "node",
        "nodes", "daemonset", "daemonsets", "ds", "all",
    };

    private static RiskAssessment Kubectl(string tool, List<string> args, int depth)
    {
        var globals = new[] { "-n", "--namespace", "--context", "--kubeconfig", "--cluster", "--user", "-s", "--server", "--token", "--as", "-l", "--selector", "-o", "--output", "-c", "--container", "-f", "--filename", "--field-selector", "--since", "--tail", "--grace-period", "--timeout", "-p", "--type" };
        var rest = CommandRisk.SkipOptions(args, globals);
        if (rest.Count == 0) return Read($"`{tool}` prints its help");
        var verb = rest[0];
        var more = rest.Skip(1).ToList();
        switch (verb)
        {
            case "get" or "describe" or "logs" or "top" or "explain" or "version" or "api-resources" or "api-versions" or "cluster-info" or "diff" or "events" or "wait" or "port-forward" or "proxy" or "completion" or "plugin":
                return Read($"`{tool} {verb}` reads the cluster");
            case "auth":
                return Read($"`{tool} auth` checks permissions");
            case "config":
                return more.FirstOrDefault() is "view" or "get-contexts" or "current-context" or "get-clusters" or "get-users" ? Read($"`{tool} config {more[0]}` shows") : Change($"`{tool} config` changes the local kubeconfig");
            case "rollout":
                return more.FirstOrDefault() is "status" or "history" ? Read($"`{tool} rollout {more[0]}` shows") : Change($"`{tool} rollout {more.FirstOrDefault()}` changes a workload");
            case "exec":
            {
                var dash = args.IndexOf("--");
                if (dash >= 0) return dash + 1 < args.Count ? CommandRisk.Inner(args.Skip(dash + 1).ToList(), depth) : Change($"`{tool} exec` opens a shell in a pod");
                var inner = CommandRisk.SkipOptions(more, globals);
                return inner.Count <= 1 ? Change($"`{tool} exec` opens a shell in a pod") : CommandRisk.Inner(inner.Skip(1).ToList(), depth);
            }
            case "delete":
            {
                var forced = args.Any(a => a is "--force" or "--all" or "-A" or "--all-namespaces" or "--now" || a.StartsWith("--grace-period=0", StringComparison.Ordinal) || a == "--grace-period" && args.SkipWhile(x => x != "--grace-period").Skip(1).FirstOrDefault() == "0");
                var kinds = CommandRisk.SkipOptions(more, globals).FirstOrDefault()?.Split(',', '/')[0] ?? "";
                if (forced) return Lose($"`{tool} delete --force/--all` removes resources at once, without a graceful stop");
                if (KubeLosing.Contains(kinds)) return Lose($"`{tool} delete {kinds}` removes a resource that holds state or serves traffic");
                if (Has(args, "-f") || Has(args, "--filename")) return Lose($"`{tool} delete -f` removes every resource the file defines");
                return Change($"`{tool} delete {kinds}` removes resources (their controller may recreate them)");
            }
            case "drain":
                return Change($"`{tool} drain` evicts every pod from a node");
            default:
                return Change($"`{tool} {verb}` changes the cluster");
        }
    }

    private static RiskAssessment Helm(List<string> args)
    {
        var rest = CommandRisk.SkipOptions(args, "-n", "--namespace", "--kube-context", "--kubeconfig");
        var verb = rest.FirstOrDefault() ?? "";
        return verb switch
        {
            "list" or "ls" or "status" or "history" or "get" or "show" or "inspect" or "template" or "search" or "lint" or "version" or "env" or "verify" => Read($"`helm {verb}` reads"),
            "uninstall" or "delete" or "del" or "un" => Lose($"`helm {verb}` removes a release and its resources"),
            "repo" or "dependency" or "dep" or "plugin" when rest.Skip(1).FirstOrDefault() is "list" or "ls" => Read($"`helm {verb} list` reads"),
            _ => Change($"`helm {verb}` installs, upgrades or rolls back a release"),
        };
    }

    private static RiskAssessment Psql(List<string> args)
    {
        var sql = Values(args, "-c", "--command");
        var file = Values(args, "-f", "--file");
        if (HasShort(args, 'l') && sql.Count == 0 && file.Count == 0 && args.Any(a => a is "-l" or "--list")) return Read("`psql -l` lists databases");
        var parts = sql.Select(SqlRisk.Classify).ToList();
        if (file.Count > 0) parts.Add(Change($"`psql -f {file[0]}` runs a SQL file whose content is not read here"));
        return parts.Count > 0 ? RiskAssessment.Max(parts) : Change("`psql` opens an interactive session (or runs its input)");
    }

    private static readonly string[] MongoLosing = ["drop", "deleteMany", "remove(", "dropDatabase"];
    private static readonly string[] MongoWriting = ["insert", "update", "replace", "createIndex", "rs.stepDown", "shutdown", "adminCommand", "bulkWrite"];

    private static RiskAssessment Mongo(List<string> args)
    {
        var eval = Values(args, "--eval");
        if (eval.Count == 0) return Change("`mongo` opens an interactive session");
        var js = string.Join(';', eval);
        if (MongoLosing.Any(k => js.Contains(k, StringComparison.Ordinal))) return Lose("the MongoDB script drops or deletes documents");
        if (MongoWriting.Any(k => js.Contains(k, StringComparison.Ordinal))) return Change("the MongoDB script writes");
        return Read("the MongoDB script reads");
    }

    private static RiskAssessment Curl(List<string> args)
    {
        var method = Values(args, "-X", "--request").LastOrDefault()?.ToUpperInvariant();
        var sends = args.Any(a => a is "-d" or "--data" or "--data-raw" or "--data-binary" or "--data-urlencode" or "-F" or "--form" or "--json" or "-T" or "--upload-file"
                                  || a.StartsWith("--data", StringComparison.Ordinal) || a.StartsWith("-d", StringComparison.Ordinal) && a.Length > 2 && !a.StartsWith("--", StringComparison.Ordinal));
        var head = args.Any(a => a is "-I" or "--head");
        method ??= head ? "HEAD" : sends ? (args.Any(a => a is "-T" or "--upload-file") ? "PUT" : "POST") : "GET";
        var output = Values(args, "-o", "--output").Where(o => o != "/dev/null" && o != "-").ToList();
        var r = Method("curl", method);
        if (HasShort(args, 'O') || args.Contains("--remote-name")) output.Add("(the URL's file name)");
        return output.Count > 0 ? RiskAssessment.Max([r, Change($"`curl -o` writes {output[0]}")]) : r;
    }

    private static RiskAssessment Method(string tool, string method) => method switch
    {
        "GET" or "HEAD" or "OPTIONS" => Read($"`{tool}` sends a {method} request"),
        "DELETE" => Lose($"`{tool}` sends a DELETE request: removes a resource on the server"),
        _ => Change($"`{tool}` sends a {method} request, which changes something on the server"),
    };

    private static RiskAssessment Aws(List<string> args)
    {
        var rest = CommandRisk.SkipOptions(args, "--region", "--profile", "--output", "--endpoint-url", "--query", "--color", "--cli-read-timeout", "--cli-connect-timeout", "--ca-bundle");
        var service = rest.FirstOrDefault() ?? "";
        var op = rest.Skip(1).FirstOrDefault() ?? "";
        var more = rest.Skip(2).ToList();
        if (service == "s3")
        {
            return op switch
            {
                "ls" or "presign" => Read($"`aws s3 {op}` reads"),
                "rm" or "rb" => Lose($"`aws s3 {op}` deletes objects{(Has(more, "--recursive") ? " under a prefix" : "")}"),
                "sync" when Has(more, "--delete") => Lose("`aws s3 sync --delete` deletes files at the destination that the source lacks"),
                _ => Change($"`aws s3 {op}` writes objects or files"),
            };
        }
        if (op is "wait" or "help" || service is "sts" && op.StartsWith("get-", StringComparison.Ordinal) || op == "tail" || op == "filter-log-events") return Read($"`aws {service} {op}` reads");
        foreach (var p in new[] { "describe-", "list-", "get-", "head-", "lookup-", "search-", "filter-", "test-", "estimate-", "simulate-", "validate-", "batch-get-", "scan", "query" })
            if (op.StartsWith(p, StringComparison.Ordinal)) return Read($"`aws {service} {op}` reads");
        foreach (var p in new[] { "delete-", "terminate-", "purge-", "destroy-", "drop-", "batch-delete-" })
            if (op.StartsWith(p, StringComparison.Ordinal)) return Lose($"`aws {service} {op}` deletes or terminates resources");
        return Change($"`aws {service} {op}` changes resources");
    }

    private static RiskAssessment Cloud(string tool, List<string> args)
    {
        var words = args.Where(a => !a.StartsWith('-')).ToList();
        if (words.Any(w => w is "delete" or "destroy" or "rm" or "remove" or "purge" or "terminate")) return Lose($"`{tool} {string.Join(' ', words.Take(3))}` deletes resources");
        if (words.Any(w => w is "list" or "describe" or "get" or "show" or "ls" or "cat" or "read" or "tail" or "status" or "get-iam-policy" or "info" or "logs" or "version")) return Read($"`{tool} {string.Join(' ', words.Take(3))}` reads");
        return Change($"`{tool} {string.Join(' ', words.Take(3))}` changes resources");
    }

    private static RiskAssessment Git(List<string> args)
    {
        var rest = CommandRisk.SkipOptions(args, "-C", "-c", "--git-dir", "--work-tree", "--namespace");
        var verb = rest.FirstOrDefault() ?? "";
        var more = rest.Skip(1).ToList();
        switch (verb)
        {
            case "status" or "log" or "diff" or "show" or "blame" or "rev-parse" or "describe" or "shortlog" or "ls-files" or "ls-remote" or "ls-tree" or "grep" or "reflog" or "cat-file" or "rev-list" or "whatchanged" or "version" or "help" or "bisect" when verb != "bisect":
                return Read($"`git {verb}` reads the repository");
            case "remote":
                return more.FirstOrDefault() is null or "-v" or "show" or "get-url" ? Read("`git remote` lists remotes") : Change($"`git remote {more[0]}` changes remotes");
            case "branch":
                if (more.Any(a => a is "-D" || (a is "-d" or "--delete" && more.Any(b => b is "-f" or "--force")))) return Lose("`git branch -D` deletes a branch even when it is not merged");
                return more.Count == 0 || more.All(a => a is "-a" or "-r" or "--list" or "-v" or "-vv" or "--all" or "--remotes" or "--show-current" or "--merged" or "--no-merged" || a.StartsWith("--contains", StringComparison.Ordinal))
                    ? Read("`git branch` lists branches")
                    : Change("`git branch` creates, renames or deletes a branch");
            case "tag":
                return more.Count == 0 || more.All(a => a is "-l" or "--list" or "-n") ? Read("`git tag` lists tags") : Change("`git tag` creates or deletes tags");
            case "config":
                return more.Any(a => a is "--get" or "--list" or "-l" or "--get-all" or "--get-regexp") ? Read("`git config --get` reads settings") : Change("`git config` changes settings");
            case "stash":
                return more.FirstOrDefault() is "list" or "show" ? Read($"`git stash {more[0]}` shows") : more.FirstOrDefault() is "drop" or "clear" ? Lose($"`git stash {more[0]}` deletes stashed changes") : Change("`git stash` sets changes aside or brings them back");
            case "reset":
                return Has(more, "--hard") || Has(more, "--merge") ? Lose("`git reset --hard` discards uncommitted changes") : Change("`git reset` moves the branch or the index");
            case "clean":
                return HasShort(more, 'n') || Has(more, "--dry-run") ? Read("`git clean -n` only lists") : Lose("`git clean -f` deletes untracked files");
            case "push":
                return more.Any(a => a is "-f" or "--force" or "--mirror" or "--delete" or "-d" or "--prune" || a.StartsWith("--force", StringComparison.Ordinal) || a.StartsWith('+') || (a.StartsWith(':') && a.Length > 1))
                    ? Lose("`git push --force/--delete` overwrites or deletes history on the remote")
                    : Change("`git push` publishes commits");
            case "checkout" when more.Contains("--") || more.Contains(".") || Has(more, "-f") || Has(more, "--force"):
                return Lose("`git checkout -- paths` discards local changes to them");
            case "restore" when !Has(more, "--staged") || Has(more, "--worktree") || HasShort(more, 'W'):
                return Lose("`git restore` discards local changes");
            case "fetch":
                return Change("`git fetch` updates remote-tracking branches");
            default:
                return Change($"`git {verb}` changes the repository");
        }
    }

    private static RiskAssessment Terraform(string tool, List<string> args)
    {
        var rest = CommandRisk.SkipOptions(args, "-chdir");
        var verb = rest.FirstOrDefault() ?? "";
        var more = rest.Skip(1).ToList();
        if (verb == "destroy" || (verb == "apply" && Has(more, "-destroy"))) return Lose($"`{tool} destroy` deletes the managed infrastructure");
        if (verb is "plan" or "show" or "validate" or "output" or "graph" or "providers" or "version" or "console" || (verb == "fmt" && Has(more, "-check"))) return Read($"`{tool} {verb}` reads");
        if (verb is "state" or "workspace") return more.FirstOrDefault() is "list" or "show" or "pull" ? Read($"`{tool} {verb} {more[0]}` reads") : Change($"`{tool} {verb}` changes the state");
        return Change($"`{tool} {verb}` changes infrastructure or its state");
    }

    private static RiskAssessment Celery(List<string> args)
    {
        var rest = CommandRisk.SkipOptions(args, "-A", "--app", "-b", "--broker", "--result-backend", "--workdir", "--config", "-C", "--loader");
        var verb = rest.FirstOrDefault() ?? "";
        var more = rest.Skip(1).ToList();
        return verb switch
        {
            "inspect" or "status" or "report" or "result" or "events" or "list" or "graph" => Read($"`celery {verb}` reads"),
            "purge" => Lose("`celery purge` discards every task waiting in the queues"),
            "amqp" when more.Any(a => a.Contains("purge", StringComparison.Ordinal) || a.Contains("delete", StringComparison.Ordinal)) => Lose("`celery amqp queue.purge/delete` discards queued tasks"),
            "control" => Change($"`celery control {more.FirstOrDefault()}` acts on the workers"),
            "worker" or "beat" or "multi" => Change($"`celery {verb}` starts or stops workers"),
            _ => Change($"`celery {verb}` changes the queues or workers"),
        };
    }

    private static RiskAssessment Python(string tool, List<string> args)
    {
        var m = Values(args, "-m").FirstOrDefault();
        if (m is "json.tool" or "http.server" && m == "json.tool") return Read("`python -m json.tool` prints JSON");
        var script = args.FirstOrDefault(a => !a.StartsWith('-'));
        if (script is not null && script.EndsWith("manage.py", StringComparison.Ordinal))
        {
            var command = args.SkipWhile(a => a != script).Skip(1).FirstOrDefault() ?? "";
            return command switch
            {
                "check" or "showmigrations" or "inspectdb" or "diffsettings" or "sqlmigrate" or "help" or "version" or "show_urls" => Read($"`manage.py {command}` reads"),
                "flush" or "reset_db" => Lose($"`manage.py {command}` deletes all data"),
                _ => Change($"`manage.py {command}` changes the application's state"),
            };
        }
        if (args.Any(a => a is "--version" or "-V")) return Read($"`{tool} --version`");
        return Change($"`{tool} {Args(args)}` runs a program whose effects are not read here");
    }

    /// <summary>The first argument that is not an option (a subcommand), or null.</summary>
    private static string? Sub(List<string> args) => args.FirstOrDefault(a => !a.StartsWith('-'));

    private static bool Has(List<string> args, string flag) => args.Contains(flag);

    /// <summary>Whether a short flag is given, alone or in a cluster (<c>-rf</c> has <c>r</c>).</summary>
    private static bool HasShort(List<string> args, char flag) =>
        args.Any(a => a.Length >= 2 && a[0] == '-' && a[1] != '-' && a.AsSpan(1).IndexOf(flag) >= 0 && a.Skip(1).All(char.IsLetter));

    /// <summary>The values of an option: <c>-c VALUE</c>, <c>-cVALUE</c> (short), <c>--command=VALUE</c>.</summary>
    private static List<string> Values(List<string> args, params string[] names)
    {
        var values = new List<string>();
        for (var i = 0; i < args.Count; i++)
        {
            foreach (var n in names)
            {
                if (args[i] == n && i + 1 < args.Count) values.Add(args[i + 1]);
                else if (n.StartsWith("--", StringComparison.Ordinal) && args[i].StartsWith(n + "=", StringComparison.Ordinal)) values.Add(args[i][(n.Length + 1)..]);
                else if (n.Length == 2 && n[0] == '-' && args[i].StartsWith(n, StringComparison.Ordinal) && args[i].Length > 2 && !args[i].StartsWith("--", StringComparison.Ordinal) && n != "-O") values.Add(args[i][2..]);
            }
        }
        return values;
    }

    private static string Args(List<string> args)
    {
        var s = string.Join(' ', args).ReplaceLineEndings(" ");
        return s.Length <= 60 ? s : s[..57] + "…";
    }
}
