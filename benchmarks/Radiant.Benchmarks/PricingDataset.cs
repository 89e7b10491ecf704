using System.Globalization;
using Npgsql;
using NpgsqlTypes;
using Radiant.Pricing;
using Radiant.Registry;

namespace Radiant.Benchmarks;

/// <summary>A model as the benchmarks see it: id, provider and list prices per 1M tokens.</summary>
public sealed record BenchModel(string Id, string ProviderId, decimal InputPricePer1M, decimal OutputPricePer1M)
{
    /// <summary>Self-hosted models take the self-hosted default markup.</summary>
    public bool SelfHosted => ProviderId == ProviderDefinition.SelfHostedId;
}

/// <summary>A tenant and its pricing configuration; <paramref name="HasConfigRow"/> is false for tenants on the defaults.</summary>
public sealed record BenchTenant(Guid Id, TenantPricingConfig Config, bool HasConfigRow);

/// <summary>One request to price, as it arrives on the hot path (the model id is its own string instance).</summary>
public readonly record struct QuoteRequest(Guid TenantId, string ModelId, int InputTokens, int OutputTokens);

/// <summary>
/// A deterministic, realistic pricing data set: the 32 built-in models plus synthetic ones up to the model count, tenants
/// mostly on the defaults and some with their own markups and minimum charges, a handful of overrides per tenant
/// (markup-only, price-only and both; open, ending, and with a pending rise waiting for its grace period), and a few
/// tenant base prices (a provider change that reaches a tenant later). The same data feeds the engine, the
/// straightforward baseline and the database, so all three must agree to the micro-dollar.
/// </summary>
public sealed class PricingDataset
{
    /// <summary>The instant every benchmark quotes at (whole seconds, so the database stores it exactly).</summary>
    public static readonly DateTimeOffset At = new(2026, 3, 2, 12, 0, 0, TimeSpan.Zero);

    private static readonly string[] Providers =
        ["anthropic", "openai", "google", "xai", "mistral", "cohere", "perplexity", "deepseek", "together", "fireworks",
         "groq", "replicate", "huggingface", "bedrock", "azure_openai", "vertex_ai"];

    private static readonly string[] Families =
        ["llama-3.1", "qwen-2.5", "mixtral", "gemma-2", "phi-3.5", "command-r", "yi-1.5", "falcon", "dbrx", "jamba", "nemotron", "olmo"];

    private static readonly string[] Variants = ["instruct", "chat", "coder", "vision", "ft", "long", "turbo", "mini"];

    private PricingDataset(
        IReadOnlyList<BenchModel> models,
        IReadOnlyList<BenchTenant> tenants,
        IReadOnlyList<(Guid Tenant, ModelPriceOverride Override)> overrides,
        IReadOnlyList<(Guid Tenant, TenantBasePrice Price)> basePrices)
    {
        Models = models;
        Tenants = tenants;
        Overrides = overrides;
        BasePrices = basePrices;
    }

    /// <summary>Models: the built-in ones first.</summary>
    public IReadOnlyList<BenchModel> Models { get; }

    /// <summary>Tenants.</summary>
    public IReadOnlyList<BenchTenant> Tenants { get; }

    /// <summary>Override rows, as the database holds them (at most one current and one pending per tenant and model).</summary>
    public IReadOnlyList<(Guid Tenant, ModelPriceOverride Override)> Overrides { get; }

    /// <summary>Tenant base price rows.</summary>
    public IReadOnlyList<(Guid Tenant, TenantBasePrice Price)> BasePrices { get; }

