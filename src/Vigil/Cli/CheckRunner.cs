using System.Globalization;
using Vigil.Core.Checks;
using Vigil.Core.Workspace;

namespace Vigil.Cli;

/// <summary>
/// Runs one check once, with its timeout, and prints for a person what the probe saw, each condition
/// with the values it was evaluated on, and the verdict. The seam <c>vigil check</c> is tested through.
/// </summary>
internal sealed class CheckRunner(IReadOnlyDictionary<CheckKind, ICheckProbe> probes, ICheckEvaluator evaluator, TimeProvider time)
{
    private const int BodyShown = 300;

    /// <returns>0 when the check is up, 1 when it is degraded or down.</returns>
    /// <exception cref="NotSupportedException">No probe for the check's kind.</exception>
    public async Task<int> RunAsync(WorkspaceModel workspace, Service service, Check check, TextWriter output, CancellationToken ct)
    {
        if (!probes.TryGetValue(check.Kind, out var probe))
        {
            throw new NotSupportedException($"this build of vigil cannot run `{Kind(check.Kind)}` checks yet");
        }
        string Safe(string s) => workspace.Secrets.Redact(s);
        await output.WriteLineAsync($"{service.Id}/{check.Id}: {Kind(check.Kind)} check (timeout {Durations.Format(check.Timeout)})");

        Observation seen;
        using (var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct))
        {
            timeout.CancelAfter(check.Timeout);
            try
            {
                seen = await probe.ProbeAsync(check, new ProbeContext(workspace.Directory, time), timeout.Token);
            }
            catch (OperationCanceledException) when (!ct.IsCancellationRequested)
            {
                seen = new Observation { Error = $"timed out after {Durations.Format(check.Timeout)}", ResponseTime = check.Timeout };
            }
        }

        await output.WriteLineAsync("saw:");
        foreach (var fact in seen.Facts) await output.WriteLineAsync($"  {Safe(fact)}");
        foreach (var (name, value) in Values(seen)) await output.WriteLineAsync($"  {name,-26} {Safe(value)}");
        if (seen.Error is not null) await output.WriteLineAsync($"  error: {Safe(seen.Error)}");
        foreach (var failure in seen.BuiltInFailures) await output.WriteLineAsync($"  ✗ {Safe(failure)}");

        var outcome = evaluator.Evaluate(check, seen);
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
