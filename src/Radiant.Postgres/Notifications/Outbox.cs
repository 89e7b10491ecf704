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

    private readonly string _insertMany = db.Sql(
        """
        INSERT INTO {schema}.outbox (tenant_id, id, topic, payload)
        SELECT @tenantId, n.id, @topic, n.payload::jsonb FROM unnest(@ids, @payloads) AS n (id, payload)
        """);

    private readonly string _channel = RadiantChannels.Outbox(db);

    public Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, PriceChangeNotification notification, CancellationToken cancellationToken) =>
        AddAsync(connection, transaction, notification.TenantId, OutboxTopic.PriceChange,
            JsonSerializer.Serialize(notification, OutboxJsonContext.Default.PriceChangeNotification), cancellationToken);

    public Task AddAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, TeamUsageWarning warning, CancellationToken cancellationToken) =>
        AddAsync(connection, transaction, warning.TenantId, OutboxTopic.TeamUsageWarning,
            JsonSerializer.Serialize(warning, OutboxJsonContext.Default.TeamUsageWarning), cancellationToken);

    /// <summary>
    /// The batch form of <see cref="AddAsync(NpgsqlConnection, NpgsqlTransaction, PriceChangeNotification, CancellationToken)"/>
    /// for many notifications of one tenant, to follow that tenant's <see cref="RadiantDb.TenantCommand"/> in a batch
    /// that ends with <see cref="WakeCommand"/>.
    /// </summary>
    public NpgsqlBatchCommand AddCommand(Guid tenantId, IReadOnlyCollection<PriceChangeNotification> notifications) =>
        new(_insertMany)
        {
            Parameters =
            {
                new NpgsqlParameter<Guid>("tenantId", tenantId),
                new NpgsqlParameter<string>("topic", DbEnum.Name(OutboxTopic.PriceChange)),
                new NpgsqlParameter<Guid[]>("ids", notifications.Select(_ => Guid.CreateVersion7()).ToArray()),
                new NpgsqlParameter<string[]>("payloads", notifications.Select(n => JsonSerializer.Serialize(n, OutboxJsonContext.Default.PriceChangeNotification)).ToArray()),
            },
        };

    /// <summary>Wakes the dispatchers once the transaction commits.</summary>
    public NpgsqlBatchCommand WakeCommand() => new("SELECT pg_notify(@channel, '')") { Parameters = { new NpgsqlParameter<string>("channel", _channel) } };

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
