using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Npgsql;
using Radiant.Postgres.Hosting;
using Radiant.Tests.Http;

namespace Radiant.Tests.Scheduling;

/// <summary>The <c>/api/schedules</c> routes through the real ASP.NET Core pipeline (no worker runs in this host).</summary>
public sealed class ScheduleEndpointTests(RadiantApi api) : IClassFixture<RadiantApi>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StringContent Json(string json) => new(json, Encoding.UTF8, "application/json");

    private static string Iso(DateTimeOffset value) => value.ToString("O", CultureInfo.InvariantCulture);

    private static async Task<JsonElement> OkAsync(HttpResponseMessage response, HttpStatusCode expected = HttpStatusCode.OK)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode} {body}");
        return body.Length == 0 ? default : JsonDocument.Parse(body).RootElement;
    }

    private static async Task<JsonElement> ProblemAsync(HttpResponseMessage response, HttpStatusCode expected)
    {
        var body = await response.Content.ReadAsStringAsync(Ct);
        Assert.True(response.StatusCode == expected, $"{response.RequestMessage?.Method} {response.RequestMessage?.RequestUri}: expected {(int)expected}, got {(int)response.StatusCode} {body}");
        Assert.Equal("application/problem+json", response.Content.Headers.ContentType?.MediaType);
        return JsonDocument.Parse(body).RootElement;
    }

    /// <summary>Asserts a 400 ValidationProblem whose <c>errors</c> name exactly these fields.</summary>
    private static async Task AssertFieldErrorsAsync(HttpResponseMessage response, params string[] fields)
    {
        var problem = await ProblemAsync(response, HttpStatusCode.BadRequest);
        Assert.Equal(400, problem.GetProperty("status").GetInt32());
        var errors = problem.GetProperty("errors").EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal);
        Assert.Equal(fields.Order(StringComparer.Ordinal), errors);
    }

    private static async Task<JsonElement> CreateAsync(HttpClient client, object? body = null) =>
        await OkAsync(await client.PostAsJsonAsync("/api/schedules", body ?? new { name = "Digest", prompt = "Summarise.", model = "gpt-4o", type = "cron", cronExpression = "0 9 * * *" }, Ct), HttpStatusCode.Created);

    private static List<Guid> Ids(JsonElement page) => page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("id").GetGuid()).ToList();

    [Fact]
    public async Task Every_route_of_a_schedules_life()
    {
        var owner = RadiantApi.NewUser();
        var client = api.As(owner);

        var response = await client.PostAsync("/api/schedules", Json("""
            {"name":"Morning digest","prompt":"Summarise the news.","model":"gpt-4o","type":"cron","cronExpression":"0 9 * * *","timezone":"Asia/Tokyo","maxRuns":10}
            """), Ct);

        var created = await OkAsync(response, HttpStatusCode.Created);
        var id = created.GetProperty("id").GetGuid();
        Assert.Equal($"/api/schedules/{id}", response.Headers.Location?.ToString());
        Assert.Equal(owner.UserId, created.GetProperty("userId").GetGuid());
        Assert.Equal("cron", created.GetProperty("type").GetString());
        Assert.Equal("0 9 * * *", created.GetProperty("cronExpression").GetString());
        Assert.Equal("Asia/Tokyo", created.GetProperty("timezone").GetString());
        Assert.Equal("storage", created.GetProperty("outputDestination").GetString());
        Assert.True(created.GetProperty("isActive").GetBoolean());
        Assert.Equal(10, created.GetProperty("maxRuns").GetInt32());
        Assert.Equal(0, created.GetProperty("runCount").GetInt32());
        Assert.Equal(0, created.GetProperty("totalRuns").GetInt64());
        Assert.StartsWith("whsec_", created.GetProperty("webhookSecret").GetString(), StringComparison.Ordinal);
        var nextRun = created.GetProperty("nextRun").GetDateTimeOffset();
        Assert.Equal((0, 0, TimeSpan.Zero), (nextRun.Hour, nextRun.Minute, nextRun.Offset)); // 09:00 JST
        Assert.True(nextRun > DateTimeOffset.UtcNow && nextRun <= DateTimeOffset.UtcNow.AddDays(1));

        Assert.Equal(id, (await OkAsync(await client.GetAsync($"/api/schedules/{id}", Ct))).GetProperty("id").GetGuid());
        var list = await OkAsync(await client.GetAsync("/api/schedules", Ct));
        Assert.Equal([id], Ids(list));
        Assert.Equal(JsonValueKind.Null, list.GetProperty("nextCursor").ValueKind);

        var updated = await OkAsync(await client.PutAsync($"/api/schedules/{id}", Json("""{"name":"Evening digest","cronExpression":"0 18 * * *","maxRuns":null}"""), Ct));
        Assert.Equal("Evening digest", updated.GetProperty("name").GetString());
        Assert.Equal("0 18 * * *", updated.GetProperty("cronExpression").GetString());
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("maxRuns").ValueKind);
        Assert.Equal(9, updated.GetProperty("nextRun").GetDateTimeOffset().Hour); // 18:00 JST
        Assert.Equal("Summarise the news.", updated.GetProperty("prompt").GetString());

        var paused = await OkAsync(await client.PostAsync($"/api/schedules/{id}/pause", null, Ct));
        Assert.False(paused.GetProperty("isActive").GetBoolean());
        Assert.Equal(JsonValueKind.Null, paused.GetProperty("nextRun").ValueKind);
        var resumed = await OkAsync(await client.PostAsync($"/api/schedules/{id}/resume", null, Ct));
        Assert.True(resumed.GetProperty("isActive").GetBoolean());
        var resumedNext = resumed.GetProperty("nextRun").GetDateTimeOffset();
        Assert.Equal((9, 0), (resumedNext.Hour, resumedNext.Minute)); // recomputed from now: the next 18:00 JST
        Assert.InRange(resumedNext, DateTimeOffset.UtcNow, DateTimeOffset.UtcNow.AddDays(1));

        var runResponse = await client.PostAsync($"/api/schedules/{id}/run-now", null, Ct);
        var run = await OkAsync(runResponse, HttpStatusCode.Accepted);
        var runId = run.GetProperty("id").GetGuid();
        Assert.Equal($"/api/schedules/{id}/runs/{runId}", runResponse.Headers.Location?.ToString());
        Assert.Equal(id, run.GetProperty("scheduleId").GetGuid());
        Assert.Equal("pending", run.GetProperty("status").GetString());
        Assert.Equal("manual", run.GetProperty("trigger").GetString());
        Assert.Equal(0, run.GetProperty("attempts").GetInt32());

        var runs = await OkAsync(await client.GetAsync($"/api/schedules/{id}/runs", Ct));
        Assert.Equal([runId], Ids(runs));
        var fetched = await OkAsync(await client.GetAsync($"/api/schedules/{id}/runs/{runId}", Ct));
        Assert.Equal(("pending", "manual"), (fetched.GetProperty("status").GetString(), fetched.GetProperty("trigger").GetString()));
        var counted = await OkAsync(await client.GetAsync($"/api/schedules/{id}", Ct));
        Assert.Equal((1L, "pending", 0), (counted.GetProperty("totalRuns").GetInt64(), counted.GetProperty("lastStatus").GetString(), counted.GetProperty("runCount").GetInt32()));

        Assert.Equal(HttpStatusCode.NoContent, (await client.DeleteAsync($"/api/schedules/{id}", Ct)).StatusCode);
        await ProblemAsync(await client.GetAsync($"/api/schedules/{id}", Ct), HttpStatusCode.NotFound);
        await ProblemAsync(await client.GetAsync($"/api/schedules/{id}/runs/{runId}", Ct), HttpStatusCode.NotFound);
        Assert.Empty(Ids(await OkAsync(await client.GetAsync("/api/schedules", Ct))));
    }

    [Fact]
    public async Task Once_and_interval_schedules_and_their_destinations_round_trip_as_snake_case_strings()
    {
        var client = api.As(RadiantApi.NewUser());
        var at = DateTimeOffset.UtcNow.AddDays(2);

        var once = await CreateAsync(client, new { name = "Once", prompt = "P", model = "gpt-4o", type = "once", runAt = Iso(at), notificationEmail = "me@example.test" });
        var interval = await CreateAsync(client, new { name = "Every", prompt = "P", model = "gpt-4o", type = "interval", intervalMinutes = 90, outputDestination = "webhook", webhookUrl = "https://hooks.example.test/x" });

        Assert.Equal(("once", "email"), (once.GetProperty("type").GetString(), once.GetProperty("outputDestination").GetString()));
        Assert.Equal(at.ToUnixTimeMilliseconds(), once.GetProperty("runAt").GetDateTimeOffset().ToUnixTimeMilliseconds());
        Assert.Equal(("interval", "webhook", 90), (interval.GetProperty("type").GetString(), interval.GetProperty("outputDestination").GetString(), interval.GetProperty("intervalMinutes").GetInt32()));
        Assert.Equal(interval.GetProperty("runAt").GetDateTimeOffset(), interval.GetProperty("nextRun").GetDateTimeOffset());
        Assert.Equal(JsonValueKind.Null, once.GetProperty("cronExpression").ValueKind);
        Assert.Equal(JsonValueKind.Null, once.GetProperty("lastStatus").ValueKind);
    }

    [Fact]
    public async Task A_partial_put_changes_the_type_and_destination_with_enum_strings()
    {
        var client = api.As(RadiantApi.NewUser());
        var created = await CreateAsync(client, new { name = "Once", prompt = "P", model = "gpt-4o", type = "once", runAt = Iso(DateTimeOffset.UtcNow.AddDays(1)) });
        var id = created.GetProperty("id").GetGuid();
        var before = DateTimeOffset.UtcNow;

        var updated = await OkAsync(await client.PutAsync($"/api/schedules/{id}", Json("""
            {"type":"interval","intervalMinutes":30,"outputDestination":"webhook","webhookUrl":"https://hooks.example.test/y"}
            """), Ct));

        Assert.Equal(("interval", 30, "webhook"), (updated.GetProperty("type").GetString(), updated.GetProperty("intervalMinutes").GetInt32(), updated.GetProperty("outputDestination").GetString()));
        // The once instant is dropped: the interval is anchored half an hour from now.
        var anchor = updated.GetProperty("runAt").GetDateTimeOffset();
        Assert.InRange(anchor, before.AddMinutes(30).AddSeconds(-1), DateTimeOffset.UtcNow.AddMinutes(30).AddSeconds(1));
        Assert.Equal(anchor, updated.GetProperty("nextRun").GetDateTimeOffset());
        // The signing secret is shown once, when the schedule is created (or its secret rotated), never on reads or updates.
        Assert.Equal(JsonValueKind.String, created.GetProperty("webhookSecret").ValueKind);
        Assert.Equal(JsonValueKind.Null, updated.GetProperty("webhookSecret").ValueKind);
        await AssertFieldErrorsAsync(await client.PutAsync($"/api/schedules/{id}", Json("""{"webhookUrl":null}"""), Ct), "webhookUrl");
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PutAsync($"/api/schedules/{id}", Json("""{"type":"fortnightly"}"""), Ct)).StatusCode);
    }

    public static TheoryData<string, string[]> InvalidCreates => new()
    {
        { """{"name":"n","prompt":"p","model":"gpt-4o","type":"cron","cronExpression":"every morning"}""", ["cronExpression"] },
        { """{"name":"n","prompt":"p","model":"gpt-4o","type":"cron","cronExpression":"0 9 * * *","timezone":"Mars/Base"}""", ["timezone"] },
        { """{"name":"n","prompt":"p","model":"gpt-4o","type":"once","runAt":"2020-01-01T00:00:00Z"}""", ["runAt"] },
        { """{"name":"n","prompt":"","model":"gpt-4o","type":"cron","cronExpression":"0 9 * * *"}""", ["prompt"] },
        { """{"name":"n","prompt":"p","model":"no-such-model","type":"cron","cronExpression":"0 9 * * *"}""", ["model"] },
        { """{"name":"n","prompt":"p","model":"gpt-4o","type":"interval","intervalMinutes":0}""", ["intervalMinutes"] },
        { """{"name":"n","prompt":"p","model":"gpt-4o","type":"cron","cronExpression":"0 9 * * *","outputDestination":"webhook","webhookUrl":"ftp://x.test"}""", ["webhookUrl"] },
        { """{"name":"","prompt":" ","model":"gpt-4o","type":"once","runAt":"2020-01-01T00:00:00Z","cronExpression":"0 9 * * *","timezone":"Nowhere"}""", ["cronExpression", "name", "prompt", "runAt", "timezone"] },
    };

    [Theory]
    [MemberData(nameof(InvalidCreates))]
    public async Task Bad_input_is_a_validation_problem_naming_every_field(string body, string[] fields)
    {
        var caller = RadiantApi.NewUser();
        var client = api.As(caller);

        await AssertFieldErrorsAsync(await client.PostAsync("/api/schedules", Json(body), Ct), fields);

        Assert.Empty(Ids(await OkAsync(await client.GetAsync("/api/schedules", Ct))));
    }

    [Fact]
    public async Task Unreadable_json_is_a_bad_request()
    {
        var client = api.As(RadiantApi.NewUser());

        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/schedules", Json("""{"name":"n","prompt":"p","model":"gpt-4o","type":"weekly"}"""), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.BadRequest, (await client.PostAsync("/api/schedules", Json("{not json"), Ct)).StatusCode);
    }

    [Fact]
    public async Task A_bad_update_is_a_validation_problem_and_changes_nothing()
    {
        var client = api.As(RadiantApi.NewUser());
        var id = (await CreateAsync(client)).GetProperty("id").GetGuid();
        var created = await OkAsync(await client.GetAsync($"/api/schedules/{id}", Ct));

        await AssertFieldErrorsAsync(await client.PutAsync($"/api/schedules/{id}", Json("""{"name":"Changed","cronExpression":"nope","timezone":"Nowhere"}"""), Ct), "cronExpression", "timezone");
        await AssertFieldErrorsAsync(await client.PutAsync($"/api/schedules/{id}", Json("""{"model":"no-such-model"}"""), Ct), "model");
        await AssertFieldErrorsAsync(await client.PutAsync($"/api/schedules/{id}", Json("""{"type":"once"}"""), Ct), "runAt");

        var stored = await OkAsync(await client.GetAsync($"/api/schedules/{id}", Ct));
        Assert.Equal(created.GetRawText(), stored.GetRawText());
    }

    [Fact]
    public async Task Paging_parameters_out_of_range_are_validation_problems()
    {
        var client = api.As(RadiantApi.NewUser());
        var id = (await CreateAsync(client)).GetProperty("id").GetGuid();

        await AssertFieldErrorsAsync(await client.GetAsync("/api/schedules?limit=0", Ct), "limit");
        await AssertFieldErrorsAsync(await client.GetAsync("/api/schedules?cursor=not-a-cursor", Ct), "cursor");
        await AssertFieldErrorsAsync(await client.GetAsync($"/api/schedules/{id}/runs?limit=500", Ct), "limit");
    }

    [Fact]
    public async Task Lists_page_newest_first()
    {
        var client = api.As(RadiantApi.NewUser());
        var ids = new List<Guid>();
        for (var i = 0; i < 3; i++)
        {
            ids.Add((await CreateAsync(client)).GetProperty("id").GetGuid());
        }

        var first = await OkAsync(await client.GetAsync("/api/schedules?limit=2", Ct));
        var cursor = first.GetProperty("nextCursor").GetString();
        var second = await OkAsync(await client.GetAsync($"/api/schedules?cursor={Uri.EscapeDataString(cursor!)}&limit=2", Ct));

        Assert.Equal([ids[2], ids[1]], Ids(first));
        Assert.Equal([ids[0]], Ids(second));
        Assert.Equal(JsonValueKind.Null, second.GetProperty("nextCursor").ValueKind);
        var paused = await OkAsync(await client.PostAsync($"/api/schedules/{ids[1]}/pause", null, Ct));
        Assert.False(paused.GetProperty("isActive").GetBoolean());
        Assert.Equal([ids[1]], Ids(await OkAsync(await client.GetAsync("/api/schedules?active=false", Ct))));
        Assert.Equal([ids[2], ids[0]], Ids(await OkAsync(await client.GetAsync("/api/schedules?active=true", Ct))));
    }

    [Fact]
    public async Task Another_users_schedule_is_not_found_on_every_route()
    {
        var owner = RadiantApi.NewUser();
        var ownerClient = api.As(owner);
        var created = await CreateAsync(ownerClient);
        var id = created.GetProperty("id").GetGuid();
        var runId = (await OkAsync(await ownerClient.PostAsync($"/api/schedules/{id}/run-now", null, Ct), HttpStatusCode.Accepted)).GetProperty("id").GetGuid();

        foreach (var other in new[] { api.As(RadiantApi.NewUser(owner.TenantId)), api.As(RadiantApi.NewUser()), api.As(RadiantApi.NewAdmin()) })
        {
            await ProblemAsync(await other.GetAsync($"/api/schedules/{id}", Ct), HttpStatusCode.NotFound);
            await ProblemAsync(await other.PutAsync($"/api/schedules/{id}", Json("""{"name":"mine now"}"""), Ct), HttpStatusCode.NotFound);
            await ProblemAsync(await other.PostAsync($"/api/schedules/{id}/pause", null, Ct), HttpStatusCode.NotFound);
            await ProblemAsync(await other.PostAsync($"/api/schedules/{id}/resume", null, Ct), HttpStatusCode.NotFound);
            await ProblemAsync(await other.PostAsync($"/api/schedules/{id}/run-now", null, Ct), HttpStatusCode.NotFound);
            await ProblemAsync(await other.GetAsync($"/api/schedules/{id}/runs", Ct), HttpStatusCode.NotFound);
            await ProblemAsync(await other.GetAsync($"/api/schedules/{id}/runs/{runId}", Ct), HttpStatusCode.NotFound);
            await ProblemAsync(await other.DeleteAsync($"/api/schedules/{id}", Ct), HttpStatusCode.NotFound);
            Assert.Empty(Ids(await OkAsync(await other.GetAsync("/api/schedules", Ct))));
        }

        var stored = await OkAsync(await ownerClient.GetAsync($"/api/schedules/{id}", Ct));
        Assert.Equal(("Digest", true, 1L), (stored.GetProperty("name").GetString(), stored.GetProperty("isActive").GetBoolean(), stored.GetProperty("totalRuns").GetInt64()));
    }

    [Fact]
    public async Task A_user_asking_for_another_users_schedules_is_forbidden()
    {
        var owner = RadiantApi.NewUser();
        await CreateAsync(api.As(owner));
        var colleague = api.As(RadiantApi.NewUser(owner.TenantId));

        await ProblemAsync(await colleague.GetAsync($"/api/schedules?userId={owner.UserId}", Ct), HttpStatusCode.Forbidden);
    }

    [Fact]
    public async Task An_admin_sees_and_manages_the_tenants_schedules()
    {
        var owner = RadiantApi.NewUser();
        var colleague = RadiantApi.NewUser(owner.TenantId);
        var mine = (await CreateAsync(api.As(owner))).GetProperty("id").GetGuid();
        var theirs = (await CreateAsync(api.As(colleague))).GetProperty("id").GetGuid();
        var admin = api.As(RadiantApi.NewAdmin(owner.TenantId));

        Assert.Equal([mine], Ids(await OkAsync(await admin.GetAsync($"/api/schedules?userId={owner.UserId}", Ct))));
        Assert.Equal([theirs], Ids(await OkAsync(await admin.GetAsync($"/api/schedules?userId={colleague.UserId}", Ct))));
        Assert.Equal([theirs, mine], Ids(await OkAsync(await admin.GetAsync("/api/schedules", Ct))));
        var fetched = await OkAsync(await admin.GetAsync($"/api/schedules/{mine}", Ct));
        Assert.Equal(owner.UserId, fetched.GetProperty("userId").GetGuid());
        Assert.False((await OkAsync(await admin.PostAsync($"/api/schedules/{mine}/pause", null, Ct))).GetProperty("isActive").GetBoolean());
        await OkAsync(await admin.PostAsync($"/api/schedules/{mine}/run-now", null, Ct), HttpStatusCode.Accepted);
        Assert.Equal(HttpStatusCode.NoContent, (await admin.DeleteAsync($"/api/schedules/{theirs}", Ct)).StatusCode);
        Assert.Empty(Ids(await OkAsync(await api.As(colleague).GetAsync("/api/schedules", Ct))));
        // An admin of another tenant sees none of it.
        Assert.Empty(Ids(await OkAsync(await api.As(RadiantApi.NewAdmin()).GetAsync($"/api/schedules?userId={owner.UserId}", Ct))));
    }

    [Fact]
    public async Task Resuming_a_schedule_that_reached_its_max_runs_is_a_conflict()
    {
        var client = api.As(RadiantApi.NewUser());
        var id = (await CreateAsync(client, new { name = "n", prompt = "p", model = "gpt-4o", type = "cron", cronExpression = "@daily", maxRuns = 1 })).GetProperty("id").GetGuid();
        // What the worker leaves after the last allowed run (no worker runs in this host).
        await using (var connection = new NpgsqlConnection(api.ConnectionString))
        {
            await connection.OpenAsync(Ct);
            await using var command = new NpgsqlCommand($"UPDATE radiant.scheduled_prompts SET run_count = 1, is_active = false, next_run = NULL WHERE id = '{id}'", connection);
            Assert.Equal(1, await command.ExecuteNonQueryAsync(Ct));
        }

        var conflict = await ProblemAsync(await client.PostAsync($"/api/schedules/{id}/resume", null, Ct), HttpStatusCode.Conflict);

        Assert.Equal(409, conflict.GetProperty("status").GetInt32());
        Assert.False((await OkAsync(await client.GetAsync($"/api/schedules/{id}", Ct))).GetProperty("isActive").GetBoolean());
    }

    [Fact]
    public async Task Anonymous_callers_are_unauthorized()
    {
        var anonymous = api.Anonymous();
        var id = Guid.NewGuid();

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync("/api/schedules", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync("/api/schedules", Json("""{"name":"n","prompt":"p","model":"gpt-4o","type":"cron","cronExpression":"@daily"}"""), Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync($"/api/schedules/{id}", Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.PostAsync($"/api/schedules/{id}/run-now", null, Ct)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.DeleteAsync($"/api/schedules/{id}", Ct)).StatusCode);
    }
}