    /// <summary>Creates the data set. With <paramref name="distinctMarkups"/> every tenant has its own markup pair (the engine's worst case).</summary>
    public static PricingDataset Create(int tenantCount = 100, int modelCount = 1000, int overridesPerTenant = 10, bool distinctMarkups = false, int seed = 20260302)
    {
        var random = new Random(seed);
        var builtIn = BuiltInCatalog.Catalog.Models;
        var models = builtIn.Select(m => new BenchModel(m.Id, m.ProviderId, m.InputPricePer1M, m.OutputPricePer1M)).ToList();
        var ids = models.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        while (models.Count < modelCount)
        {
            var selfHosted = random.Next(10) == 0;
            var provider = selfHosted ? ProviderDefinition.SelfHostedId : Providers[random.Next(Providers.Length)];
            var id = string.Create(
                CultureInfo.InvariantCulture,
                $"{provider}/{Families[random.Next(Families.Length)]}-{random.Next(1, 406)}b-{Variants[random.Next(Variants.Length)]}-{random.Next(10_000):D4}");
            if (!ids.Add(id))
            {
                continue;
            }

            // List prices like providers publish them: mostly cents, some with sub-cent precision, a few with 6 decimals.
            var input = Price(random, 0.01m, 30m);
            var output = random.Next(20) == 0 ? 0m : input * (1 + random.Next(5));
            models.Add(new BenchModel(id, provider, input, Math.Min(output, PricingRules.MaxPricePer1M)));
        }

        decimal[] externalMarkups = [0.25m, 0.30m, 0.35m, 0.45m, 0.50m, 0.60m, 0.3333m, 0.2750m];
        decimal[] selfHostedMarkups = [0.50m, 0.60m, 0.75m, 1.00m];
        decimal[] minimumCharges = [0m, 0.0005m, 0.001m, 0.002m, 0.01m];
        var tenants = new List<BenchTenant>(tenantCount);
        for (var t = 0; t < tenantCount; t++)
        {
            var id = NewGuid(random);
            if (distinctMarkups)
            {
                tenants.Add(new BenchTenant(id, new TenantPricingConfig
                {
                    ExternalDefaultMarkup = 0.2000m + (t * 0.0037m),
                    SelfHostedDefaultMarkup = 0.5000m + (t * 0.0041m),
                    MinimumChargePerRequest = minimumCharges[random.Next(minimumCharges.Length)],
                }, HasConfigRow: true));
            }
            else if (random.Next(10) < 6)
            {
                tenants.Add(new BenchTenant(id, TenantPricingConfig.Default, HasConfigRow: false));
            }
            else
            {
                tenants.Add(new BenchTenant(id, new TenantPricingConfig
                {
                    ExternalDefaultMarkup = externalMarkups[random.Next(externalMarkups.Length)],
                    SelfHostedDefaultMarkup = selfHostedMarkups[random.Next(selfHostedMarkups.Length)],
                    MinimumChargePerRequest = minimumCharges[random.Next(minimumCharges.Length)],
                    PriceIncreaseGracePeriodHours = random.Next(3) * 24,
                }, HasConfigRow: true));
            }
        }

        var overrides = new List<(Guid, ModelPriceOverride)>();
        var basePrices = new List<(Guid, TenantBasePrice)>();
        foreach (var tenant in tenants)
        {
            // Half on popular built-in models (at most half of them), half in the long tail.
            var chosen = new HashSet<int>();
            var popular = Math.Min((overridesPerTenant + 1) / 2, builtIn.Count / 2);
            while (chosen.Count < popular)
            {
                chosen.Add(random.Next(builtIn.Count));
            }

            while (chosen.Count < Math.Min(overridesPerTenant, models.Count))
            {
                chosen.Add(random.Next(builtIn.Count, models.Count));
            }

            foreach (var m in chosen)
            {
                var model = models[m];
                var from = At.AddSeconds(-random.Next(3_600, 90 * 86_400));
                var kind = random.Next(100);
                if (kind < 60)
                {
                    overrides.Add((tenant.Id, NewOverride(random, model, from, null)));
                }
                else if (kind < 75)
                {
                    overrides.Add((tenant.Id, NewOverride(random, model, from, At.AddSeconds(random.Next(60, 30 * 86_400)))));
                }
                else if (kind < 90)
                {
                    // A rise set by an admin: the current override ends where the pending one starts.
                    var switchAt = At.AddSeconds(random.Next(60, 86_400));
                    overrides.Add((tenant.Id, NewOverride(random, model, from, switchAt)));
                    overrides.Add((tenant.Id, NewOverride(random, model, switchAt, null)));
                }
                else
                {
                    overrides.Add((tenant.Id, NewOverride(random, model, At.AddSeconds(random.Next(60, 86_400)), null)));
                }
            }

            // Auto-update off or in its grace period: the tenant keeps an older base price for a couple of models.
            if (random.Next(5) == 0)
            {
                for (var k = 0; k < 2; k++)
                {
                    var model = models[random.Next(builtIn.Count)];
                    if (basePrices.Any(b => b.Item1 == tenant.Id && b.Item2.ModelId == model.Id))
                    {
                        continue;
                    }

                    basePrices.Add((tenant.Id, new TenantBasePrice(model.Id, Scale(model.InputPricePer1M, 0.9m), Scale(model.OutputPricePer1M, 0.9m), At.AddDays(-30))));
                    basePrices.Add((tenant.Id, new TenantBasePrice(model.Id, Scale(model.InputPricePer1M, 1.05m), Scale(model.OutputPricePer1M, 1.05m), At.AddHours(12))));
                }
            }
        }

        return new PricingDataset(models, tenants, overrides, basePrices);
    }

