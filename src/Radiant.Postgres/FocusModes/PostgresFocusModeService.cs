using Dapper;
using Microsoft.Extensions.Logging;
using Npgsql;
using Radiant.Errors;
using Radiant.FocusModes;
using Radiant.Postgres.Tenancy;
using Radiant.Tenancy;

namespace Radiant.Postgres.FocusModes;

internal sealed partial class PostgresFocusModeService : IFocusModeService
{
    private const string Columns =
        "id AS Id, mode_name AS Name, display_name AS DisplayName, description AS Description, icon AS Icon, " +
        "system_prompt AS SystemPrompt, default_model AS DefaultModel, settings::text AS Settings, is_active AS IsActive, " +
        "created_at AS CreatedAt, updated_at AS UpdatedAt";

    private readonly RadiantDb _db;
    private readonly ILogger<PostgresFocusModeService> _logger;
    private readonly string _listSql;
    private readonly string _getSql;
    private readonly string _findByNameSql;
    private readonly string _systemNameExistsSql;
    private readonly string _insertSql;
    private readonly string _lockSql;
    private readonly string _updateSql;

    public PostgresFocusModeService(RadiantDb db, ILogger<PostgresFocusModeService> logger)
    {
        _db = db;
        _logger = logger;
        var visible =
            $$"""
            SELECT {{Columns}}, NULL::uuid AS TenantId, true AS IsSystem FROM {schema}.system_focus_modes
            UNION ALL
            SELECT {{Columns}}, tenant_id AS TenantId, false AS IsSystem FROM {schema}.focus_modes WHERE tenant_id = @tenantId
            """;
        _listSql = db.Sql($"SELECT * FROM ({visible}) m WHERE (@includeInactive OR m.IsActive) ORDER BY m.IsSystem DESC, m.Name");
        _getSql = db.Sql($"SELECT * FROM ({visible}) m WHERE m.Id = @id");
        _findByNameSql = db.Sql($"SELECT * FROM ({visible}) m WHERE m.Name = @name AND m.IsActive");
        _systemNameExistsSql = db.Sql("SELECT EXISTS (SELECT FROM {schema}.system_focus_modes WHERE mode_name = @name)");
        _insertSql = db.Sql(
            $$"""
            INSERT INTO {schema}.focus_modes (tenant_id, id, mode_name, display_name, description, icon, system_prompt, default_model, settings)
            VALUES (@tenantId, @id, @Name, @DisplayName, @Description, @Icon, @SystemPrompt, @DefaultModel, @settings::jsonb)
            RETURNING {{Columns}}, tenant_id AS TenantId, false AS IsSystem
            """);
        _lockSql = db.Sql($"SELECT {Columns}, tenant_id AS TenantId, false AS IsSystem FROM {{schema}}.focus_modes WHERE tenant_id = @tenantId AND id = @id FOR UPDATE");
        // A partial update is applied in C# to the locked row (FocusModeUpdate.ApplyTo); the statement writes whole values.
        _updateSql = db.Sql(
            $$"""
            UPDATE {schema}.focus_modes SET
                mode_name = @Name, display_name = @DisplayName, system_prompt = @SystemPrompt, description = @Description,
                icon = @Icon, default_model = @DefaultModel, settings = @Settings::jsonb, is_active = @IsActive, updated_at = now()
            WHERE tenant_id = @TenantId AND id = @Id
            RETURNING {{Columns}}, tenant_id AS TenantId, false AS IsSystem
            """);
    }

    public Task<IReadOnlyList<FocusMode>> ListAsync(RadiantCaller caller, bool includeInactive = false, CancellationToken cancellationToken = default)
    {
        if (includeInactive)
        {
            caller.RequireTenantAdmin("list inactive focus modes");
        }

        return _db.InTenantAsync<IReadOnlyList<FocusMode>>(
            caller,
            async (connection, transaction) =>
            {
                var rows = await connection.QueryAsync<FocusModeRow>(new CommandDefinition(
                    _listSql, new { tenantId = caller.TenantId, includeInactive }, transaction, cancellationToken: cancellationToken));
                return rows.Select(r => r.ToFocusMode()).ToList();
            },
            cancellationToken);
    }

