using System.Collections.Concurrent;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using MailKit.Net.Smtp;
using MailKit.Security;
using MimeKit;
using DotLiquid;
using Vigil.Core.Notifications;
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
/// What is said comes from Liquid templates: the channel's own (<c>template</c>) or the built-in ones
/// (<see cref="DefaultTemplates"/>). A channel template that fails to render falls back to the built-in one, with a
/// warning in the log, so a page still goes out.
/// </summary>
public sealed class ChannelSenders(ILogger<ChannelSenders> log) : IDisposable
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
        var rendering = new Rendering(channel, message, log);
        switch (channel.Type)
        {
            case ChannelType.Webhook:
                await PostAsync(channel, message.Key, rendering.Render(channel.Template?.Body, "body", null) ?? rendering.Payload(), ct);
                break;
            case ChannelType.Slack:
                await PostAsync(channel, message.Key, JsonSerializer.Serialize(new { text = rendering.Render(channel.Template?.Text, "text", DefaultTemplates.Chat) }), ct);
                break;
            case ChannelType.Jsonl:
                await AppendAsync(w, channel, rendering.Payload(), ct);
                break;
            case ChannelType.Email:
                await MailAsync(channel, message, rendering, ct);
                break;
        }
    }

    /// <summary>
    /// One message rendered for one channel. The channel's <c>text</c> template, when it has one, replaces the message's
    /// <c>text</c> first (on one line), so the JSON a webhook or file gets, the e-mail's subject and the other templates
    /// all see the channel's text. (A chat channel's <c>text</c> is its whole message.)
    /// </summary>
    private sealed class Rendering
    {
        private readonly Channel channel;
        private readonly ILogger log;
        private readonly NotificationMessage message;
        private Hash? model;

        public Rendering(Channel channel, NotificationMessage message, ILogger log)
        {
            this.channel = channel;
            this.log = log;
            this.message = message;
            if (channel.Type is not ChannelType.Slack && channel.Template?.Text is { } text && Render(text, "text", null) is { } line)
            {
                this.message = message with { Text = string.Join(' ', line.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)) };
                model = null;
            }
        }

        public string Subject => message.Text;

        public string Payload() => JsonSerializer.Serialize(message, Json.Options);

        /// <summary>The channel's template when it has one and it renders, else <paramref name="fallback"/> rendered
        /// (null when there is no fallback either).</summary>
        public string? Render(string? template, string which, string? fallback)
        {
            model ??= MessageTemplates.Model(Payload());
            if (template is not null)
            {
                try
                {
                    return MessageTemplates.Render(template, model);
                }
                catch (TemplateException e)
                {
                    log.LogWarning("Channel {Channel}: its {Which} template failed ({Error}); the built-in one is used for {Key}",
                        channel.Id, which, e.Message, message.Key);
                }
            }
            return fallback is null ? null : MessageTemplates.Render(fallback, model);
        }
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

    private static async Task MailAsync(Channel channel, NotificationMessage message, Rendering rendering, CancellationToken ct)
    {
        if (channel.To.Count == 0) throw new DeliveryException("the email channel has no `to` recipients", permanent: true);
        var mail = new MimeMessage();
        mail.From.Add(MailboxAddress.Parse(channel.From!));
        foreach (var to in channel.To)
        {
            if (!MailboxAddress.TryParse(to, out var address)) throw new DeliveryException($"'{to}' is not an e-mail address", permanent: true);
            mail.To.Add(address);
        }
        mail.Subject = rendering.Subject;
        mail.Body = new BodyBuilder
        {
            TextBody = rendering.Render(channel.Template?.Body, "body", DefaultTemplates.MailText),
            HtmlBody = rendering.Render(channel.Template?.Html, "html", DefaultTemplates.MailHtml),
        }.ToMessageBody();
        mail.Headers.Add(EventHeader, message.Key);

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
