using System.Globalization;
using Vigil.Core.Checks;
using Vigil.Core.Checks.Engine;
using Vigil.Core.Workspace;

namespace Vigil.Cli;

/// <summary>
/// <c>vigil check</c>'s output: runs one check once through the engine's <see cref="CheckRunner"/> (the same probe,
/// timeout and evaluation the server uses) and prints for a person what the probe saw, each condition with the
/// values it was evaluated on, and the verdict.
/// </summary>
internal sealed class CheckReport(IReadOnlyDictionary<CheckKind, ICheckProbe> probes, ICheckEvaluator evaluator, TimeProvider time)
{
    private const int BodyShown = 300;

    /// <returns>0 when the check is up, 1 when it is degraded or down.</returns>
    /// <exception cref="NotSupportedException">No probe for the check's kind.</exception>
    public async Task<int> RunAsync(WorkspaceModel workspace, Service service, Check check, TextWriter output, CancellationToken ct)
    {
        var runner = new CheckRunner(probes, evaluator, time, workspace.Directory);
        if (!runner.CanRun(check.Kind))
        {
            throw new NotSupportedException($"this build of vigil cannot run `{Kind(check.Kind)}` checks yet");
        }
        string Safe(string s) => workspace.Secrets.Redact(s);
        await output.WriteLineAsync($"{service.Id}/{check.Id}: {Kind(check.Kind)} check (timeout {Durations.Format(check.Timeout)})");

        var run = await runner.RunAsync(service.Id, check, slot: null, ct);
        var outcome = run.Outcome;
        await output.WriteLineAsync("saw:");
        if (run.Observation is { } seen)
        {
            foreach (var fact in seen.Facts) await output.WriteLineAsync($"  {Safe(fact)}");
            foreach (var (name, value) in Values(seen)) await output.WriteLineAsync($"  {name,-26} {Safe(value)}");
            if (seen.Error is not null) await output.WriteLineAsync($"  error: {Safe(seen.Error)}");
            foreach (var failure in seen.BuiltInFailures) await output.WriteLineAsync($"  ✗ {Safe(failure)}");
        }
        else
        {
            // Timed out, or the probe itself failed: the runner's message says which.
            await output.WriteLineAsync($"  error: {Safe(outcome.Message)}");
        }

        if (outcome.Conditions.Count > 0)
        {
            await output.WriteLineAsync("conditions:");
            foreach (var c in outcome.Conditions)
            {
                await output.WriteLineAsync($"  {(c.Ok ? "✓" : "✗")} {Safe(c.Message)}{(c.Warn ? "   (warn)" : "")}");
            }
        }
        await output.WriteLineAsync($"verdict: {Status(outcome.Status)}{(string.IsNullOrEmpty(outcome.Message) ? "" : $": {Safe(outcome.Message)}")}");
        return outcome.Status == CheckStatus.Up ? ExitCodes.Ok : ExitCodes.Failure;
    }

    /// <summary>The placeholders the probe filled, with their values.</summary>
    private static IEnumerable<(string, string)> Values(Observation o)
    {
        yield return ("[CONNECTED]", o.Connected ? "true" : "false");
        if (o.Status is { } status) yield return ("[STATUS]", status.ToString(CultureInfo.InvariantCulture));
        yield return ("[RESPONSE_TIME]", $"{Math.Round(o.ResponseTime.TotalMilliseconds).ToString(CultureInfo.InvariantCulture)} ms");
        if (o.Value is { } value) yield return ("[VALUE]", value.ToString(CultureInfo.InvariantCulture));
        if (o.CertificateExpiration is { } cert) yield return ("[CERTIFICATE_EXPIRATION]", Durations.Format(cert));
        if (o.Ip is { } ip) yield return ("[IP]", ip);
        if (o.DnsRcode is { } rcode) yield return ("[DNS_RCODE]", rcode);
        foreach (var (name, header) in o.Headers) yield return ($"[HEADER].{name}", header);
        if (o.Body is { } body)
        {
            var oneLine = body.ReplaceLineEndings("⏎");
            yield return ("[BODY]", oneLine.Length > BodyShown ? $"{oneLine[..BodyShown]}… ({body.Length} chars)" : oneLine);
        }
    }

    private static string Kind(CheckKind kind) => kind.ToString().ToLowerInvariant();

    private static string Status(CheckStatus status) => status.ToString().ToLowerInvariant();
}
