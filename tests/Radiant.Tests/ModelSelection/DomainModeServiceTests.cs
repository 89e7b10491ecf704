using Microsoft.Extensions.DependencyInjection;
using Radiant.Errors;
using Radiant.ModelSelection;
using Radiant.Registry;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.ModelSelection;

public sealed class DomainModeServiceTests(RadiantDatabase db) : IClassFixture<RadiantDatabase>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private IDomainModeService Modes => db.Services.GetRequiredService<IDomainModeService>();

    private IModelRegistry Registry => db.Services.GetRequiredService<IModelRegistry>();

    private static DomainModesUpdate Change(DomainMode mode, DomainModeUpdate update) => new(new Dictionary<DomainMode, DomainModeUpdate> { [mode] = update });

    [Fact]
    public async Task A_tenant_that_changed_nothing_has_seven_enabled_auto_modes_at_temperature_0_7()
    {
        var user = await db.NewUserAsync();

        var modes = await Modes.ListAsync(user, Ct);

        Assert.Equal([DomainMode.General, DomainMode.Medical, DomainMode.Legal, DomainMode.Code, DomainMode.Academic, DomainMode.Creative, DomainMode.Scientific],
            modes.Select(m => m.Mode));
        Assert.All(modes, m =>
        {
            Assert.True(m.Enabled);
            Assert.Equal(DomainModeConfig.Auto, m.DefaultModel);
            Assert.Equal(0.7m, m.Temperature);
            Assert.Null(m.SystemPromptOverride);
            Assert.Null(m.UpdatedAt);
        });
    }

    [Fact]
    public async Task An_admin_changes_some_fields_of_some_modes_and_everything_else_stays()
    {
        var user = await db.NewUserAsync();

        var updated = await Modes.UpdateAsync(Admin(user.TenantId), new DomainModesUpdate(new Dictionary<DomainMode, DomainModeUpdate>
        {
            [DomainMode.Code] = new() { DefaultModel = "codestral-latest", Temperature = 0.2m },
            [DomainMode.Medical] = new() { Enabled = false, SystemPromptOverride = "Cite clinical guidelines." },
        }), Ct);

        var code = updated.Single(m => m.Mode == DomainMode.Code);
        Assert.Equal(("codestral-latest", 0.2m, true, (string?)null), (code.DefaultModel, code.Temperature, code.Enabled, code.SystemPromptOverride));
        Assert.NotNull(code.UpdatedAt);
        var medical = updated.Single(m => m.Mode == DomainMode.Medical);
        Assert.Equal((false, DomainModeConfig.Auto, 0.7m, "Cite clinical guidelines."), (medical.Enabled, medical.DefaultModel, medical.Temperature, medical.SystemPromptOverride));
        Assert.All(updated.Where(m => m.Mode is not (DomainMode.Code or DomainMode.Medical)), m => Assert.Equal(DomainModeConfig.DefaultFor(m.Mode), m));

        // A second partial update of the same mode keeps what the first set.
        await Modes.UpdateAsync(Admin(user.TenantId), Change(DomainMode.Code, new DomainModeUpdate { Enabled = false }), Ct);
        var read = (await Modes.ListAsync(user, Ct)).Single(m => m.Mode == DomainMode.Code);
        Assert.Equal((false, "codestral-latest", 0.2m), (read.Enabled, read.DefaultModel, read.Temperature));
    }

    [Fact]
    public async Task Null_clears_the_prompt_override_and_auto_returns_the_mode_to_the_router()
    {
        var user = await db.NewUserAsync();
        await Modes.UpdateAsync(Admin(user.TenantId), Change(DomainMode.Legal, new DomainModeUpdate { DefaultModel = "claude-4-opus", SystemPromptOverride = "Be precise." }), Ct);

        var cleared = await Modes.UpdateAsync(Admin(user.TenantId), Change(DomainMode.Legal, new DomainModeUpdate { DefaultModel = DomainModeConfig.Auto, SystemPromptOverride = null }), Ct);

        var legal = cleared.Single(m => m.Mode == DomainMode.Legal);
        Assert.Equal(DomainModeConfig.Auto, legal.DefaultModel);
        Assert.Null(legal.SystemPromptOverride);
    }

    [Fact]
    public async Task Every_bad_field_is_named_at_once_and_nothing_changes()
    {
        var user = await db.NewUserAsync();

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Modes.UpdateAsync(Admin(user.TenantId), new DomainModesUpdate(new Dictionary<DomainMode, DomainModeUpdate>
        {
            [DomainMode.Code] = new() { Temperature = 2.01m, DefaultModel = null },
            [DomainMode.Creative] = new() { Temperature = 0.125m, SystemPromptOverride = "  " },
            [DomainMode.Academic] = new() { DefaultModel = new string('m', 101), SystemPromptOverride = "bad \0 text" },
            [DomainMode.Scientific] = new() { SystemPromptOverride = new string('p', ModelSelectionLimits.SystemPromptOverrideMaxLength + 1) },
        }), Ct));

        Assert.Equal(
            ["modes.academic.defaultModel", "modes.academic.systemPromptOverride", "modes.code.defaultModel", "modes.code.temperature",
             "modes.creative.systemPromptOverride", "modes.creative.temperature", "modes.scientific.systemPromptOverride"],
            error.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.All(await Modes.ListAsync(user, Ct), m => Assert.Null(m.UpdatedAt));
    }

    [Fact]
    public async Task Temperatures_from_0_to_2_with_two_decimals_are_accepted()
    {
        var user = await db.NewUserAsync();

        var modes = await Modes.UpdateAsync(Admin(user.TenantId), new DomainModesUpdate(new Dictionary<DomainMode, DomainModeUpdate>
        {
            [DomainMode.General] = new() { Temperature = 0m },
            [DomainMode.Code] = new() { Temperature = 2m },
            [DomainMode.Creative] = new() { Temperature = 1.25m },
            [DomainMode.Legal] = new() { Temperature = 0.500m },
        }), Ct);

        var temperatures = modes.ToDictionary(m => m.Mode, m => m.Temperature);
        Assert.Equal((0m, 2m, 1.25m, 0.5m), (temperatures[DomainMode.General], temperatures[DomainMode.Code], temperatures[DomainMode.Creative], temperatures[DomainMode.Legal]));
    }

    [Theory]
    [InlineData("-0.01")]
    [InlineData("-1")]
    [InlineData("2.01")]
    [InlineData("3")]
    [InlineData("1.001")]
    public async Task A_temperature_outside_0_to_2_or_with_more_than_two_decimals_is_refused(string temperature)
    {
        var user = await db.NewUserAsync();

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Modes.UpdateAsync(Admin(user.TenantId),
            Change(DomainMode.General, new DomainModeUpdate { Temperature = decimal.Parse(temperature, System.Globalization.CultureInfo.InvariantCulture) }), Ct));

        Assert.Equal(["modes.general.temperature"], error.Errors.Keys);
        Assert.Equal(DomainModeConfig.DefaultTemperature, (await Modes.ListAsync(user, Ct)).Single(m => m.Mode == DomainMode.General).Temperature);
    }

    [Fact]
    public async Task All_seven_modes_change_in_one_update_and_the_next_read_shows_each()
    {
        var user = await db.NewUserAsync();
        var all = Enum.GetValues<DomainMode>();
        string[] models = ["gpt-4o", "claude-4-opus", "claude-4-sonnet", "codestral-latest", "gemini-2.0-flash", "grok-3", "deepseek-r1"];

        await Modes.UpdateAsync(Admin(user.TenantId), new DomainModesUpdate(all.ToDictionary(
            mode => mode,
            mode => new DomainModeUpdate { Enabled = (int)mode % 2 == 0, DefaultModel = models[(int)mode], Temperature = (int)mode * 0.25m, SystemPromptOverride = $"You work in {mode} mode." })), Ct);
        var read = await Modes.ListAsync(user, Ct);

        Assert.Equal(all, read.Select(m => m.Mode));
        Assert.All(read, m => Assert.Equal(
            ((int)m.Mode % 2 == 0, models[(int)m.Mode], (int)m.Mode * 0.25m, $"You work in {m.Mode} mode."),
            (m.Enabled, m.DefaultModel, m.Temperature, m.SystemPromptOverride)));
        Assert.All(read, m => Assert.NotNull(m.UpdatedAt));
    }

    [Fact]
    public async Task An_empty_update_changes_nothing_and_returns_the_seven_modes()
    {
        var user = await db.NewUserAsync();

        var modes = await Modes.UpdateAsync(Admin(user.TenantId), new DomainModesUpdate(new Dictionary<DomainMode, DomainModeUpdate>()), Ct);

        Assert.Equal(7, modes.Count);
        Assert.All(modes, m => Assert.Equal(DomainModeConfig.DefaultFor(m.Mode), m));
    }

    [Fact]
    public async Task Unknown_and_disabled_default_models_are_refused_and_nothing_changes()
    {
        var user = await db.NewUserAsync();
        await Registry.SetEnabledAsync(Admin(user.TenantId), "gpt-4o", false, Ct);

        var error = await Assert.ThrowsAsync<RadiantValidationException>(() => Modes.UpdateAsync(Admin(user.TenantId), new DomainModesUpdate(new Dictionary<DomainMode, DomainModeUpdate>
        {
            [DomainMode.Code] = new() { DefaultModel = "no-such-model" },
            [DomainMode.General] = new() { DefaultModel = "gpt-4o", Temperature = 1m },
        }), Ct));

        Assert.Equal(["modes.code.defaultModel", "modes.general.defaultModel"], error.Errors.Keys.Order(StringComparer.Ordinal));
        Assert.Contains("disabled", error.Errors["modes.general.defaultModel"][0], StringComparison.Ordinal);
        Assert.All(await Modes.ListAsync(user, Ct), m => Assert.Equal(DomainModeConfig.DefaultFor(m.Mode), m));
    }

    [Fact]
    public async Task A_default_model_sent_back_unchanged_is_accepted_after_an_admin_disables_it()
    {
        var user = await db.NewUserAsync();
        await Modes.UpdateAsync(Admin(user.TenantId), Change(DomainMode.Code, new DomainModeUpdate { DefaultModel = "gpt-4o-mini" }), Ct);
        await Registry.SetEnabledAsync(Admin(user.TenantId), "gpt-4o-mini", false, Ct);

        var modes = await Modes.UpdateAsync(Admin(user.TenantId), Change(DomainMode.Code, new DomainModeUpdate { DefaultModel = "gpt-4o-mini", Temperature = 0.3m }), Ct);

        Assert.Equal(("gpt-4o-mini", 0.3m), modes.Where(m => m.Mode == DomainMode.Code).Select(m => (m.DefaultModel, m.Temperature)).Single());
    }

    [Fact]
    public async Task Every_user_reads_the_modes_but_only_tenant_admins_change_them()
    {
        var user = await db.NewUserAsync();

        await Assert.ThrowsAsync<RadiantForbiddenException>(() => Modes.UpdateAsync(user, Change(DomainMode.Code, new DomainModeUpdate { Enabled = false }), Ct));

        Assert.All(await Modes.ListAsync(user, Ct), m => Assert.True(m.Enabled));
    }

    [Fact]
    public async Task One_tenants_modes_are_invisible_to_another()
    {
        var a = await db.NewUserAsync();
        var b = await db.NewUserAsync();
        // The same user id in both tenants changes nothing: a tenant's modes are its own.
        await Modes.UpdateAsync(Admin(a.TenantId), Change(DomainMode.Creative, new DomainModeUpdate { Enabled = false, Temperature = 1.5m }), Ct);

        Assert.All(await Modes.ListAsync(Admin(b.TenantId), Ct), m => Assert.Equal(DomainModeConfig.DefaultFor(m.Mode), m));
        Assert.False((await Modes.ListAsync(a, Ct)).Single(m => m.Mode == DomainMode.Creative).Enabled);
    }

    [Fact]
    public async Task Admins_changing_different_fields_of_the_same_new_mode_at_once_all_land()
    {
        var user = await db.NewUserAsync();
        var admins = Enumerable.Range(0, 4).Select(_ => Admin(user.TenantId, Guid.NewGuid())).ToArray();
        DomainModeUpdate[] updates =
        [
            new() { Enabled = false },
            new() { DefaultModel = "claude-4-sonnet" },
            new() { Temperature = 1.1m },
            new() { SystemPromptOverride = "Explain the science." },
        ];

        await Task.WhenAll(admins.Select((admin, i) => Task.Run(() => Modes.UpdateAsync(admin, Change(DomainMode.Scientific, updates[i]), Ct), Ct)));

        var scientific = (await Modes.ListAsync(user, Ct)).Single(m => m.Mode == DomainMode.Scientific);
        Assert.Equal((false, "claude-4-sonnet", 1.1m, "Explain the science."), (scientific.Enabled, scientific.DefaultModel, scientific.Temperature, scientific.SystemPromptOverride));
    }

    [Fact]
    public async Task A_change_shows_in_the_next_selection_context()
    {
        var user = await db.NewUserAsync();
        var preferences = db.Services.GetRequiredService<IModelPreferenceService>();
        Assert.Equal(DomainModeConfig.Auto, (await preferences.GetSelectionContextAsync(user, Ct)).DomainModeFor(DomainMode.Code).DefaultModel);

        await Modes.UpdateAsync(Admin(user.TenantId), Change(DomainMode.Code, new DomainModeUpdate { DefaultModel = "codestral-latest" }), Ct);

        Assert.Equal("codestral-latest", (await preferences.GetSelectionContextAsync(user, Ct)).DomainModeFor(DomainMode.Code).DefaultModel);
    }
}
