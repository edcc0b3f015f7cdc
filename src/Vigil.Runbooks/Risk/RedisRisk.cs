namespace Vigil.Runbooks.Risk;

/// <summary>Redis commands by name: reads (INFO, LLEN, SCAN…), writes (SET, DEL, CONFIG SET…), and those that lose
/// data (FLUSHDB, FLUSHALL, SHUTDOWN NOSAVE; deletion fed by <c>xargs</c>, a mass deletion). Unknown: mutating.</summary>
internal static class RedisRisk
{
    private static readonly HashSet<string> Reading = new(StringComparer.OrdinalIgnoreCase)
    {
        "PING", "INFO", "LLEN", "LRANGE", "LINDEX", "GET", "MGET", "EXISTS", "TTL", "PTTL", "TYPE", "KEYS", "SCAN", "SSCAN",
        "HSCAN", "ZSCAN", "HGET", "HMGET", "HGETALL", "HLEN", "HKEYS", "HVALS", "HEXISTS", "SMEMBERS", "SISMEMBER", "SCARD",
        "ZRANGE", "ZRANGEBYSCORE", "ZREVRANGE", "ZCARD", "ZSCORE", "ZCOUNT", "ZRANK", "DBSIZE", "SLOWLOG", "MEMORY", "MONITOR",
        "LASTSAVE", "TIME", "XLEN", "XINFO", "XRANGE", "XREVRANGE", "XPENDING", "STRLEN", "GETRANGE", "OBJECT", "ROLE",
        "LATENCY", "ECHO", "COMMAND", "PUBSUB", "RANDOMKEY", "DUMP", "BITCOUNT", "PFCOUNT", "GEOPOS", "GEODIST", "SUBSCRIBE",
        "PSUBSCRIBE", "WAIT", "LPOS", "SRANDMEMBER", "ZRANGEBYLEX", "ZLEXCOUNT", "HSTRLEN", "SINTER", "SUNION", "SDIFF",
    };

    private static readonly HashSet<string> Losing = new(StringComparer.OrdinalIgnoreCase) { "FLUSHDB", "FLUSHALL" };

    private static readonly HashSet<string> Deleting = new(StringComparer.OrdinalIgnoreCase) { "DEL", "UNLINK", "HDEL", "SREM", "ZREM", "LREM", "XDEL", "LTRIM", "ZREMRANGEBYSCORE", "ZREMRANGEBYRANK" };

    /// <summary>One Redis command (its words, the command first); <paramref name="mass"/> when it runs once per line of
    /// input (fed by <c>xargs</c>).</summary>
    public static RiskAssessment Command(IReadOnlyList<string> words, bool mass)
    {
        if (words.Count == 0) return RiskAssessment.Mutating("`redis-cli` without a command opens an interactive session");
        var name = words[0].ToUpperInvariant();
        var sub = words.Count > 1 ? words[1].ToUpperInvariant() : "";
        var what = words.Count > 1 ? $"{name} {sub}" : name;
        if (Losing.Contains(name)) return RiskAssessment.Destructive($"Redis `{name}` deletes every key{(name == "FLUSHALL" ? " of every database" : " of the database")}");
        if (name == "SHUTDOWN")
        {
            return sub == "NOSAVE"
                ? RiskAssessment.Destructive("Redis `SHUTDOWN NOSAVE` stops the server and loses what was not saved")
                : RiskAssessment.Mutating("Redis `SHUTDOWN` stops the server");
        }
        if (name == "DEBUG") return RiskAssessment.Destructive("Redis `DEBUG` can crash or reload the server");
        if (Deleting.Contains(name))
        {
            return mass
                ? RiskAssessment.Destructive($"Redis `{name}` run for every key of a list (xargs): a mass deletion")
                : RiskAssessment.Mutating($"Redis `{name}` deletes the keys or members it names");
        }
        if (name is "CONFIG" or "CLIENT" or "CLUSTER" or "ACL" or "SCRIPT" or "FUNCTION" or "MODULE" or "XINFO" or "MEMORY" or "SLOWLOG" or "LATENCY" or "OBJECT" or "COMMAND" or "PUBSUB")
        {
            var reads = sub is "GET" or "LIST" or "INFO" or "NODES" or "SLOTS" or "SHARDS" or "GETNAME" or "ID" or "USAGE" or "STATS" or "DOCTOR"
                or "LEN" or "LATEST" or "HISTORY" or "WHOAMI" or "USERS" or "CAT" or "EXISTS" or "STREAM" or "GROUPS" or "CONSUMERS"
                or "ENCODING" or "FREQ" or "IDLETIME" or "REFCOUNT" or "COUNT" or "DOCS" or "CHANNELS" or "NUMSUB" or "NUMPAT" or "MYID" or "KEYSLOT" or "COUNTKEYSINSLOT";
            if (name == "SLOWLOG" && sub == "RESET") reads = false;
            return reads ? RiskAssessment.ReadOnly($"Redis `{what}` reads") : RiskAssessment.Mutating($"Redis `{what}` changes the server");
        }
        if (Reading.Contains(name)) return RiskAssessment.ReadOnly($"Redis `{name}` reads");
        return RiskAssessment.Mutating($"Redis `{name}` writes (or is not a command Vigil knows)");
    }

    /// <summary>Redis commands written one per line (a <c>redis</c> block or <c>redis-cli</c> input).</summary>
    public static RiskAssessment Lines(string text) =>
        RiskAssessment.Max(ShellWords.Split(text).Where(c => c.Words.Count > 0).Select(c =>
            c.Words[0].Equals("redis-cli", StringComparison.OrdinalIgnoreCase) ? Cli(c.Words.Skip(1).ToList(), false) : Command(c.Words, false)));

    private static readonly HashSet<string> OptionsWithValue = new(StringComparer.Ordinal)
    {
        "-h", "-p", "-a", "-n", "-u", "-s", "-r", "-i", "-d", "-D", "--user", "--pass", "--pattern", "--count", "--tls-cert", "--tls-key",
        "--cacert", "--cacertdir", "--sni", "--eval", "--memkeys-samples", "--quoted-pattern", "-t", "-x",
    };

    /// <summary><c>redis-cli</c>'s arguments: options, then a command (none: an interactive session, unless an option
    /// such as <c>--scan</c>, <c>--bigkeys</c> or <c>--stat</c> makes it a read).</summary>
    public static RiskAssessment Cli(IReadOnlyList<string> args, bool mass)
    {
        var i = 0;
        var scanning = false;
        while (i < args.Count && args[i].StartsWith('-'))
        {
            var o = args[i];
            if (o is "--scan" or "--bigkeys" or "--memkeys" or "--hotkeys" or "--stat" or "--latency" or "--latency-history" or "--latency-dist" or "--intrinsic-latency" or "--keystats") scanning = true;
            if (o == "--eval") return RiskAssessment.Mutating("`redis-cli --eval` runs a Lua script");
            if (o is "--rdb" or "--functions-rdb") return RiskAssessment.Mutating("`redis-cli --rdb` writes a dump file");
            i += OptionsWithValue.Contains(o) ? 2 : 1;
        }
        if (i >= args.Count)
        {
            return scanning ? RiskAssessment.ReadOnly("`redis-cli` " + string.Join(' ', args.Where(a => a.StartsWith("--", StringComparison.Ordinal))) + " reads")
                : Command([], mass);
        }
        return Command([.. args.Skip(i)], mass);
    }
}