    public Task<FocusMode> GetAsync(RadiantCaller caller, Guid id, CancellationToken cancellationToken = default) =>
        _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                var row = await connection.QuerySingleOrDefaultAsync<FocusModeRow>(new CommandDefinition(
                    _getSql, new { tenantId = caller.TenantId, id }, transaction, cancellationToken: cancellationToken));
                // Inactive modes are hidden from users: to them they do not exist.
                return row is not null && (row.IsActive || caller.IsTenantAdmin)
                    ? row.ToFocusMode()
                    : throw new RadiantNotFoundException("focus mode", id);
            },
            cancellationToken);

    public Task<FocusMode?> FindByNameAsync(RadiantCaller caller, string name, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(name);
        return _db.InTenantAsync(
            caller,
            async (connection, transaction) =>
            {
                var row = await connection.QuerySingleOrDefaultAsync<FocusModeRow>(new CommandDefinition(
                    _findByNameSql, new { tenantId = caller.TenantId, name }, transaction, cancellationToken: cancellationToken));
                return row?.ToFocusMode();
            },
            cancellationToken);
    }

    public async Task<FocusMode> CreateAsync(RadiantCaller caller, FocusModeCreate input, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin("create focus modes");
        ArgumentNullException.ThrowIfNull(input);
        input.Validate();
        var tenantId = caller.TenantId;
        try
        {
            var created = await _db.InTenantAsync(
                caller,
                async (connection, transaction) =>
                {
                    await EnsureNotSystemNameAsync(connection, transaction, input.Name, cancellationToken);
                    var row = await connection.QuerySingleAsync<FocusModeRow>(new CommandDefinition(
                        _insertSql,
                        new
                        {
                            tenantId,
                            id = Guid.CreateVersion7(),
                            input.Name,
                            input.DisplayName,
                            input.Description,
                            input.Icon,
                            input.SystemPrompt,
                            input.DefaultModel,
                            settings = JsonColumns.ToJson(input.Settings),
                        },
                        transaction,
                        cancellationToken: cancellationToken));
                    return row.ToFocusMode();
                },
                cancellationToken);
            LogCreated(tenantId, created.Id, created.Name);
            return created;
        }
        catch (PostgresException e) when (e.IsUniqueViolation())
        {
            throw new RadiantConflictException($"A focus mode named '{input.Name}' already exists in this tenant.", e);
        }
        catch (PostgresException e) when (e.IsForeignKeyViolation())
        {
            throw new RadiantNotFoundException("tenant", tenantId);
        }
    }

    public async Task<FocusMode> UpdateAsync(RadiantCaller caller, Guid id, FocusModeUpdate update, CancellationToken cancellationToken = default)
    {
        caller.RequireTenantAdmin("change focus modes");
        ArgumentNullException.ThrowIfNull(update);
        update.Validate();
        var tenantId = caller.TenantId;
        try
        {
            return await _db.InTenantAsync(
                caller,
                async (connection, transaction) =>
                {
                    var current = await LockTenantModeAsync(connection, transaction, tenantId, id, cancellationToken);
                    if (update.Name.HasValue)
                    {
                        await EnsureNotSystemNameAsync(connection, transaction, update.Name.Value!, cancellationToken);
                    }

                    var mode = update.ApplyTo(current);
                    var row = await connection.QuerySingleAsync<FocusModeRow>(new CommandDefinition(
                        _updateSql,
                        new
                        {
                            TenantId = tenantId,
                            mode.Id,
                            mode.Name,
                            mode.DisplayName,
                            mode.SystemPrompt,
                            mode.Description,
                            mode.Icon,
                            mode.DefaultModel,
                            Settings = JsonColumns.ToJson(mode.Settings),
                            mode.IsActive,
                        },
                        transaction,
                        cancellationToken: cancellationToken));
                    return row.ToFocusMode();
                },
                cancellationToken);
        }
        catch (PostgresException e) when (e.IsUniqueViolation())
        {
            throw new RadiantConflictException($"A focus mode named '{update.Name.GetValueOrDefault(null)}' already exists in this tenant.", e);
        }
    }

    public Task<FocusMode> DeactivateAsync(RadiantCaller caller, Guid id, CancellationToken cancellationToken = default) =>
        UpdateAsync(caller, id, new FocusModeUpdate { IsActive = false }, cancellationToken);

    private async Task<FocusMode> LockTenantModeAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, Guid id, CancellationToken cancellationToken)
    {
        var locked = await connection.QuerySingleOrDefaultAsync<FocusModeRow>(new CommandDefinition(
            _lockSql, new { tenantId, id }, transaction, cancellationToken: cancellationToken));
        if (locked is not null)
        {
            return locked.ToFocusMode();
        }

        var visible = await connection.QuerySingleOrDefaultAsync<FocusModeRow>(new CommandDefinition(
            _getSql, new { tenantId, id }, transaction, cancellationToken: cancellationToken));
        throw visible is { IsSystem: true }
            ? new RadiantForbiddenException($"Focus mode '{visible.Name}' is a system mode and cannot be changed; create a tenant mode instead.")
            : new RadiantNotFoundException("focus mode", id);
    }

    private async Task EnsureNotSystemNameAsync(NpgsqlConnection connection, NpgsqlTransaction transaction, string name, CancellationToken cancellationToken)
    {
        if (await connection.ExecuteScalarAsync<bool>(new CommandDefinition(_systemNameExistsSql, new { name }, transaction, cancellationToken: cancellationToken)))
        {
            throw new RadiantConflictException($"'{name}' is the name of a system focus mode; choose another name.");
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Tenant {TenantId} created focus mode {FocusModeId} ({Name})")]
    private partial void LogCreated(Guid tenantId, Guid focusModeId, string name);

    private sealed class FocusModeRow
    {
        public Guid Id { get; init; }
        public Guid? TenantId { get; init; }
        public string Name { get; init; } = "";
        public string DisplayName { get; init; } = "";
        public string? Description { get; init; }
        public string? Icon { get; init; }
        public string SystemPrompt { get; init; } = "";
        public string? DefaultModel { get; init; }
        public string? Settings { get; init; }
        public bool IsSystem { get; init; }
        public bool IsActive { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime UpdatedAt { get; init; }

        public FocusMode ToFocusMode() => new(
            Id, TenantId, Name, DisplayName, Description, Icon, SystemPrompt, DefaultModel, JsonColumns.Parse(Settings),
            IsSystem, IsActive, JsonColumns.Utc(CreatedAt), JsonColumns.Utc(UpdatedAt));
    }
}
