namespace Radiant.Scheduling;

/// <summary>A plain-text email.</summary>
/// <param name="To">Recipient address.</param>
/// <param name="Subject">Subject line.</param>
/// <param name="TextBody">Plain-text body.</param>
public sealed record EmailMessage(string To, string Subject, string TextBody);

/// <summary>
/// Sends the email output of scheduled runs. Radiant ships an SMTP implementation (<c>AddSmtpEmailSender</c>);
/// hosts may register their own (a transactional email API, for example). Throw on failure: the worker retries
/// transient errors and records the last one.
/// </summary>
public interface IEmailSender
{
    /// <summary>Sends <paramref name="message"/>; completes when the server accepted it.</summary>
    Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default);
}
