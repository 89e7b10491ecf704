using System.Text.Json;
using System.Text.Json.Serialization;
using Dapper;
using Npgsql;
using Radiant.Postgres.Tenancy;
using Radiant.Pricing;
using Radiant.Teams;

namespace Radiant.Postgres.Notifications;

/// <summary>What an outbox row is for, and so which host interface receives it.</summary>
internal enum OutboxTopic
{
    /// <summary>A <see cref="PriceChangeNotification"/> for <see cref="IPriceChangeNotifier"/>.</summary>
    [JsonStringEnumMemberName("price_change")]
    PriceChange,

    /// <summary>A <see cref="TeamUsageWarning"/> for <see cref="ITeamUsageNotifier"/>.</summary>
    [JsonStringEnumMemberName("team_usage_warning")]
    TeamUsageWarning,
}

/// <summary>
/// Queues notifications in the transaction of the change that raised them: the row commits with the change (or not at
/// all), and the NOTIFY that wakes the dispatchers is delivered only on commit.
/// </summary>
internal sealed class Outbox(RadiantDb db)
{
    private readonly string _insert = db.Sql(
        """
        INSERT INTO {schema}.outbox (tenant_id, id, topic, payload) VALUES (@TenantId, @Id, @Topic, @Payload::jsonb);
        SELECT pg_notify(@Channel, '');
        """);

    private readonly string _channel = RadiantChannels.Outbox(db);

    public Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PriceChangeNotification notification, CancellationToken cancellationToken) =>
        AddAsync(connection, transaction, notification.TenantId, OutboxTopic.PriceChange,
            JsonSerializer.Serialize(notification, OutboxJsonContext.Default.PriceChangeNotification), cancellationToken);

    public Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TeamUsageWarning warning, CancellationToken cancellationToken) =>
        AddAsync(connection, transaction, warning.TenantId, OutboxTopic.TeamUsageWarning,
            JsonSerializer.Serialize(warning, OutboxJsonContext.Default.TeamUsageWarning), cancellationToken);

    private Task<int> AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, OutboxTopic topic, string payload, CancellationToken cancellationToken) =>
        connection.ExecuteAsync(new CommandDefinition(
            _insert,
            new { TenantId = tenantId, Id = Guid.CreateVersion7(), Topic = DbEnum.Name(topic), Payload = payload, Channel = _channel },
            transaction,
            cancellationToken: cancellationToken));
}

[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(PriceChangeNotification))]
[JsonSerializable(typeof(TeamUsageWarning))]
internal sealed partial class OutboxJsonContext : JsonSerializerContext;
