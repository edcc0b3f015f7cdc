using Vigil.Core.Checks;
using Vigil.Core.Workspace;

namespace Vigil.Core.Tests.Checks;

internal static class ProbeTestSupport
{
    public static CancellationToken Ct => TestContext.Current.CancellationToken;

    public static Check Make(CheckSpec spec, TimeSpan? timeout = null) => new()
    {
        Id = "probe-test",
        Kind = spec switch
        {
            HttpCheckSpec => CheckKind.Http,
            TcpCheckSpec => CheckKind.Tcp,
            DnsCheckSpec => CheckKind.Dns,
            TlsCheckSpec => CheckKind.Tls,
            PostgresCheckSpec => CheckKind.Postgres,
            RedisCheckSpec => CheckKind.Redis,
            SqlCheckSpec => CheckKind.Sql,
            CommandCheckSpec => CheckKind.Command,
            DiskCheckSpec => CheckKind.Disk,
            FileCheckSpec => CheckKind.File,
            _ => throw new ArgumentOutOfRangeException(nameof(spec)),
        },
        Spec = spec,
        Timeout = timeout ?? TimeSpan.FromSeconds(10),
        Position = new SourcePosition("vigil.yaml", 1, 1),
    };

    public static ProbeContext Context(string? workspace = null, TimeProvider? time = null) =>
        new(workspace ?? Path.GetTempPath(), time ?? TimeProvider.System);

    /// <summary>Runs a probe the way the engine does: its token cancelled at the check's timeout (and with the test's).</summary>
    public static async Task<Observation> RunAsync(ICheckProbe probe, Check check, ProbeContext? context = null)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(check.Timeout);
        return await probe.ProbeAsync(check, context ?? Context(), timeout.Token);
    }

    /// <summary>A temporary directory removed at dispose.</summary>
    public sealed class TempDir : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("vigil-probe-").FullName;

        public string File(string relative, string content = "", DateTime? modifiedUtc = null)
        {
            var full = System.IO.Path.Combine(Path, relative);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(full)!);
            System.IO.File.WriteAllText(full, content);
            if (modifiedUtc is { } when) System.IO.File.SetLastWriteTimeUtc(full, when);
            return full;
        }

        public void Dispose()
        {
            try
            {
                Directory.Delete(Path, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
