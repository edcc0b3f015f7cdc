using System.ComponentModel;
using System.Diagnostics;
using System.Runtime.InteropServices;

namespace Vigil.Core.Processes;

/// <summary>
/// Starts a program as the leader of a session and process group of its own (through <c>setsid</c>, where the system
/// has it), so that everything it starts, background jobs whose parent already exited included, can be killed at once.
/// Walking the process tree alone misses those: an orphan is re-parented away from the tree.
/// </summary>
public static class ProcessGroup
{
    private const string SetSid = "/usr/bin/setsid";

    /// <summary>Whether programs started through <see cref="Prepare"/> get a group of their own here.</summary>
    public static bool Available { get; } = (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && File.Exists(SetSid);

    /// <summary>Start settings for a child whose stdin is closed by the caller and whose stdout and stderr (UTF-8) it reads.</summary>
    public static ProcessStartInfo Redirected(string workingDirectory) => new()
    {
        UseShellExecute = false,
        RedirectStandardInput = true,
        RedirectStandardOutput = true,
        RedirectStandardError = true,
        StandardOutputEncoding = System.Text.Encoding.UTF8,
        StandardErrorEncoding = System.Text.Encoding.UTF8,
        WorkingDirectory = workingDirectory,
    };

    /// <summary>Makes <paramref name="info"/> start <paramref name="program"/> with <paramref name="arguments"/> in a group of its own.</summary>
    public static void Prepare(ProcessStartInfo info, string program, IEnumerable<string> arguments)
    {
        info.ArgumentList.Clear();
        if (Available)
        {
            // setsid execs in place when the caller is not a group leader (a child of Vigil never is): the program's pid
            // is its group's id.
            info.FileName = SetSid;
            info.ArgumentList.Add(program);
        }
        else
        {
            info.FileName = program;
        }
        foreach (var a in arguments) info.ArgumentList.Add(a);
    }

    /// <summary>
    /// The file <paramref name="program"/> names: when it holds a '/', itself (relative to
    /// <paramref name="workingDirectory"/>), else the first file of that name on <paramref name="path"/> (a PATH value);
    /// null when there is none. Through <c>setsid</c> a missing program would
    /// only show as exit code 127; looking first keeps the error plain.
    /// </summary>
    public static string? Find(string program, string? path, string workingDirectory)
    {
        if (program.Contains('/'))
        {
            var full = Path.GetFullPath(program, workingDirectory);
            return File.Exists(full) ? full : null;
        }
        foreach (var dir in (path ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries))
        {
            var candidate = Path.Combine(dir, program);
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }

    /// <summary>Kills the process's group (when it has one of its own) and then its tree; a process already gone is fine.</summary>
    public static void Kill(Process process)
    {
        if (Available)
        {
            try
            {
                _ = KillGroup(-process.Id, 9);
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or InvalidOperationException)
            {
                // No libc kill here, or the process never started: the tree kill below does what it can.
            }
        }
        try
        {
            process.Kill(entireProcessTree: true);
        }
        catch (Exception e) when (e is InvalidOperationException or Win32Exception or NotSupportedException)
        {
            // Already gone.
        }
    }

    // DllImport rather than LibraryImport: two ints need no marshalling, and the generated stub would need unsafe code.
#pragma warning disable SYSLIB1054
    [DllImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static extern int KillGroup(int pid, int signal);
#pragma warning restore SYSLIB1054
}
