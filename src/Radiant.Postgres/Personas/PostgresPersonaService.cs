using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Common;
using Radiant.Errors;
using Radiant.FocusModes;
using Radiant.Personas;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Radiant.Postgres.Personas;

internal sealed partial class PostgresPersonaService : IPersonaService
{
    private const string Columns =
        "tenant_id AS TenantId, id AS Id, user_id AS OwnerId, persona_name AS Name, display_name AS DisplayName, " +
        "avatar_url AS AvatarUrl, system_prompt AS SystemPrompt, voice_id AS VoiceId, personality_traits AS Traits, " +
        "knowledge_domains AS Domains, conversation_style::text AS Style, is_public AS IsPublic, usage_count AS UsageCount, " +
        "created_at AS CreatedAt, updated_at AS UpdatedAt";

    // Service-level filter mirroring the RLS read policy: the caller's own personas and the tenant's public ones.
    private const string Visible = "tenant_id = @TenantId AND (user_id = @UserId OR is_public)";

    private readonly RadiantDb _db;
    private readonly IFocusModeService _focusModes;
    private readonly ILogger<PostgresPersonaService> _logger;
    private readonly string _insertSql;
    private readonly string _getSql;
    private readonly string _listSql;
    private readonly string _ownerSql;
    private readonly string _updateSql;
    private readonly string _deleteSql;
    private readonly string _logUsageSql;

    public PostgresPersonaService(RadiantDb db, IFocusModeService focusModes, ILogger<PostgresPersonaService> logger)
    {
        _db = db;
        _focusModes = focusModes;
        _logger = logger;
        _insertSql = db.Sql(
            $$"""
            INSERT INTO {schema}.user_personas (tenant_id, id, user_id, persona_name, display_name, avatar_url, system_prompt,
                voice_id, personality_traits, knowledge_domains, conversation_style, is_public)
            VALUES (@TenantId, @Id, @UserId, @Name, @DisplayName, @AvatarUrl, @SystemPrompt,
                @VoiceId, @Traits, @Domains, @Style::jsonb, @IsPublic)
            RETURNING {{Columns}}
            """);
        _getSql = db.Sql($"SELECT {Columns} FROM {{schema}}.user_personas WHERE {Visible} AND id = @Id");
        _listSql = db.Sql(
            $$"""
            SELECT {{Columns}} FROM {schema}.user_personas WHERE {{Visible}}
              AND (@AfterCount::bigint IS NULL OR usage_count < @AfterCount
                   OR (usage_count = @AfterCount AND (persona_name, id) > (@AfterName::varchar, @AfterId::uuid)))
            ORDER BY usage_count DESC, persona_name, id
            LIMIT @Take
            """);
        _ownerSql = db.Sql($"SELECT {Columns} FROM {{schema}}.user_personas WHERE {Visible} AND id = @Id FOR UPDATE");
        // A partial update is applied in C# to the locked row (PersonaUpdate.ApplyTo); the statement writes whole values.
        _updateSql = db.Sql(
            $$"""
            UPDATE {schema}.user_personas SET
                persona_name = @Name, display_name = @DisplayName, avatar_url = @AvatarUrl, system_prompt = @SystemPrompt,
                voice_id = @VoiceId, personality_traits = @Traits, knowledge_domains = @Domains, conversation_style = @Style::jsonb,
                is_public = @IsPublic, updated_at = now()
            WHERE tenant_id = @TenantId AND user_id = @UserId AND id = @Id
            RETURNING {{Columns}}
            """);
        _deleteSql = db.Sql("DELETE FROM {schema}.user_personas WHERE tenant_id = @TenantId AND user_id = @UserId AND id = @Id");
        // One statement: the increment and the log row commit together or not at all, and the row lock taken by
        // the UPDATE serializes concurrent uses so no increment is lost.
        _logUsageSql = db.Sql(
            $$"""
            WITH used AS (
                UPDATE {schema}.user_personas SET usage_count = usage_count + 1
                WHERE {{Visible}} AND id = @Id
                RETURNING tenant_id, id, usage_count
            ), logged AS (
                INSERT INTO {schema}.persona_usage_log (tenant_id, id, persona_id, user_id, chat_id, tokens_used)
                SELECT tenant_id, @LogId, id, @UserId, @ChatId, @TokensUsed FROM used
            )
            SELECT usage_count FROM used
            """);
    }

