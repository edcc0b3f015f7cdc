using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using Vigil.Core.Workspace;
using Vigil.Web.Hosting;

namespace Vigil.Web.Notifications;

/// <summary>A delivery that did not happen; <see cref="Permanent"/> when trying again cannot help (a bad address, no recipients).</summary>
public sealed class DeliveryException(string message, bool permanent = false, Exception? inner = null) : Exception(message, inner)
{
    public bool Permanent { get; } = permanent;
}

/// <summary>
/// Delivers one queued notification to one channel: webhook (the message as JSON, signed when the channel has a
/// <c>secret</c>), Slack-compatible incoming webhook, e-mail over SMTP (MailKit; text and HTML), or a JSONL file.
/// </summary>
public sealed class ChannelSenders : IDisposable
{
    public const string SignatureHeader = "X-Vigil-Signature";
    public const string EventHeader = "X-Vigil-Event";
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);

    private readonly HttpClient http = new(new SocketsHttpHandler { PooledConnectionLifetime = TimeSpan.FromMinutes(5), AllowAutoRedirect = false })
    {
        Timeout = Timeout,
    };

    private readonly ConcurrentDictionary<string, SemaphoreSlim> fileLocks = new();

    public async Task SendAsync(WorkspaceModel w, Channel channel, NotificationMessage message, CancellationToken ct)
    {
        switch (channel.Type)
        {
            case ChannelType.Webhook:
                await PostAsync(channel, message.Key, JsonSerializer.Serialize(message, Json.Options), ct);
                break;
            case ChannelType.Slack:
                await PostAsync(channel, message.Key, JsonSerializer.Serialize(new { text = SlackText(message) }), ct);
                break;
            case ChannelType.Jsonl:
                await AppendAsync(w, channel, JsonSerializer.Serialize(message, Json.Options), ct);
                break;
            case ChannelType.Email:
                await MailAsync(channel, message, ct);
                break;
        }
    }

    /// <summary>The message's text with its links in Slack's <c>&lt;url|label&gt;</c> form (Mattermost and Discord read it too).</summary>
    private static string SlackText(NotificationMessage m)
    {
        var links = Links(m).Select(l => $"<{l.Url}|{l.Label}>").ToList();
        return links.Count == 0 ? m.Text : $"{m.Text}\n{string.Join(" · ", links)}";
    }

    private static IEnumerable<(string Label, string Url)> Links(NotificationMessage m)
    {
        if (m.Links is not { } l) yield break;
        yield return ("Open", l.Incident);
        if (l.Acknowledge is not null) yield return ("Acknowledge", l.Acknowledge);
        if (l.Resolve is not null) yield return ("Resolve", l.Resolve);
    }

    /// <summary>The HMAC-SHA256 of a body under a secret, as sent in <see cref="SignatureHeader"/>: <c>sha256=</c> and lowercase hex.</summary>
    public static string Signature(string secret, byte[] body) =>
        "sha256=" + Convert.ToHexStringLower(HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), body));

    private async Task PostAsync(Channel channel, string eventKey, string json, CancellationToken ct)
    {
        var body = Encoding.UTF8.GetBytes(json);
        using var request = new HttpRequestMessage(HttpMethod.Post, channel.Url) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json") { CharSet = "utf-8" };
        request.Headers.TryAddWithoutValidation(EventHeader, eventKey);
        if (channel.Secret is { Length: > 0 } secret) request.Headers.TryAddWithoutValidation(SignatureHeader, Signature(secret, body));
        foreach (var (name, value) in channel.Headers) request.Headers.TryAddWithoutValidation(name, value);
        HttpResponseMessage response;
        try
        {
            response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, ct);
        }
        catch (HttpRequestException e)
        {
            throw new DeliveryException($"could not reach the receiver: {e.InnerException?.Message ?? e.Message}", inner: e);
        }
        catch (TaskCanceledException e) when (!ct.IsCancellationRequested)
        {
            throw new DeliveryException($"no answer within {Timeout.TotalSeconds:0} s", inner: e);
        }
        using (response)
        {
            if (response.IsSuccessStatusCode) return;
            var status = (int)response.StatusCode;
            // 4xx other than 408/429 will not change on a retry: the URL or the receiver's configuration is wrong.
            var permanent = status is >= 400 and < 500 and not 408 and not 429;
            throw new DeliveryException($"the receiver answered HTTP {status} {response.ReasonPhrase}", permanent);
        }
    }

    private async Task AppendAsync(WorkspaceModel w, Channel channel, string payload, CancellationToken ct)
    {
        var path = Path.GetFullPath(Path.Combine(w.Directory, channel.Path!));
        var gate = fileLocks.GetOrAdd(path, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(ct);
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var file = new FileStream(path, FileMode.Append, FileAccess.Write, FileShare.Read);
            await file.WriteAsync(Encoding.UTF8.GetBytes(payload + "\n"), ct);
            await file.FlushAsync(ct);
            file.Flush(flushToDisk: true);
        }
        catch (IOException e)
        {
            throw new DeliveryException($"could not append to {channel.Path}: {e.Message}", inner: e);
        }
        catch (UnauthorizedAccessException e)
        {
            throw new DeliveryException($"no permission to write {channel.Path}", inner: e);
        }
        finally
        {
            gate.Release();
        }
    }

    private static async Task MailAsync(Channel channel, NotificationMessage message, CancellationToken ct)
    {
        if (channel.To.Count == 0) throw new DeliveryException("the email channel has no `to` recipients", permanent: true);
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(channel.From!));
        foreach (var to in channel.To)
        {
            if (!MailboxAddress.TryParse(to, out var address)) throw new DeliveryException($"'{to}' is not an e-mail address", permanent: true);
            mail.To.Add(address);
        }
        mail.Subject = message.Text;
        var lines = new List<(string Label, string Value)>();
        if (message.Incident is { } i)
        {
            lines.Add(("Incident", $"{i.Id}: {i.Title}"));
            lines.Add(("Status", i.Status));
            lines.Add(("Severity", i.Severity));
            if (i.Service is not null) lines.Add(("Service", i.Service));
            if (i.Summary is not null) lines.Add(("Summary", i.Summary));
            if (i.RunbookPath is not null) lines.Add(("Runbook", i.RunbookPath + (i.RunbookSection is null ? "" : "#" + i.RunbookSection)));
            if (message.Links is null) lines.Add(("Link", i.Url));
        }
        if (message.Handoff is { } h)
        {
            lines.Add(("Schedule", h.Schedule));
            lines.Add(("Shift", $"{h.From:u} to {h.Until:u}"));
            if (h.Previous is not null) lines.Add(("From", h.Previous));
            lines.AddRange(h.OpenIncidents.Select(o => ("Open incident", $"{o.Id}: [{o.Severity}] {o.Title} ({o.Status})")));
            lines.AddRange(h.Maintenance.Select(m => ("Maintenance", $"{string.Join(", ", m.Services)} {m.From:u} to {m.Until:u}")));
        }
        var links = Links(message).ToList();
        var text = string.Join("\n", lines.Concat(links.Select(l => (l.Label, Value: l.Url))).Select(l => $"{l.Label}: {l.Value}"));
        var html = "<table>" + string.Concat(lines.Select(l => $"<tr><th align=\"left\">{WebUtility.HtmlEncode(l.Label)}</th><td>{WebUtility.HtmlEncode(l.Value)}</td></tr>")) + "</table>"
                   + "<p>" + string.Join(" · ", links.Select(l => $"<a href=\"{WebUtility.HtmlEncode(l.Url)}\">{WebUtility.HtmlEncode(l.Label)}</a>")) + "</p>";
        mail.Body = new BodyBuilder { TextBody = $"{message.Text}\n\n{text}\n", HtmlBody = $"<p>{WebUtility.HtmlEncode(message.Text)}</p>{html}" }.ToMessageBody();
        mail.Headers.Add("X-Vigil-Event", message.Key);

        var uri = new Uri(channel.Smtp!);
        using var smtp = new SmtpClient { Timeout = (int)Timeout.TotalMilliseconds };
        try
        {
            var security = uri.Scheme == "smtps" ? SecureSocketOptions.SslOnConnect : SecureSocketOptions.StartTlsWhenAvailable;
            await smtp.ConnectAsync(uri.Host, uri.Port > 0 ? uri.Port : uri.Scheme == "smtps" ? 465 : 25, security, ct);
            if (uri.UserInfo is { Length: > 0 } info)
            {
                var colon = info.IndexOf(':', StringComparison.Ordinal);
                var user = Uri.UnescapeDataString(colon < 0 ? info : info[..colon]);
                var password = colon < 0 ? "" : Uri.UnescapeDataString(info[(colon + 1)..]);
                await smtp.AuthenticateAsync(user, password, ct);
            }
            await smtp.SendAsync(mail, ct);
            await smtp.DisconnectAsync(true, ct);
        }
        catch (Exception e) when (e is SmtpCommandException or SmtpProtocolException or AuthenticationException or IOException or System.Net.Sockets.SocketException or SslHandshakeException)
        {
            var permanent = e is AuthenticationException || (e is SmtpCommandException c && (int)c.StatusCode >= 500);
            throw new DeliveryException($"SMTP: {e.Message}", permanent, e);
        }
    }

    public void Dispose()
    {
        http.Dispose();
        foreach (var gate in fileLocks.Values) gate.Dispose();
    }
}
