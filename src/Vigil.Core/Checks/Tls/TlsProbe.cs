using System.Globalization;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Vigil.Core.Workspace;

namespace Vigil.Core.Checks;

/// <summary>
/// <c>tls</c>: a TLS handshake with host:port (SNI: <c>server_name</c>, else the host). Reports the leaf certificate's
/// time left as <c>[CERTIFICATE_EXPIRATION]</c> even when the chain or the name is invalid, which is then a built-in
/// failure ("certificate chain invalid: …").
/// </summary>
public sealed class TlsProbe : ICheckProbe
{
    public CheckKind Kind => CheckKind.Tls;

    public async Task<Observation> ProbeAsync(Check check, ProbeContext context, CancellationToken ct)
    {
        if (!ProbeSupport.TryGetSpec<TlsCheckSpec>(check, out var spec, out var invalid)) return invalid!;
        var observation = new Observation();
        var start = ProbeSupport.Start();
        var serverName = string.IsNullOrEmpty(spec.ServerName) ? spec.Host : spec.ServerName;
        DateTime? notAfter = null;
        string? subject = null, issuer = null, problems = null;
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(spec.Host, spec.Port, ct);
            observation.Connected = true;
            observation.Ip = ProbeSupport.RemoteAddress(socket) ?? spec.Host;
            await using var stream = new SslStream(new NetworkStream(socket, ownsSocket: true));
            // CA5359: the probe's job is to report an invalid certificate, not to refuse it; nothing is sent after the handshake.
#pragma warning disable CA5359
            var options = new SslClientAuthenticationOptions
            {
                TargetHost = serverName,
                RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                {
                    if (certificate is X509Certificate2 leaf)
                    {
                        notAfter = leaf.NotAfter.ToUniversalTime();
                        subject = leaf.Subject;
                        issuer = leaf.Issuer;
                    }
                    if (errors != SslPolicyErrors.None) problems = DescribeErrors(errors, chain);
                    // Accept always: an invalid certificate is a finding about the target, reported below.
                    return true;
                },
            };
#pragma warning restore CA5359
            await stream.AuthenticateAsClientAsync(options, ct);
            observation.Facts.Add($"{stream.SslProtocol} with {serverName} at {spec.Host}:{spec.Port}");
        }
        catch (OperationCanceledException) when (ct.IsCancellationRequested)
        {
            observation.Error = ProbeSupport.TimedOut(check);
        }
        catch (SocketException e)
        {
            observation.Error = $"{spec.Host}:{spec.Port}: {e.Message}";
        }
        catch (Exception e) when (e is IOException or System.Security.Authentication.AuthenticationException or ArgumentException)
        {
            observation.Error = "TLS handshake failed: " + ProbeSupport.Describe(e);
        }
        finally
        {
            socket.Dispose();
        }
        observation.ResponseTime = ProbeSupport.Since(start);
        if (notAfter is { } expiry)
        {
            var utc = new DateTimeOffset(DateTime.SpecifyKind(expiry, DateTimeKind.Utc));
            observation.CertificateExpiration = utc - context.Time.GetUtcNow();
            observation.Facts.Add($"certificate {subject}, issued by {issuer}, expires {utc.ToString("u", CultureInfo.InvariantCulture)}");
        }
        if (problems is not null)
        {
            observation.BuiltInFailures.Add("certificate chain invalid: " + problems);
        }
        return observation;
    }

    private static string DescribeErrors(SslPolicyErrors errors, X509Chain? chain)
    {
        var text = new StringBuilder();
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNotAvailable)) text.Append("no certificate presented");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) Append(text, "name does not match");
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateChainErrors))
        {
            var statuses = new StringBuilder();
            if (chain is not null)
            {
                foreach (var status in chain.ChainStatus)
                {
                    if (status.Status == X509ChainStatusFlags.NoError) continue;
                    Append(statuses, status.Status.ToString());
                }
            }
            Append(text, statuses.Length > 0 ? statuses.ToString() : "chain not trusted");
        }
        return text.ToString();
    }

    private static void Append(StringBuilder text, string part)
    {
        if (text.Length > 0) text.Append(", ");
        text.Append(part);
    }
}