    public async Task<Persona> CreateAsync(RadiantCaller caller, PersonaCreate input, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(input);
        input.Validate();
        try
        {
            var persona = await _db.InTenantAsync(
                caller,
                async (connection, transaction) =>
                {
                    var row = await connection.QuerySingleAsync<PersonaRow>(new CommandDefinition(
                        _insertSql,
                        new
                        {
                            caller.TenantId,
                            caller.UserId,
                            Id = Guid.CreateVersion7(),
                            input.Name,
                            input.DisplayName,
                            input.AvatarUrl,
                            input.SystemPrompt,
                            input.VoiceId,
                            Traits = ToArray(input.Traits),
                            Domains = ToArray(input.Domains),
                            Style = JsonColumns.ToJson(input.Style),
                            input.IsPublic,
                        },
                        transaction,
                        cancellationToken: cancellationToken));
                    return row.ToPersona();
                },
                cancellationToken);
            LogCreated(caller.TenantId, caller.UserId, persona.Id);
            return persona;
        }
        catch (PostgresException e) when (e.IsForeignKeyViolation())
        {
            throw new RadiantNotFoundException("user", caller);
        }
    }

    public Task<Persona> GetAsync(RadiantCaller caller, Guid personaId, CancellationToken cancellationToken = default) =>
        _db.InTenantAsync(
            caller,
            (connection, transaction) => GetVisibleAsync(connection, transaction, caller, personaId, cancellationToken),
            cancellationToken);

