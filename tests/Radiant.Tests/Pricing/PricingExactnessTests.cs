using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Radiant.Pricing;
using Radiant.Tests.Infrastructure;

namespace Radiant.Tests.Pricing;

/// <summary>
/// The engine agrees to the micro-dollar with (a) a plain <see cref="decimal"/> reference evaluated from the raw rows,
/// and (b) the database's own <c>quote_price</c> function, on thousands of random configurations, overrides, windows,
/// base-price timelines, instants and token counts. Seeds are fixed and printed, so a failure replays.
/// </summary>
public sealed class PricingExactnessTests(PostgresServer server)
{
    private static readonly DateTimeOffset Origin = new(2026, 11, 1, 0, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    [InlineData(4)]
    public void Engine_matches_the_decimal_reference_on_random_snapshots(int seed)
    {
        var random = new Random(seed);
        var checkedQuotes = 0;
        for (var round = 0; round < 50; round++)
        {
            var world = World.Random(random, tenants: 6, models: 12);
            var snapshot = world.ToSnapshot();
            var lines = new List<(UsageLine Line, long Expected)>();
            for (var q = 0; q < 100; q++)
            {
                var (tenant, model, input, output, at) = world.RandomQuery(random);
                var expected = world.Reference(tenant, model, input, output, at);

                var actual = snapshot.Quote(tenant, model, input, output, at);

                Assert.True(expected == actual, $"seed {seed}, round {round}: {tenant}/{model} {input}+{output} at {at:O}\nexpected {expected}\nactual   {actual}");
                lines.Add((new UsageLine(snapshot.Resolve(tenant, model), input, output), (long)(expected.Charge * 1_000_000m)));
                checkedQuotes++;
            }

            // The batch path charges exactly the same, at one instant for all lines.
            var batchAt = world.RandomInstant(random);
            var batch = world.Queries(random, 200, batchAt).ToArray();
            var charges = new long[batch.Length];
            snapshot.QuoteBatch(batch.Select(b => new UsageLine(snapshot.Resolve(b.Tenant, b.Model), b.Input, b.Output)).ToArray(), batchAt, charges);
            for (var i = 0; i < batch.Length; i++)
            {
                Assert.Equal(world.Reference(batch[i].Tenant, batch[i].Model, batch[i].Input, batch[i].Output, batchAt).Charge, PricingSnapshot.MicrosToDollars(charges[i]));
            }
        }

        Assert.Equal(5_000, checkedQuotes);
    }

    [Fact]
    public void Extreme_token_counts_and_prices_stay_exact()
    {
        var tenant = Guid.NewGuid();
        var snapshot = new PricingSnapshotBuilder()
            .AddModel("max", PricingRules.MaxPricePer1M, PricingRules.MaxPricePer1M)
            .AddModel("tiny", 0.000001m, 0m)
            .AddTenant(tenant, new TenantPricingConfig { ExternalDefaultMarkup = PricingRules.MaxMarkup, MinimumChargePerRequest = 0m })
            .Build();

        foreach (var model in new[] { "max", "tiny" })
        {
            foreach (var (input, output) in new[] { (int.MaxValue, int.MaxValue), (0, 0), (1, 0), (int.MaxValue, 0), (0, 1) })
            {
                var price = model == "max" ? PricingRules.MaxPricePer1M : 0.000001m;
                var expected = PricingRules.Reference(price, model == "max" ? price : 0m, PricingRules.MaxMarkup, 0m, input, output, overrideApplied: false);
                Assert.Equal(expected, snapshot.Quote(tenant, model, input, output, Origin));
            }
        }
    }

    [Fact]
    public void Unknown_tenant_model_or_negative_tokens_never_price_at_zero()
    {
        var tenant = Guid.NewGuid();
        var snapshot = new PricingSnapshotBuilder().AddModel("m", 1m, 2m).AddTenant(tenant).Build();

        Assert.False(snapshot.TryQuote(Guid.NewGuid(), "m", 1, 1, Origin, out _));
        Assert.False(snapshot.TryQuote(tenant, "nope", 1, 1, Origin, out _));
        Assert.False(snapshot.TryQuote(tenant, "m", -1, 1, Origin, out _));
        Assert.Contains("Tenant", Assert.Throws<PricingException>(() => snapshot.Quote(Guid.NewGuid(), "m", 1, 1, Origin)).Message, StringComparison.Ordinal);
        Assert.Contains("'nope'", Assert.Throws<PricingException>(() => snapshot.Quote(tenant, "nope", 1, 1, Origin)).Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Engine_matches_the_databases_quote_price_on_random_data()
    {
        const int seed = 20261125;
        var random = new Random(seed);
        var connectionString = await server.CreateDatabaseAsync("exact", Ct);
        await using var services = await BuildAsync(connectionString);
        var world = World.Random(random, tenants: 8, models: 20);
        await world.StoreAsync(connectionString);
        var engine = services.GetRequiredService<IPricingEngine>();
        var snapshot = await engine.RefreshAsync(Ct);

        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync(Ct);
        var compared = 0;
        foreach (var tenant in world.Tenants.Keys)
        {
            await using var transaction = await RawSql.BeginAsAppAsync(connection, tenant, null);
            for (var q = 0; q < 250; q++)
            {
                var (_, model, input, output, at) = world.RandomQuery(random, tenant);
                await using var command = new NpgsqlCommand(
                    "SELECT base_cost, effective_markup, user_input_price, user_output_price, charge, has_override FROM radiant.quote_price(@m, @i, @o, @at)",
                    connection,
                    transaction);
                command.Parameters.AddWithValue("m", model);
                command.Parameters.AddWithValue("i", input);
                command.Parameters.AddWithValue("o", output);
                command.Parameters.AddWithValue("at", at);
                await using var reader = await command.ExecuteReaderAsync(Ct);
                Assert.True(await reader.ReadAsync(Ct));
                var database = new PriceQuote(reader.GetDecimal(0), reader.GetDecimal(1), reader.GetDecimal(2), reader.GetDecimal(3), reader.GetDecimal(4), reader.GetBoolean(5));

                var quote = snapshot.Quote(tenant, model, input, output, at);

                Assert.True(database == quote, $"seed {seed}: {tenant}/{model} {input}+{output} at {at:O}\ndatabase {database}\nengine   {quote}");
                Assert.Equal(world.Reference(tenant, model, input, output, at), quote);
                compared++;
            }
        }

        Assert.Equal(2_000, compared);
    }

    private static async Task<ServiceProvider> BuildAsync(string connectionString)
    {
        var services = new ServiceCollection();
        services.AddLogging();
        services.AddRadiant().UseTestPostgres(connectionString, o => o.SyncBuiltInCatalogOnStartup = false).AddPricing();
        var provider = services.BuildServiceProvider();
        foreach (var hosted in provider.GetServices<Microsoft.Extensions.Hosting.IHostedService>())
        {
            await hosted.StartAsync(Ct);
        }

        return provider;
    }

    /// <summary>Random models, tenants, overrides and base prices, with the reference evaluation written from scratch.</summary>
    private sealed class World
    {
        public Dictionary<string, (decimal Input, decimal Output, bool SelfHosted)> Models { get; } = [];

        public Dictionary<Guid, TenantPricingConfig?> Tenants { get; } = [];

        public List<(Guid Tenant, ModelPriceOverride Override)> Overrides { get; } = [];

        public List<(Guid Tenant, TenantBasePrice Price)> BasePrices { get; } = [];

        public static World Random(Random random, int tenants, int models)
        {
            var world = new World();
            for (var m = 0; m < models; m++)
            {
                world.Models[$"model-{m}"] = (Price(random), Price(random), random.Next(4) == 0);
            }

            for (var t = 0; t < tenants; t++)
            {
                var tenant = Guid.NewGuid();
                // Some tenants have no config row at all: the defaults apply.
                world.Tenants[tenant] = random.Next(4) == 0 ? null : new TenantPricingConfig
                {
                    ExternalDefaultMarkup = Markup(random),
                    SelfHostedDefaultMarkup = Markup(random),
                    MinimumChargePerRequest = random.Next(3) == 0 ? 0m : Math.Round((decimal)random.NextDouble() * 0.05m, random.Next(0, 7)),
                };
                foreach (var model in world.Models.Keys.Where(_ => random.Next(3) == 0))
                {
                    // Distinct start instants per tenant and model, windows that may overlap, end, or stay open.
                    var starts = Enumerable.Range(0, random.Next(1, 4)).Select(_ => world.RandomInstant(random)).Distinct().ToList();
                    foreach (var from in starts)
                    {
                        DateTimeOffset? to = random.Next(2) == 0 ? null : from.AddSeconds(random.Next(1, 20 * 24 * 3600));
                        var markup = random.Next(2) == 0 ? Markup(random) : (decimal?)null;
                        var input = random.Next(2) == 0 ? Price(random) : (decimal?)null;
                        var output = random.Next(3) == 0 ? Price(random) : (decimal?)null;
                        if (markup is null && input is null && output is null)
                        {
                            markup = Markup(random);
                        }

                        world.Overrides.Add((tenant, new ModelPriceOverride(model, markup, input, output, from, to)));
                    }
                }

                foreach (var model in world.Models.Keys.Where(_ => random.Next(4) == 0))
                {
                    foreach (var from in Enumerable.Range(0, random.Next(1, 3)).Select(_ => world.RandomInstant(random)).Distinct())
                    {
                        world.BasePrices.Add((tenant, new TenantBasePrice(model, Price(random), Price(random), from)));
                    }
                }
            }

            return world;
        }

        public PricingSnapshot ToSnapshot()
        {
            var builder = new PricingSnapshotBuilder();
            foreach (var (id, m) in Models)
            {
                builder.AddModel(id, m.Input, m.Output, m.SelfHosted);
            }

            foreach (var (tenant, config) in Tenants)
            {
                builder.AddTenant(tenant, config);
            }

            Overrides.ForEach(o => builder.AddOverride(o.Tenant, o.Override));
            BasePrices.ForEach(b => builder.AddBasePrice(b.Tenant, b.Price));
            return builder.Build();
        }

        public PriceQuote Reference(Guid tenant, string model, int input, int output, DateTimeOffset at)
        {
            var config = Tenants[tenant] ?? TenantPricingConfig.Default;
            var catalogue = Models[model];
            var basePrice = BasePrices.Where(b => b.Tenant == tenant && b.Price.ModelId == model && b.Price.EffectiveFrom <= at)
                .OrderByDescending(b => b.Price.EffectiveFrom).Select(b => b.Price).FirstOrDefault();
            var active = Overrides.Where(o => o.Tenant == tenant && o.Override.ModelId == model && o.Override.EffectiveFrom <= at
                                              && (o.Override.EffectiveTo is null || o.Override.EffectiveTo > at))
                .OrderByDescending(o => o.Override.EffectiveFrom).Select(o => o.Override).FirstOrDefault();
            return PricingRules.Reference(
                active?.InputPricePer1M ?? basePrice?.InputPricePer1M ?? catalogue.Input,
                active?.OutputPricePer1M ?? basePrice?.OutputPricePer1M ?? catalogue.Output,
                active?.Markup ?? (catalogue.SelfHosted ? config.SelfHostedDefaultMarkup : config.ExternalDefaultMarkup),
                config.MinimumChargePerRequest,
                input,
                output,
                active is not null);
        }

        public (Guid Tenant, string Model, int Input, int Output, DateTimeOffset At) RandomQuery(Random random, Guid? tenant = null)
        {
            var t = tenant ?? Tenants.Keys.ElementAt(random.Next(Tenants.Count));
            return (t, Models.Keys.ElementAt(random.Next(Models.Count)), Tokens(random), Tokens(random), RandomInstant(random));
        }

        public IEnumerable<(Guid Tenant, string Model, int Input, int Output)> Queries(Random random, int count, DateTimeOffset at) =>
            Enumerable.Range(0, count).Select(_ => RandomQuery(random)).Select(q => (q.Tenant, q.Model, q.Input, q.Output));

        /// <summary>Whole seconds (the database keeps microseconds), often exactly on a window's edge.</summary>
        public DateTimeOffset RandomInstant(Random random)
        {
            var edges = Overrides.SelectMany(o => new[] { o.Override.EffectiveFrom, o.Override.EffectiveTo ?? o.Override.EffectiveFrom })
                .Concat(BasePrices.Select(b => b.Price.EffectiveFrom)).ToList();
            if (edges.Count > 0 && random.Next(4) == 0)
            {
                return edges[random.Next(edges.Count)];
            }

            return Origin.AddSeconds(random.Next(-30 * 24 * 3600, 30 * 24 * 3600));
        }

        /// <summary>Writes the world through the application role, one tenant at a time, as raw rows.</summary>
        public async Task StoreAsync(string connectionString)
        {
            await using var connection = new NpgsqlConnection(connectionString);
            await connection.OpenAsync(Ct);
            await using (var models = new NpgsqlBatch(connection))
            {
                models.BatchCommands.Add(new NpgsqlBatchCommand(
                    "INSERT INTO radiant.providers (id, display_name, api_base, auth_type) VALUES ('openai', 'OpenAI', 'api.openai.com', 'api_key'), ('self_hosted', 'Self-hosted', 'localhost', 'none') ON CONFLICT DO NOTHING"));
                foreach (var (id, m) in Models)
                {
                    var command = new NpgsqlBatchCommand(
                        "INSERT INTO radiant.models (id, provider_id, display_name, context_window, max_output_tokens, input_price, output_price) VALUES ($1, $2, $1, 1000, 100, $3, $4)");
                    command.Parameters.Add(new NpgsqlParameter { Value = id });
                    command.Parameters.Add(new NpgsqlParameter { Value = m.SelfHosted ? "self_hosted" : "openai" });
                    command.Parameters.Add(new NpgsqlParameter { Value = m.Input });
                    command.Parameters.Add(new NpgsqlParameter { Value = m.Output });
                    models.BatchCommands.Add(command);
                }

                await models.ExecuteNonQueryAsync(Ct);
            }

            foreach (var (tenant, config) in Tenants)
            {
                await using var transaction = await RawSql.BeginAsAppAsync(connection, tenant, null);
                await RawSql.ExecuteAsync(connection, transaction, "INSERT INTO radiant.tenants (tenant_id, name) VALUES (@t, 'random')", ("t", tenant));
                if (config is not null)
                {
                    await RawSql.ExecuteAsync(
                        connection,
                        transaction,
                        "INSERT INTO radiant.pricing_config (tenant_id, external_default_markup, self_hosted_default_markup, minimum_charge_per_request) VALUES (@t, @e, @s, @m)",
                        ("t", tenant), ("e", config.ExternalDefaultMarkup), ("s", config.SelfHostedDefaultMarkup), ("m", config.MinimumChargePerRequest));
                }

                foreach (var (_, o) in Overrides.Where(o => o.Tenant == tenant))
                {
                    await RawSql.ExecuteAsync(
                        connection,
                        transaction,
                        "INSERT INTO radiant.model_pricing_overrides (tenant_id, id, model_id, markup, input_price, output_price, effective_from, effective_to) VALUES (@t, gen_random_uuid(), @m, @k, @i, @o, @f, @u)",
                        ("t", tenant), ("m", o.ModelId), ("k", (object?)o.Markup ?? DBNull.Value), ("i", (object?)o.InputPricePer1M ?? DBNull.Value),
                        ("o", (object?)o.OutputPricePer1M ?? DBNull.Value), ("f", o.EffectiveFrom), ("u", (object?)o.EffectiveTo ?? DBNull.Value));
                }

                foreach (var (_, b) in BasePrices.Where(b => b.Tenant == tenant))
                {
                    await RawSql.ExecuteAsync(
                        connection,
                        transaction,
                        "INSERT INTO radiant.tenant_base_prices (tenant_id, model_id, effective_from, input_price, output_price) VALUES (@t, @m, @f, @i, @o)",
                        ("t", tenant), ("m", b.ModelId), ("f", b.EffectiveFrom), ("i", b.InputPricePer1M), ("o", b.OutputPricePer1M));
                }

                await transaction.CommitAsync(Ct);
            }
        }

        private static decimal Price(Random random) => random.Next(10) switch
        {
            0 => 0m,
            1 => PricingRules.MaxPricePer1M,
            _ => Math.Round((decimal)random.NextDouble() * 200m, random.Next(0, 7)),
        };

        private static decimal Markup(Random random) => random.Next(8) == 0 ? 0m : Math.Round((decimal)random.NextDouble() * 3m, random.Next(0, 5));

        private static int Tokens(Random random) => random.Next(6) switch
        {
            0 => 0,
            1 => random.Next(1, 10),
            2 => int.MaxValue - random.Next(10),
            _ => random.Next(1, 2_000_000),
        };
    }
}
