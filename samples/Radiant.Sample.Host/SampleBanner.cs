using System.Globalization;
using Radiant.Dev;

namespace Radiant.Sample.Host;

/// <summary>What the sample prints once it listens: where it runs, every demo credential and commands to try.</summary>
public static class SampleBanner
{
    internal static void Print(ICollection<string> urls, LocalPostgresServer? localPostgres, string mailDirectory)
    {
        var database = localPostgres is null
            ? "ConnectionStrings:Radiant"
            : string.Create(CultureInfo.InvariantCulture, $"local PostgreSQL on port {localPostgres.Port}, data in {localPostgres.DataDirectory}")
              + (localPostgres.PortNotice is { } notice ? Environment.NewLine + "                  " + notice : "");
        Console.WriteLine(Build(urls, database, mailDirectory));
    }

    /// <summary>The banner text for the given listening URLs, a description of the database and the mail folder.</summary>
    public static string Build(IEnumerable<string> urls, string database, string mailDirectory)
    {
        ArgumentNullException.ThrowIfNull(urls);
        var url = urls.FirstOrDefault(u => u.StartsWith("http://", StringComparison.Ordinal)) ?? urls.FirstOrDefault() ?? "http://localhost:5000";
        var user = DemoUsers.All.First(u => !u.IsAdmin);
        var users = string.Join(Environment.NewLine, DemoUsers.All.Select(u =>
            $"  {u.Email,-18} password {u.Password,-12} tenant {u.TenantName,-7}{(u.IsAdmin ? " admin" : "")}"));
        var adminCalls = string.Join(Environment.NewLine, DemoUsers.Admins.Select(a =>
            $"  curl -u {a.Email}:{a.Password} {url}/api/admin/focus-modes      ({a.TenantName}'s admin)" + Environment.NewLine +
            $"  curl -u {a.Email}:{a.Password} '{url}/api/admin/thinktank/users?sort=spend'      ({a.TenantName}'s users with requests, tokens, spend; /stats, /export for CSV)"));
        var analytics = DemoUsers.Admins.First();
        const string persona = """{"name":"Sage","systemPrompt":"You are wise.","traits":["calm"]}""";
        const string chat = """{"messages":[{"role":"user","content":"Explain row-level security in one paragraph"}]}""";
        const string schedule = """{"name":"Digest","prompt":"Summarise today in three bullets","model":"gpt-4o","type":"cron","cronExpression":"*/10 * * * * *","maxRuns":3,"notificationEmail":"user@acme.test"}""";

        return $"""

            Radiant sample is running at {url}
              Dashboard:      {url}/radiant      (sign in as a demo user below; admins also see the back office)
              API reference:  {url}/scalar/v1      OpenAPI: {url}/openapi/v1.json      Health: {url}/health
              Database:       {database}
                              one superuser login (AllowPrivilegedLogin: development only; README "Tenant isolation" has the production setup)
              Email:          offline: each email a schedule sends is written as a .eml file to {mailDirectory}

            Demo users (HTTP Basic):
            {users}

            Try it:
              curl -u {user.Email}:{user.Password} {url}/api/focus-modes
              curl -u {user.Email}:{user.Password} -H 'Content-Type: application/json' -d '{persona}' {url}/api/personas
              curl -u {user.Email}:{user.Password} {url}/api/personas
              curl -u {user.Email}:{user.Password} {url}/api/thinktank/models      (the models this user may pick, at their prices)
              curl -u {user.Email}:{user.Password} -H 'Content-Type: application/json' -d '{chat}' {url}/api/thinktank/estimate      (tokens, the model auto would pick and why, the charge range)
              curl -N -u {user.Email}:{user.Password} -H 'Content-Type: application/json' -d '{chat}' '{url}/api/thinktank/chat?stream=true'      (auto-routed; the offline chat client streams its reply as server-sent events, then the charge)
            {adminCalls}
              curl -u {analytics.Email}:{analytics.Password} '{url}/api/admin/analytics/dashboard?range=7d'      (usage figures: the demo chats sent at start-up are in them)
              curl -u {user.Email}:{user.Password} -H 'Content-Type: application/json' -d '{schedule}' {url}/api/schedules
              curl -u {user.Email}:{user.Password} {url}/api/schedules      (then GET /api/schedules/<id>/runs: the offline chat client answers, and each run's email lands in the mail folder)

            """;
    }
}
