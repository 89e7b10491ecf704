using System.Collections.Concurrent;

namespace Radiant.Postgres.Tenancy;

/// <summary>
/// Combines concurrent operations on the same hot rows into one transaction. Work that serializes on a row (a team's
/// plan row, a tenant's rollup rows) is capped at one round trip and one commit per operation when each has its own
/// transaction; here, while a key's transaction is in flight, the operations that arrive wait, and go together in the
/// next one (up to <see cref="MaxBatch"/>). The transaction <c>run</c> applies them in arrival order, each with its own
/// result or refusal, so combining changes how many transactions run, never what each operation does.
/// </summary>
/// <remarks>
/// A combined transaction that fails before its commit (one operation's value refused by the database, a deadlock
/// after the retries) is run again one operation at a time, so that only the operation at fault fails. One that may
/// have committed (the connection broke, the commit failed) is not run again: every operation of it gets the error.
/// An operation whose caller cancels while it waits is dropped; once sent, it runs to its end.
/// </remarks>
/// <typeparam name="TKey">What the operations contend on (a team, a tenant).</typeparam>
/// <typeparam name="TOperation">One operation.</typeparam>
/// <typeparam name="TResult">One operation's result; <c>run</c> returns one per operation, in order.</typeparam>
internal sealed class TransactionCombiner<TKey, TOperation, TResult>(Func<TKey, IReadOnlyList<TOperation>, Task<IReadOnlyList<TResult>>> run)
    where TKey : notnull
{
    /// <summary>The most operations one transaction carries.</summary>
    public const int MaxBatch = 128;

    private readonly ConcurrentDictionary<TKey, Lane> _lanes = new();

    public Task<TResult> RunAsync(TKey key, TOperation operation, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var waiter = new Waiter(operation);
        Lane lane;
        bool lead;
        while (true)
        {
            lane = _lanes.GetOrAdd(key, static _ => new Lane());
            lock (lane)
            {
                if (lane.Retired)
                {
                    // Emptied and removed a moment ago: take the one that replaces it.
                    continue;
                }

                lane.Queue.Enqueue(waiter);
                lead = !lane.Draining;
                lane.Draining = true;
            }

            break;
        }

        if (cancellationToken.CanBeCanceled)
        {
            waiter.CancelWith(cancellationToken);
        }

        if (lead)
        {
            _ = Task.Run(() => DrainAsync(key, lane), CancellationToken.None);
        }

        return waiter.Task;
    }

    private async Task DrainAsync(TKey key, Lane lane)
    {
        while (true)
        {
            var batch = new List<Waiter>();
            lock (lane)
            {
                while (batch.Count < MaxBatch && lane.Queue.TryDequeue(out var next))
                {
                    if (next.TryClaim())
                    {
                        batch.Add(next);
                    }
                }

                if (batch.Count == 0)
                {
                    lane.Draining = false;
                    lane.Retired = true;
                    _lanes.TryRemove(new KeyValuePair<TKey, Lane>(key, lane));
                    return;
                }
            }

            await RunBatchAsync(key, batch);
        }
    }

    private async Task RunBatchAsync(TKey key, List<Waiter> batch)
    {
        try
        {
            var results = await run(key, batch.ConvertAll(w => w.Operation));
            for (var i = 0; i < batch.Count; i++)
            {
                batch[i].Complete(results[i]);
            }
        }
        catch (Exception e) when (batch.Count > 1 && !RadiantDb.CommitMayHaveHappened(e))
        {
            foreach (var waiter in batch)
            {
                try
                {
                    waiter.Complete((await run(key, [waiter.Operation]))[0]);
                }
                catch (Exception alone)
                {
                    waiter.Fail(alone);
                }
            }
        }
        catch (Exception e)
        {
            foreach (var waiter in batch)
            {
                waiter.Fail(e);
            }
        }
    }

    private sealed class Lane
    {
        public Queue<Waiter> Queue { get; } = new();

        public bool Draining { get; set; }

        public bool Retired { get; set; }
    }

    private sealed class Waiter(TOperation operation)
    {
        private const int Waiting = 0;
        private const int Claimed = 1;
        private const int Cancelled = 2;
        private readonly TaskCompletionSource<TResult> _result = new(TaskCreationOptions.RunContinuationsAsynchronously);
        private int _state;
        private CancellationTokenRegistration _registration;

        public TOperation Operation { get; } = operation;

        public Task<TResult> Task => _result.Task;

        public void CancelWith(CancellationToken cancellationToken) =>
            _registration = cancellationToken.Register(
                static state =>
                {
                    var (waiter, token) = ((Waiter, CancellationToken))state!;
                    if (Interlocked.CompareExchange(ref waiter._state, Cancelled, Waiting) == Waiting)
                    {
                        waiter._result.TrySetCanceled(token);
                    }
                },
                (this, cancellationToken));

        public bool TryClaim() => Interlocked.CompareExchange(ref _state, Claimed, Waiting) == Waiting;

        public void Complete(TResult result)
        {
            _registration.Dispose();
            _result.TrySetResult(result);
        }

        public void Fail(Exception exception)
        {
            _registration.Dispose();
            _result.TrySetException(exception);
        }
    }
}
