using System.Globalization;
using CsvHelper;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Radiant.Tenancy;
using Radiant.ThinkTank;

namespace Radiant.AspNetCore.ThinkTank;

/// <summary>
/// The Think Tank users' CSV export: CsvHelper writing each row to the response body as the database hands it over,
/// so memory stays at a row plus the writers' buffers however many users there are.
/// </summary>
/// <remarks>
/// What a spreadsheet expects: UTF-8 with a byte-order mark (Excel reads accents right), a header row of plain words,
/// numbers without thousands separators and with a dot, instants as <c>yyyy-MM-dd HH:mm:ss</c> in UTC (the header
/// says so), empty cells for "none", and text that a spreadsheet would run as a formula (<c>=</c>, <c>+</c>, <c>-</c>,
/// <c>@</c>, tab, carriage return first) escaped with a leading quote (CsvHelper's injection escaping).
/// </remarks>
internal sealed partial class ThinkTankUserCsv : IResult
{
    public const string ContentType = "text/csv; charset=utf-8";

    private static readonly string[] Header =
    [
        "User ID", "Email", "Display Name", "Tier", "Status", "Requests", "Failed Requests", "Input Tokens", "Output Tokens", "Total Tokens",
        "Spend (USD)", "Last Active (UTC)", "Created (UTC)", "Status Changed (UTC)", "Status Changed By",
    ];

    private static readonly CsvWriterOptions Options = CsvWriterOptions.Default with
    {
        Injection = CsvInjection.Escape,
        WriteByteOrderMark = true,
        FormatProvider = CultureInfo.InvariantCulture,
        BufferSize = 32 * 1024,
    };

    private readonly IAsyncEnumerator<ThinkTankUser> _rows;
    private readonly bool _hasFirst;
    private readonly string _fileName;

    private ThinkTankUserCsv(IAsyncEnumerator<ThinkTankUser> rows, bool hasFirst, string fileName)
    {
        _rows = rows;
        _hasFirst = hasFirst;
        _fileName = fileName;
    }

    /// <summary>
    /// Reads the first row before the response starts, so a refusal or an unavailable database is still an ordinary
    /// problem response; the rest is read while writing.
    /// </summary>
    public static async Task<IResult> StartAsync(IAsyncEnumerable<ThinkTankUser> rows, DateTimeOffset now, CancellationToken cancellationToken)
    {
        var enumerator = rows.GetAsyncEnumerator(cancellationToken);
        try
        {
            var hasFirst = await enumerator.MoveNextAsync();
            return new ThinkTankUserCsv(enumerator, hasFirst, $"thinktank-users-{now.UtcDateTime:yyyyMMdd-HHmmss}.csv");
        }
        catch
        {
            await enumerator.DisposeAsync();
            throw;
        }
    }

    public async Task ExecuteAsync(HttpContext httpContext)
    {
        var response = httpContext.Response;
        response.ContentType = ContentType;
        response.Headers.ContentDisposition = $"attachment; filename=\"{_fileName}\"";
        response.Headers.CacheControl = "no-store";
        await using var rows = _rows;
        try
        {
            // UTF-8 straight into the response body; each record goes out when the writer's buffer is mostly full.
            await using var csv = CsvWriter.Create(response.Body, Options, leaveOpen: true);
            csv.WriteHeader(Header);
            for (var more = _hasFirst; more; more = await rows.MoveNextAsync())
            {
                Write(csv, rows.Current);
                await csv.EndRecordAsync(httpContext.RequestAborted);
            }

            await csv.FlushAsync(httpContext.RequestAborted);
        }
        catch (Exception e) when (!httpContext.RequestAborted.IsCancellationRequested)
        {
            // The status line and some rows are gone already: abort, so the client sees a broken transfer rather than a
            // file that looks complete.
            LogExportFailed(httpContext.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger<ThinkTankUserCsv>(), e);
            httpContext.Abort();
        }
        catch (OperationCanceledException)
        {
            // The client went away: nobody reads the rest.
        }
    }

    private static void Write(CsvWriter csv, ThinkTankUser user)
    {
        csv.WriteField(user.UserId, "D");
        csv.WriteField(user.Email);
        csv.WriteField(user.DisplayName);
        csv.WriteField(user.Tier is { } tier ? Name(tier) : null);
        csv.WriteField(user.Status == UserStatus.Suspended ? "suspended" : "active");
        csv.WriteField(user.Requests, default);
        csv.WriteField(user.FailedRequests, default);
        csv.WriteField(user.InputTokens, default);
        csv.WriteField(user.OutputTokens, default);
        csv.WriteField(user.TotalTokens, default);
        csv.WriteField(user.Spend, "0.00####");
        Instant(csv, user.LastActiveAt);
        Instant(csv, user.CreatedAt);
        Instant(csv, user.StatusChangedAt);
        csv.WriteField(user.StatusChangedBy, "D");
    }

    private static string Name(SubscriptionTier tier) => tier switch
    {
        SubscriptionTier.Free => "free",
        SubscriptionTier.Pro => "pro",
        SubscriptionTier.Team => "team",
        SubscriptionTier.Enterprise => "enterprise",
        _ => tier.ToString(),
    };

    private static void Instant(CsvWriter csv, DateTimeOffset? instant)
    {
        if (instant is { } value)
        {
            csv.WriteField(value.UtcDateTime, "yyyy-MM-dd HH:mm:ss");
        }
        else
        {
            csv.WriteField((string?)null);
        }
    }

    [LoggerMessage(Level = LogLevel.Error, Message = "The Think Tank users' export failed after it started; the response was aborted")]
    private static partial void LogExportFailed(ILogger logger, Exception exception);
}
