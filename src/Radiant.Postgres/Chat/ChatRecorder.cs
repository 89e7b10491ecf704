using Npgsql;
using Radiant.Postgres.ModelSelection;
using Radiant.Postgres.Teams;
using Radiant.Postgres.Tenancy;
using Radiant.Teams;
using Radiant.Tenancy;

namespace Radiant.Postgres.Chat;

/// <summary>One finished provider call to record: whose, its record, and the team hold it settles or releases.</summary>
internal sealed record ChatRecording(RadiantCaller Caller, UsageRecord Record, TeamReservation? Hold);

/// <summary>
/// Writes each provider call's usage record, the user's recent models and the team settlement in one transaction, so
/// a message is charged exactly when it is recorded — and combines the calls of one tenant that finish while its
/// previous recording transaction is in flight (<see cref="TransactionCombiner{TKey, TOperation, TResult}"/>). Every
/// record of a tenant adds to the same rollup rows (migration 0011) and, on a team, to the same plan row, so one
/// transaction per call caps a busy tenant at one commit per message while those rows stay locked; combined, a batch
/// inserts its records in one statement (the rollups updated once per row), settles a team's holds in one call of
/// <c>meter_team</c>, and commits once.
/// </summary>
/// <remarks>
/// A record whose request and attempt were recorded before (or come earlier in the batch) is not added and its hold
/// is released, not settled: the first record was charged. A settlement the team refuses fails the batch, which the
/// combiner runs again one call at a time, so only the call at fault fails — as it would alone.
/// </remarks>
internal sealed class ChatRecorder
{
    private readonly RadiantDb _db;
    private readonly UsageRecords _usage;
    private readonly TeamMetering _metering;
    private readonly ModelSelectionStore _selection;
    private readonly TransactionCombiner<Guid, ChatRecording, bool> _combiner;

    public ChatRecorder(RadiantDb db, UsageRecords usage, TeamMetering metering, ModelSelectionStore selection)
    {
        _db = db;
        _usage = usage;
        _metering = metering;
        _selection = selection;
        _combiner = new(RecordAllAsync);
    }

    /// <summary>Records the call and settles or releases its hold; false when the record existed already (nothing charged).</summary>
    public Task<bool> RecordAsync(ChatRecording recording) => _combiner.RunAsync(recording.Caller.TenantId, recording, CancellationToken.None);

    /// <summary>Whether the call is charged to its team: a new record with a charge and tokens to settle.</summary>
    private static bool Settles(ChatRecording recording, bool added) =>
        added && recording.Record.Charge > 0 && recording.Record.InputTokens + (long)recording.Record.OutputTokens > 0;

    private Task<IReadOnlyList<bool>> RecordAllAsync(Guid tenantId, IReadOnlyList<ChatRecording> recordings) =>
        _db.InTenantAsync(tenantId, null, async (connection, transaction) =>
        {
            var ct = CancellationToken.None;
            var added = await _usage.TryAddAllAsync(connection, transaction, tenantId, recordings.Select(r => (r.Caller.UserId, r.Record)).ToList(), ct);
            await RecordRecentModelsAsync(connection, transaction, tenantId, recordings, added, ct);

            // Last, so the plan rows are locked only until the commit; teams in id order, as every batch locks them.
            var holds = Enumerable.Range(0, recordings.Count).Where(i => recordings[i].Hold is not null).GroupBy(i => recordings[i].Hold!.TeamId).OrderBy(g => g.Key);
            foreach (var team in holds)
            {
                var operations = team.Select(i =>
                {
                    var (caller, record, hold) = (recordings[i].Caller, recordings[i].Record, recordings[i].Hold!);
                    if (!Settles(recordings[i], added[i]))
                    {
                        return TeamMetering.Release(caller, hold.Id);
                    }

                    var usage = new TeamUsage(record.InputTokens + (long)record.OutputTokens, record.ModelId, "chat");
                    usage.Validate();
                    return TeamMetering.Settle(caller, hold.Id, usage);
                }).ToList();
                var rows = await _metering.MeterAllInTransactionAsync(connection, transaction, tenantId, team.Key, operations, ct);
                for (var j = 0; j < rows.Count; j++)
                {
                    TeamMetering.Check(rows[j], team.Key, operations[j]);
                }
            }

            return (IReadOnlyList<bool>)added;
        }, CancellationToken.None);

    /// <summary>
    /// Moves each completed call's model to the front of its user's recent models: one round trip, each user's
    /// statements under that user's own context (the preferences row is its owner's alone), users in id order.
    /// </summary>
    private async Task RecordRecentModelsAsync(
        NpgsqlConnection connection, NpgsqlTransaction transaction, Guid tenantId, IReadOnlyList<ChatRecording> recordings, bool[] added, CancellationToken ct)
    {
        var byUser = Enumerable.Range(0, recordings.Count)
            .Where(i => added[i] && recordings[i].Record.Outcome == UsageOutcome.Completed)
            .GroupBy(i => recordings[i].Caller.UserId)
            .OrderBy(g => g.Key)
            .ToList();
        if (byUser.Count == 0)
        {
            return;
        }

        await using var batch = new NpgsqlBatch(connection, transaction);
        foreach (var user in byUser)
        {
            batch.BatchCommands.Add(_db.TenantCommand(connection, tenantId, user.Key));
            foreach (var i in user)
            {
                var command = new NpgsqlBatchCommand(_selection.RecordRecentModel);
                command.Parameters.Add(new NpgsqlParameter<Guid>("TenantId", tenantId));
                command.Parameters.Add(new NpgsqlParameter<Guid>("UserId", user.Key));
                command.Parameters.Add(new NpgsqlParameter<string>("ModelId", recordings[i].Record.ModelId));
                batch.BatchCommands.Add(command);
            }
        }

        batch.BatchCommands.Add(_db.TenantCommand(connection, tenantId));
        await batch.ExecuteNonQueryAsync(ct);
    }
}
