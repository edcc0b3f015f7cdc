using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Vigil.Core.Processes;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// <c>command</c>: runs a program (no shell unless <c>shell: true</c>, then <c>/bin/sh -c</c>) in the workspace or its
/// <c>working_directory</c>. Exit code → <c>[STATUS]</c>, stdout (64 KiB at most, trailing newline trimmed) →
/// <c>[BODY]</c> and <c>[VALUE]</c> when numeric; a non-zero exit is a built-in failure. At the timeout the whole
/// process group (see <see cref="ProcessGroup"/>) is killed. The command inherits Vigil's environment except its <c>VIGIL_*</c> variables.
/// </summary>
public sealed class CommandProbe : ICheckProbe
{
    public const int MaxStdoutChars = 64 * 1024;
    public const int MaxStderrChars = 4 * 1024;

    public CheckKind Kind => CheckKind.Command;

    public async Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        if (!ProbeSupport.TryGetSpec<CommandCheckSpec>(check, out var spec, out var invalid)) return invalid!;
        var observation = new Observation();
        var info = ProcessGroup.Redirected(spec.WorkingDirectory is null
            ? context.WorkspaceDirectory
            : ProbeSupport.ResolvePath(context, spec.WorkingDirectory));
        // The command sees the environment Vigil runs in, as a cron job would, minus Vigil's own settings: the
        // bootstrap token and the database URL (with its password) are Vigil's secrets, not the check's.
        foreach (var name in info.Environment.Keys.Where(k => k.StartsWith("VIGIL_", StringComparison.Ordinal)).ToList())
        {
            info.Environment.Remove(name);
        }
        if (spec.Shell)
        {
            ProcessGroup.Prepare(info, "/bin/sh", ["-c", spec.Run]);
        }
        else
        {
            if (!CommandLine.TrySplit(spec.Run, out var argv, out var error))
            {
                observation.Error = "cannot parse run: " + error;
                return observation;
            }
            var program = ProcessGroup.Find(argv[0], info.Environment.TryGetValue("PATH", out var path) ? path : null, info.WorkingDirectory);
            if (program is null)
            {
                observation.Error = $"cannot start {argv[0]}: no such program{(argv[0].Contains('/') ? "" : " on the PATH")}";
                return observation;
            }
            ProcessGroup.Prepare(info, program, argv.Skip(1));
        }
        if (!Directory.Exists(info.WorkingDirectory))
        {
            observation.Error = "working directory does not exist: " + info.WorkingDirectory;
            return observation;
        }

        var start = ProbeSupport.Start();
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
        {
            observation.Error = $"cannot start {info.FileName}: {e.Message}";
            return observation;
        }
        observation.Connected = true;
        process.StandardInput.Close();
        var stdout = ReadBoundedAsync(process.StandardOutput, MaxStdoutChars);
        var stderr = ReadBoundedAsync(process.StandardError, MaxStderrChars);
        try
        {
            await process.WaitForExitAsync(ct);
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            ProcessGroup.Kill(process);
            observation.ResponseTime = ProbeSupport.Since(start);
            observation.Error = ProbeSupport.TimedOut(check) + "; its process group was killed";
            var partial = await CollectAsync(stdout);
            if (partial.Text.Length > 0) observation.Body = TrimNewline(partial.Text);
            return observation;
        }
        observation.ResponseTime = ProbeSupport.Since(start);
        var (output, outTruncated) = await CollectAsync(stdout);
        var (errors, errTruncated) = await CollectAsync(stderr);

        var exitCode = process.ExitCode;
        observation.Status = exitCode;
        observation.Body = TrimNewline(output);
        if (ProbeSupport.TryParseNumber(observation.Body, out var number)) observation.Value = number;
        observation.Facts.Add($"exited with {exitCode} after {ProbeSupport.FormatDuration(observation.ResponseTime)}");
        if (outTruncated) observation.Facts.Add($"stdout truncated to the first {MaxStdoutChars} characters");
        if (errors.Length > 0)
        {
            observation.Facts.Add("stderr: " + SecretSet.RedactUrlCredentials(TrimNewline(errors)) + (errTruncated ? " …(truncated)" : ""));
        }
        if (exitCode != 0) observation.BuiltInFailures.Add($"exited with {exitCode}");
        return observation;
    }

    private static string TrimNewline(string text)
    {
        if (text.EndsWith("\r\n", StringComparison.Ordinal)) return text[..^2];
        return text.EndsWith('\n') ? text[..^1] : text;
    }

    /// <summary>The reader's text, waiting briefly: a grandchild that escaped the kill may hold the pipe open.</summary>
    private static async Task<(string Text, bool Truncated)> CollectAsync(Task<(string Text, bool Truncated)> reading)
    {
        try
        {
            return await reading.WaitAsync(TimeSpan.FromSeconds(2));
        }
        catch (TimeoutException)
        {
            return ("", false);
        }
    }

    /// <summary>Reads a stream to its end, keeping at most <paramref name="limit"/> characters (the rest is drained so the child never blocks).</summary>
    private static async Task<(string Text, bool Truncated)> ReadBoundedAsync(StreamReader reader, int limit)
    {
        var kept = new StringBuilder();
        var buffer = new char[4096];
        var truncated = false;
        try
        {
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
            {
                var room = limit - kept.Length;
                if (room > 0) kept.Append(buffer, 0, Math.Min(room, n));
                if (n > room) truncated = true;
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException)
        {
            // The pipe broke with the process: keep what arrived.
        }
        return (kept.ToString(), truncated);
    }
}