    /// <summary>Adds everything to a snapshot builder.</summary>
    public PricingSnapshotBuilder Fill(PricingSnapshotBuilder builder)
    {
        ArgumentNullException.ThrowIfNull(builder);
        foreach (var m in Models)
        {
            builder.AddModel(m.Id, m.InputPricePer1M, m.OutputPricePer1M, m.SelfHosted);
        }

        foreach (var t in Tenants)
        {
            builder.AddTenant(t.Id, t.Config);
        }

        foreach (var (tenant, o) in Overrides)
        {
            builder.AddOverride(tenant, o);
        }

        foreach (var (tenant, b) in BasePrices)
        {
            builder.AddBasePrice(tenant, b);
        }

        return builder;
    }

    /// <summary>Builds the engine's snapshot.</summary>
    public PricingSnapshot BuildSnapshot() => Fill(new PricingSnapshotBuilder()).Build();

    /// <summary>Builds the straightforward baseline over the same data.</summary>
    public StraightforwardPricing BuildStraightforward() => new(Models, Tenants, Overrides, BasePrices);

    /// <summary>
    /// Requests as traffic looks: 60 % on the 32 popular built-in models, 40 % in the long tail; token counts mostly
    /// chat-sized, some long-context, a few tiny ones that fall under the minimum charge.
    /// </summary>
    public QuoteRequest[] Requests(int count, int seed = 7)
    {
        var random = new Random(seed);
        var builtIn = BuiltInCatalog.Catalog.Models.Count;
        var requests = new QuoteRequest[count];
        for (var i = 0; i < count; i++)
        {
            var tenant = Tenants[random.Next(Tenants.Count)];
            var model = Models[random.Next(10) < 6 ? random.Next(builtIn) : random.Next(builtIn, Models.Count)];
            var size = random.Next(100);
            var (input, output) = size switch
            {
                < 3 => (random.Next(1, 20), random.Next(0, 20)),
                < 75 => (random.Next(50, 4_000), random.Next(0, 2_000)),
                < 97 => (random.Next(4_000, 64_000), random.Next(100, 8_000)),
                _ => (random.Next(64_000, 1_000_000), random.Next(1_000, 32_000)),
            };

            // A fresh string, as a deserialized request would carry: no reference-equality shortcut in lookups.
            requests[i] = new QuoteRequest(tenant.Id, new string(model.Id.AsSpan()), input, output);
        }

        return requests;
    }

