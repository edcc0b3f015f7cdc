using System.Diagnostics;
using System.Text;
using System.Text.RegularExpressions;

namespace Vigil.Web.Tests;

/// <summary>The real <c>vigil</c> executable in a child process, its output captured line by line.</summary>
public sealed partial class VigilProcess : IAsyncDisposable
{
    private readonly Process process;
    private readonly StringBuilder output = new();
    private readonly Lock gate = new();

    private VigilProcess(Process p)
    {
        process = p;
        p.OutputDataReceived += (_, e) => Append(e.Data);
        p.ErrorDataReceived += (_, e) => Append(e.Data);
        p.BeginOutputReadLine();
        p.BeginErrorReadLine();
    }

    public string Output
    {
        get
        {
            lock (gate) return output.ToString();
        }
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (gate) output.AppendLine(line);
    }

    public static string Executable => Path.Combine(AppContext.BaseDirectory, "vigil.dll");

    private static ProcessStartInfo StartInfo(IDictionary<string, string?> env, string[] args)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        psi.ArgumentList.Add(Executable);
        foreach (var a in args) psi.ArgumentList.Add(a);
        foreach (var (k, v) in env) psi.Environment[k] = v;
        return psi;
    }

    public static VigilProcess Start(IDictionary<string, string?> env, params string[] args) => new(Process.Start(StartInfo(env, args))!);

    /// <summary>Runs a verb to completion (bounded) and returns its exit code and output.</summary>
    public static async Task<(int ExitCode, string Stdout, string Stderr)> RunAsync(IDictionary<string, string?> env, params string[] args)
    {
        using var p = Process.Start(StartInfo(env, args))!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(60));
        await p.WaitForExitAsync(cts.Token);
        return (p.ExitCode, await stdout, await stderr);
    }

    [GeneratedRegex(@"Now listening on: (http://127\.0\.0\.1:\d+)")]
    private static partial Regex Listening();

    /// <summary>The address the server bound, once it says so (bounded wait).</summary>
    public async Task<Uri> WaitForAddressAsync(TimeSpan? within = null)
    {
        var until = DateTime.UtcNow + (within ?? TimeSpan.FromSeconds(60));
        while (DateTime.UtcNow < until)
        {
            var m = Listening().Match(Output);
            if (m.Success) return new Uri(m.Groups[1].Value);
            if (process.HasExited) throw new InvalidOperationException($"vigil exited with {process.ExitCode}:\n{Output}");
            await Task.Delay(100);
        }
        throw new TimeoutException($"vigil never said where it listens:\n{Output}");
    }

    public async ValueTask DisposeAsync()
    {
        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: true);
            using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            await process.WaitForExitAsync(cts.Token);
        }
        process.Dispose();
    }
}