    public Task<Page<Persona>> ListAsync(RadiantCaller caller, PageRequest? page = null, CancellationToken cancellationToken = default)
    {
        var slice = page ?? PageRequest.First;
        var after = PageCursor.Decode("personas", slice, 3);
        return _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                var rows = (await connection.QueryAsync<PersonaRow>(new CommandDefinition(
                    _listSql,
                    new
                    {
                        caller.TenantId,
                        caller.UserId,
                        Take = slice.Limit + 1,
                        AfterCount = after?[0].GetInt64(),
                        AfterName = after?[1].GetString(),
                        AfterId = after?[2].GetGuid(),
                    },
                    transaction,
                    cancellationToken: cancellationToken))).ToList();
                return PageCursor.ToPage("personas", rows, slice, r => r.ToPersona(), r => [r.UsageCount, r.Name, r.Id]);
            },
            cancellationToken);
    }

    public Task<Persona> UpdateAsync(RadiantCaller caller, Guid personaId, PersonaUpdate update, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(update);
        update.Validate();
        return _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                var persona = update.ApplyTo(await LockOwnedAsync(connection, transaction, caller, personaId, "change", cancellationToken));
                var row = await connection.QuerySingleAsync<PersonaRow>(new CommandDefinition(
                    _updateSql,
                    new
                    {
                        caller.TenantId,
                        caller.UserId,
                        persona.Id,
                        persona.Name,
                        persona.DisplayName,
                        persona.AvatarUrl,
                        persona.SystemPrompt,
                        persona.VoiceId,
                        Traits = ToArray(persona.Traits),
                        Domains = ToArray(persona.Domains),
                        Style = JsonColumns.ToJson(persona.Style),
                        persona.IsPublic,
                    },
                    transaction,
                    cancellationToken: cancellationToken));
                return row.ToPersona();
            },
            cancellationToken);
    }

    public async Task DeleteAsync(RadiantCaller caller, Guid personaId, CancellationToken cancellationToken = default)
    {
        await _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                await LockOwnedAsync(connection, transaction, caller, personaId, "delete", cancellationToken);
                return await connection.ExecuteAsync(new CommandDefinition(
                    _deleteSql, new { caller.TenantId, caller.UserId, Id = personaId }, transaction, cancellationToken: cancellationToken));
            },
            cancellationToken);
        LogDeleted(caller.TenantId, caller.UserId, personaId);
    }

    public Task<PersonaUsageLogged> LogUsageAsync(RadiantCaller caller, Guid personaId, PersonaUsage usage, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(usage);
        usage.Validate();
        return _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                var count = await connection.QuerySingleOrDefaultAsync<long?>(new CommandDefinition(
                    _logUsageSql,
                    new { caller.TenantId, caller.UserId, Id = personaId, LogId = Guid.CreateVersion7(), usage.ChatId, usage.TokensUsed },
                    transaction,
                    cancellationToken: cancellationToken));
                return count is { } c ? new PersonaUsageLogged(personaId, c) : throw new RadiantNotFoundException("persona", personaId);
            },
            cancellationToken);
    }

    public async Task<string> BuildPromptAsync(RadiantCaller caller, Guid personaId, string? focusMode = null, CancellationToken cancellationToken = default)
    {
        var persona = await GetAsync(caller, personaId, cancellationToken);
        FocusMode? mode = null;
        if (!string.IsNullOrWhiteSpace(focusMode))
        {
            mode = await _focusModes.FindByNameAsync(caller, focusMode, cancellationToken)
                ?? throw new RadiantValidationException("focusMode", $"No active focus mode named '{focusMode}'.");
        }

        return PersonaPromptBuilder.Build(persona, mode);
    }

    private async Task<Persona> GetVisibleAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid personaId, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<PersonaRow>(new CommandDefinition(
            _getSql, new { caller.TenantId, caller.UserId, Id = personaId }, transaction, cancellationToken: cancellationToken));
        return row?.ToPersona() ?? throw new RadiantNotFoundException("persona", personaId);
    }

    /// <summary>Locks the persona for the rest of the transaction after checking the caller owns it.</summary>
    private async Task<Persona> LockOwnedAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, RadiantCaller caller, Guid personaId, string verb, CancellationToken cancellationToken)
    {
        var row = await connection.QuerySingleOrDefaultAsync<PersonaRow>(new CommandDefinition(
            _ownerSql, new { caller.TenantId, caller.UserId, Id = personaId }, transaction, cancellationToken: cancellationToken));
        if (row is null)
        {
            throw new RadiantNotFoundException("persona", personaId);
        }

        // Visible (public) but not theirs: the one case where "forbidden" tells the caller nothing they could not see.
        if (row.OwnerId != caller.UserId)
        {
            throw new RadiantForbiddenException($"Only the owner may {verb} persona '{personaId}'.");
        }

        return row.ToPersona();
    }

    private static string[] ToArray(IReadOnlyList<string>? values) => values is null ? [] : [.. values.Select(v => v.Trim())];

    [LoggerMessage(Level = LogLevel.Debug, Message = "User {TenantId}/{UserId} created persona {PersonaId}")]
    private partial void LogCreated(Guid tenantId, Guid userId, Guid personaId);

    [LoggerMessage(Level = LogLevel.Debug, Message = "User {TenantId}/{UserId} deleted persona {PersonaId}")]
    private partial void LogDeleted(Guid tenantId, Guid userId, Guid personaId);

    private sealed class PersonaRow
    {
        public Guid TenantId { get; init; }
        public Guid Id { get; init; }
        public Guid OwnerId { get; init; }
        public string Name { get; init; } = "";
        public string? DisplayName { get; init; }
        public string? AvatarUrl { get; init; }
        public string SystemPrompt { get; init; } = "";
        public string? VoiceId { get; init; }
        public string[] Traits { get; init; } = [];
        public string[] Domains { get; init; } = [];
        public string? Style { get; init; }
        public bool IsPublic { get; init; }
        public long UsageCount { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }

        public Persona ToPersona() => new(
            Id, TenantId, OwnerId, Name, DisplayName, AvatarUrl, SystemPrompt, VoiceId, Traits, Domains,
            JsonColumns.Parse(Style), IsPublic, UsageCount, JsonColumns.Utc(CreatedAt), JsonColumns.Utc(UpdatedAt));
    }
}
