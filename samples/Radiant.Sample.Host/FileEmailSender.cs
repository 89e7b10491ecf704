using System.Globalization;
using MimeKit;
using Radiant.Scheduling;

namespace Radiant.Sample.Host;

/// <summary>
/// The sample's offline mail: every email a scheduled prompt sends is written as an RFC 5322 <c>.eml</c> file (open
/// it with any mail client or a text editor) to a folder, instead of going to an SMTP server. A real host registers
/// <c>AddSmtpEmailSender(...)</c> or its own <see cref="IEmailSender"/> for an email API.
/// </summary>
internal sealed class FileEmailSender(string directory, TimeProvider time) : IEmailSender
{
    public const string From = "Radiant sample <radiant@sample.invalid>";

    public string Directory { get; } = directory;

    public async Task SendAsync(EmailMessage message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        System.IO.Directory.CreateDirectory(Directory);
        var now = time.GetUtcNow();
        using var mime = new MimeMessage { Subject = message.Subject, Date = now, Body = new TextPart("plain") { Text = message.TextBody } };
        mime.From.Add(MailboxAddress.Parse(From));
        mime.To.Add(MailboxAddress.Parse(message.To));

        // Written under a temporary name and renamed, so a reader never sees half a message.
        var name = string.Create(CultureInfo.InvariantCulture, $"{now:yyyyMMdd-HHmmss-fff}-{Guid.NewGuid():N}.eml");
        var path = Path.Combine(Directory, name);
        var partial = path + ".partial";
        await mime.WriteToAsync(partial, cancellationToken);
        File.Move(partial, path);
    }
}
