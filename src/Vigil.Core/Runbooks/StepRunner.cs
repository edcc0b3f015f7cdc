using System.ComponentModel;
using Vigil.Core.Processes;
using System.Diagnostics;
using System.Text;

namespace Vigil.Core.Runbooks;

/// <summary>How a run ended.</summary>
public enum RunOutcome
{
    /// <summary>The script exited by itself; see the exit code.</summary>
    Exited,
    TimedOut,
    Canceled,
    /// <summary>The shell could not be started (no bash, no such working directory).</summary>
    FailedToStart,
}

/// <summary>What to run and within which bounds.</summary>
/// <param name="Script">A bash script (see <c>StepScript.Build</c>).</param>
/// <param name="WorkingDirectory">Where the script starts.</param>
/// <param name="Environment">The whole environment the script gets; nothing else of Vigil's is inherited.</param>
/// <param name="Timeout">When the process group is killed.</param>
/// <param name="OutputLimit">Bytes of output handed out at most.</param>
public sealed record StepRunRequest(string Script, string WorkingDirectory, IReadOnlyDictionary<string, string> Environment, TimeSpan Timeout, long OutputLimit);

public sealed record StepRunResult(RunOutcome Outcome, int? ExitCode, bool Truncated, TimeSpan Duration, string? Error);

/// <summary>
/// Runs a runbook step on this host. The script runs in a session and process group of its own (<c>setsid</c>), so on a
/// timeout or a cancel the whole group is killed, including background jobs whose parent already exited, which walking
/// the process tree would miss; the tree is killed too, for whatever left the group. stdout and stderr are merged in
/// arrival order and handed out a line at a time (so a secret is never split across two pieces before redaction), up to
/// the output limit; the rest is read and dropped so the script never blocks on a full pipe.
/// </summary>
public static class StepRunner
{
    /// <summary>A line longer than this is handed out in pieces.</summary>
    public const int MaxPiece = 4096;

    public static async Task<StepRunResult> RunAsync(StepRunRequest request, Action<string> output, TimeProvider time, CancellationToken cancel)
    {
        var shell = File.Exists("/bin/bash") ? "/bin/bash" : "/bin/sh";
        var info = ProcessGroup.Redirected(request.WorkingDirectory);
        var arguments = new List<string>();
        if (shell == "/bin/bash") arguments.AddRange(["--noprofile", "--norc"]);
        arguments.AddRange(["-c", request.Script]);
        ProcessGroup.Prepare(info, shell, arguments);
        info.Environment.Clear();
        foreach (var (k, v) in request.Environment) info.Environment[k] = v;

        var started = time.GetTimestamp();
        if (!Directory.Exists(request.WorkingDirectory))
        {
            return new StepRunResult(RunOutcome.FailedToStart, null, false, TimeSpan.Zero, $"the working directory {request.WorkingDirectory} does not exist");
        }
        using var process = new Process { StartInfo = info };
        try
        {
            process.Start();
        }
        catch (Exception e) when (e is Win32Exception or InvalidOperationException or IOException)
        {
            return new StepRunResult(RunOutcome.FailedToStart, null, false, TimeSpan.Zero, $"cannot start {shell}: {e.Message}");
        }
        process.StandardInput.Close();
        var sink = new OutputLimit(output, request.OutputLimit);
        var stdout = PumpAsync(process.StandardOutput, sink);
        var stderr = PumpAsync(process.StandardError, sink);

        using var timeout = new CancellationTokenSource(request.Timeout, time);
        using var either = CancellationTokenSource.CreateLinkedTokenSource(timeout.Token, cancel);
        var outcome = RunOutcome.Exited;
        try
        {
            await process.WaitForExitAsync(either.Token);
        }
        catch (OperationCanceledException)
        {
            outcome = cancel.IsCancellationRequested ? RunOutcome.Canceled : RunOutcome.TimedOut;
            ProcessGroup.Kill(process);
            try
            {
                await process.WaitForExitAsync(CancellationToken.None).WaitAsync(TimeSpan.FromSeconds(5), CancellationToken.None);
            }
            catch (TimeoutException)
            {
                // A process in uninterruptible sleep; it is killed and will go, the run is over either way.
            }
        }
        // A background job still holding the pipes must not keep the run open: wait briefly for the rest of the output.
        await Task.WhenAny(Task.WhenAll(stdout, stderr), Task.Delay(TimeSpan.FromSeconds(2), CancellationToken.None));
        sink.Flush();
        var duration = time.GetElapsedTime(started);
        return new StepRunResult(outcome, outcome == RunOutcome.Exited ? process.ExitCode : null, sink.Truncated, duration, null);
    }

    private static async Task PumpAsync(StreamReader reader, OutputLimit sink)
    {
        var buffer = new char[4096];
        var line = new StringBuilder();
        try
        {
            int n;
            while ((n = await reader.ReadAsync(buffer)) > 0)
            {
                for (var i = 0; i < n; i++)
                {
                    line.Append(buffer[i]);
                    if (buffer[i] == '\n' || line.Length >= MaxPiece)
                    {
                        sink.Write(line.ToString());
                        line.Clear();
                    }
                }
            }
        }
        catch (Exception e) when (e is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The pipe went with the process: keep what arrived.
        }
        if (line.Length > 0) sink.Write(line.ToString());
    }
}