    /// <summary>Writes the data set into a migrated Radiant schema (as the owner: row-level security does not apply).</summary>
    public async Task WriteToDatabaseAsync(NpgsqlConnection owner, string schema, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(owner);
        var builtIn = BuiltInCatalog.Catalog.Models.Select(m => m.Id).ToHashSet(StringComparer.Ordinal);
        await using (var copy = await owner.BeginBinaryImportAsync(
            $"COPY {schema}.models (id, provider_id, display_name, context_window, max_output_tokens, input_price, output_price) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            foreach (var m in Models.Where(m => !builtIn.Contains(m.Id)))
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(m.Id, NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(m.ProviderId, NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(m.Id, NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(128_000, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(8_192, NpgsqlDbType.Integer, cancellationToken);
                await copy.WriteAsync(m.InputPricePer1M, NpgsqlDbType.Numeric, cancellationToken);
                await copy.WriteAsync(m.OutputPricePer1M, NpgsqlDbType.Numeric, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using (var copy = await owner.BeginBinaryImportAsync($"COPY {schema}.tenants (tenant_id, name) FROM STDIN (FORMAT BINARY)", cancellationToken))
        {
            foreach (var t in Tenants)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(t.Id, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync("Benchmark tenant " + t.Id.ToString("N")[..8], NpgsqlDbType.Varchar, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using (var copy = await owner.BeginBinaryImportAsync(
            $"COPY {schema}.pricing_config (tenant_id, external_default_markup, self_hosted_default_markup, minimum_charge_per_request, price_increase_grace_period_hours) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            foreach (var t in Tenants.Where(t => t.HasConfigRow))
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(t.Id, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(t.Config.ExternalDefaultMarkup, NpgsqlDbType.Numeric, cancellationToken);
                await copy.WriteAsync(t.Config.SelfHostedDefaultMarkup, NpgsqlDbType.Numeric, cancellationToken);
                await copy.WriteAsync(t.Config.MinimumChargePerRequest, NpgsqlDbType.Numeric, cancellationToken);
                await copy.WriteAsync(t.Config.PriceIncreaseGracePeriodHours, NpgsqlDbType.Integer, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using (var copy = await owner.BeginBinaryImportAsync(
            $"COPY {schema}.model_pricing_overrides (tenant_id, id, model_id, markup, input_price, output_price, effective_from, effective_to) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            foreach (var (tenant, o) in Overrides)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(tenant, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(Guid.CreateVersion7(), NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(o.ModelId, NpgsqlDbType.Varchar, cancellationToken);
                await WriteNullableAsync(copy, o.Markup, cancellationToken);
                await WriteNullableAsync(copy, o.InputPricePer1M, cancellationToken);
                await WriteNullableAsync(copy, o.OutputPricePer1M, cancellationToken);
                await copy.WriteAsync(o.EffectiveFrom.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                if (o.EffectiveTo is { } to)
                {
                    await copy.WriteAsync(to.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                }
                else
                {
                    await copy.WriteNullAsync(cancellationToken);
                }
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using (var copy = await owner.BeginBinaryImportAsync(
            $"COPY {schema}.tenant_base_prices (tenant_id, model_id, effective_from, input_price, output_price) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            foreach (var (tenant, b) in BasePrices)
            {
                await copy.StartRowAsync(cancellationToken);
                await copy.WriteAsync(tenant, NpgsqlDbType.Uuid, cancellationToken);
                await copy.WriteAsync(b.ModelId, NpgsqlDbType.Varchar, cancellationToken);
                await copy.WriteAsync(b.EffectiveFrom.UtcDateTime, NpgsqlDbType.TimestampTz, cancellationToken);
                await copy.WriteAsync(b.InputPricePer1M, NpgsqlDbType.Numeric, cancellationToken);
                await copy.WriteAsync(b.OutputPricePer1M, NpgsqlDbType.Numeric, cancellationToken);
            }

            await copy.CompleteAsync(cancellationToken);
        }

        await using var analyze = new NpgsqlCommand("ANALYZE", owner);
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task WriteNullableAsync(NpgsqlBinaryImporter copy, decimal? value, CancellationToken cancellationToken)
    {
        if (value is { } v)
        {
            await copy.WriteAsync(v, NpgsqlDbType.Numeric, cancellationToken);
        }
        else
        {
            await copy.WriteNullAsync(cancellationToken);
        }
    }

    private static ModelPriceOverride NewOverride(Random random, BenchModel model, DateTimeOffset from, DateTimeOffset? to)
    {
        decimal[] markups = [0.10m, 0.15m, 0.20m, 0.25m, 0.5000m, 0.65m, 0.80m, 1.00m, 0.1234m, 2.5m];
        var kind = random.Next(10);
        decimal? markup = kind < 4 || kind >= 7 ? markups[random.Next(markups.Length)] : null;
        decimal? input = kind >= 4 ? Scale(model.InputPricePer1M, 0.7m + (random.Next(61) / 100m)) : null;
        decimal? output = kind >= 4 ? Scale(model.OutputPricePer1M, 0.7m + (random.Next(61) / 100m)) : null;
        return new ModelPriceOverride(model.Id, markup, input, output, from, to);
    }

    private static decimal Scale(decimal price, decimal factor) => Math.Min(Math.Round(price * factor, 6, MidpointRounding.AwayFromZero), PricingRules.MaxPricePer1M);

    private static decimal Price(Random random, decimal min, decimal max)
    {
        var value = min + ((max - min) * (decimal)random.NextDouble());
        var decimals = random.Next(10) switch
        {
            < 6 => 2,
            < 9 => 3,
            _ => 6,
        };
        return Math.Round(value, decimals, MidpointRounding.AwayFromZero);
    }

    private static Guid NewGuid(Random random)
    {
        Span<byte> bytes = stackalloc byte[16];
        random.NextBytes(bytes);
        return new Guid(bytes);
    }
}
