using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using Radiant.Scheduling;

namespace Radiant.Postgres.Scheduling;

/// <summary>How the SMTP connection is secured.</summary>
public enum SmtpSecurity
{
    /// <summary>TLS on connect for port 465, STARTTLS when the server offers it otherwise.</summary>
    Auto,

    /// <summary>No TLS (a relay on localhost or inside a trusted network only).</summary>
    None,

    /// <summary>STARTTLS, required.</summary>
    StartTls,

    /// <summary>TLS from the first byte (usually port 465).</summary>
    SslOnConnect,
}

/// <summary>Settings of the SMTP email sender (<c>AddSmtpEmailSender</c>).</summary>
public sealed class SmtpEmailOptions
{
    /// <summary>The configuration sub-section these options bind from (under the section given to <c>AddRadiant</c>).</summary>
    public const string SectionName = "Smtp";

    /// <summary>SMTP server host name. Required.</summary>
    public string Host { get; set; } = string.Empty;

    /// <summary>SMTP port. Default 587.</summary>
    public int Port { get; set; } = 587;

    /// <summary>Connection security. Default <see cref="SmtpSecurity.Auto"/>.</summary>
    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;

    /// <summary>User name, when the server requires authentication.</summary>
    public string? UserName { get; set; }

    /// <summary>Password for <see cref="UserName"/>.</summary>
    public string? Password { get; set; }

    /// <summary>Sender address, for example <c>Radiant &lt;noreply@example.com&gt;</c>. Required.</summary>
    public string From { get; set; } = string.Empty;

    /// <summary>Time allowed for connecting and sending one message. Default 30 seconds.</summary>
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(30);
}

internal sealed class SmtpEmailOptionsValidator : IValidateOptions<SmtpEmailOptions>
{
    public ValidateOptionsResult Validate(string? name, SmtpEmailOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.Host))
        {
            failures.Add("SmtpEmailOptions.Host is required.");
        }

        if (options.Port is < 1 or > 65535)
        {
            failures.Add("SmtpEmailOptions.Port must be between 1 and 65535.");
        }

        if (!MailboxAddress.TryParse(options.From, out _))
        {
            failures.Add("SmtpEmailOptions.From must be an email address, for example 'Radiant <noreply@example.com>'.");
        }

        if (options.Timeout <= TimeSpan.Zero)
        {
            failures.Add("SmtpEmailOptions.Timeout must be positive.");
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }
}

/// <summary>Sends plain-text email over SMTP with MailKit: one connection per message (scheduled output is low volume).</summary>
internal sealed class SmtpEmailSender(IOptions<SmtpEmailOptions> options) : IEmailSender
{
    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        var settings = options.Value;
        using var mime = new MimeMessage();
        mime.From.Add(MailboxAddress.Parse(settings.From));
        mime.To.Add(MailboxAddress.Parse(message.To));
        mime.Subject = message.Subject;
        mime.Body = new TextPart("plain") { Text = message.TextBody };

        using var client = new SmtpClient { Timeout = (int)settings.Timeout.TotalMilliseconds };
        var security = settings.Security switch
        {
            SmtpSecurity.None => SecureSocketOptions.None,
            SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
            SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.Auto,
        };
        await client.ConnectAsync(settings.Host, settings.Port, security, cancellationToken);
        if (!string.IsNullOrEmpty(settings.UserName))
        {
            await client.AuthenticateAsync(settings.UserName, settings.Password ?? string.Empty, cancellationToken);
        }

        await client.SendAsync(mime, cancellationToken);
        await client.DisconnectAsync(quit: true, cancellationToken);
    }
}
