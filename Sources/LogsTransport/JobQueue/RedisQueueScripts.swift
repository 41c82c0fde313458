/// The Lua scripts of `RedisJobQueue`. Redis runs each script atomically, so a job is in exactly
/// one list or set before and after every step, even when several processes race.
enum RedisQueueScripts {
    /// Moves up to ARGV[1] of the oldest jobs into the in-progress list KEYS[1], trying the
    /// queues KEYS[2...] in order. Returns `{queue index, job, queue index, job, ...}`, empty when
    /// every queue is empty.
    static let fetch = RedisScript(
        name: "fetch",
        source: """
            local limit = tonumber(ARGV[1])
            local taken = {}
            for i = 2, #KEYS do
              while #taken < 2 * limit do
                local job = redis.call('RPOPLPUSH', KEYS[i], KEYS[1])
                if not job then break end
                taken[#taken + 1] = i - 1
                taken[#taken + 1] = job
              end
              if #taken >= 2 * limit then break end
            end
            return taken
            """)

    /// Claims the unique key KEYS[1] for ARGV[3] milliseconds and, only if it was free, pushes
    /// ARGV[2] onto queue KEYS[3] named ARGV[1], adding the name to the set KEYS[2].
    static let pushUnique = RedisScript(
        name: "push_unique",
        source: """
            if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[3]) then return 0 end
            redis.call('SADD', KEYS[2], ARGV[1])
            redis.call('LPUSH', KEYS[3], ARGV[2])
            return 1
            """)

    /// Claims the unique key KEYS[1] for ARGV[3] milliseconds and, only if it was free, adds
    /// ARGV[2] to the sorted set KEYS[2] with score ARGV[1].
    static let scheduleUnique = RedisScript(
        name: "schedule_unique",
        source: """
            if not redis.call('SET', KEYS[1], '1', 'NX', 'PX', ARGV[3]) then return 0 end
            redis.call('ZADD', KEYS[2], ARGV[1], ARGV[2])
            return 1
            """)

    /// Removes ARGV[1] from the in-progress list KEYS[1] and, only if it was there, puts it back
    /// at the front of queue KEYS[3] named ARGV[2]. With KEYS[4], also claims that unique key for
    /// ARGV[3] milliseconds. Returns 0 when another process had already recovered the job.
    static let requeue = RedisScript(
        name: "requeue",
        source: """
            if redis.call('LREM', KEYS[1], -1, ARGV[1]) == 0 then return 0 end
            redis.call('SADD', KEYS[2], ARGV[2])
            redis.call('RPUSH', KEYS[3], ARGV[1])
            if KEYS[4] then redis.call('SET', KEYS[4], '1', 'PX', ARGV[3]) end
            return 1
            """)

    /// Pushes entries of the in-progress list KEYS[1] that no holder accounts for back to the
    /// front of their queues. ARGV[1] is the key prefix, ARGV[2] the current time as a score and
    /// ARGV[3] a unique claim's expiry in milliseconds. Then come quadruples of (job, queue name,
    /// unique key or empty, dead-set entry or empty). Each job is moved only if one `LREM` of
    /// count 1 removed it, so another copy of the same payload stays. The queue name is added to
    /// the set KEYS[2], and a unique key is claimed again, as `requeue` does. An empty queue name
    /// sends the dead-set entry to the dead set KEYS[3] instead. Returns how many jobs were moved.
    static let pushBackOrphans = RedisScript(
        name: "push_back_orphans",
        source: """
            local moved = 0
            for i = 4, #ARGV, 4 do
              if redis.call('LREM', KEYS[1], 1, ARGV[i]) == 1 then
                local queue = ARGV[i + 1]
                if queue == '' then
                  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[i + 3])
                else
                  redis.call('SADD', KEYS[2], queue)
                  redis.call('RPUSH', ARGV[1] .. 'queue:' .. queue, ARGV[i])
                  if ARGV[i + 2] ~= '' then redis.call('SET', ARGV[i + 2], '1', 'PX', ARGV[3]) end
                end
                moved = moved + 1
              end
            end
            return moved
            """)

    /// Removes ARGV[1] from the in-progress list KEYS[1] and, only if it was there, adds ARGV[3]
    /// to the sorted set KEYS[2] with score ARGV[2]. With ARGV[4] and ARGV[5], then drops members
    /// scored at or below ARGV[4] and keeps at most ARGV[5] members, as Sidekiq trims `dead`.
    static let moveToSortedSet = RedisScript(
        name: "move_to_sorted_set",
        source: """
            if redis.call('LREM', KEYS[1], -1, ARGV[1]) == 0 then return 0 end
            redis.call('ZADD', KEYS[2], ARGV[2], ARGV[3])
            if ARGV[4] then
              redis.call('ZREMRANGEBYSCORE', KEYS[2], '-inf', ARGV[4])
              redis.call('ZREMRANGEBYRANK', KEYS[2], 0, -(tonumber(ARGV[5]) + 1))
            end
            return 1
            """)

    /// Moves due jobs from the sorted set KEYS[1] to their queues. ARGV[1] is the key prefix,
    /// ARGV[2] the current time as a score, then triples of (member, job to push, queue name).
    /// A member is moved only if this call removed it, so racing pollers, Ruby Sidekiq's
    /// included, never push a job twice. An empty queue name sends the second element of the
    /// triple, a dead-set entry, to the dead set KEYS[3]. Returns how many members were moved.
    static let promote = RedisScript(
        name: "promote",
        source: """
            local moved = 0
            for i = 3, #ARGV, 3 do
              if redis.call('ZREM', KEYS[1], ARGV[i]) == 1 then
                local queue = ARGV[i + 2]
                if queue == '' then
                  redis.call('ZADD', KEYS[3], ARGV[2], ARGV[i + 1])
                else
                  redis.call('SADD', KEYS[2], queue)
                  redis.call('LPUSH', ARGV[1] .. 'queue:' .. queue, ARGV[i + 1])
                end
                moved = moved + 1
              end
            end
            return moved
            """)

    /// Pushes every job of the in-progress list KEYS[3] back to the front of its queue, and
    /// removes identity ARGV[2] from the process set KEYS[1]. Unless ARGV[4] is `force`, does
    /// nothing while the heartbeat key KEYS[2] exists. A job without a readable `queue` goes to
    /// the dead set KEYS[5] with score ARGV[3], in the entry that `Job.deadEntry` makes: its text
    /// is the only argument, and its `jid` is the start of the text's SHA-1, so that the script
    /// stays deterministic. KEYS[4] is the set of queue names and ARGV[1] the key prefix. Returns
    /// how many jobs moved, or -1 when the process is alive.
    static let recover = RedisScript(
        name: "recover",
        source: """
            if ARGV[4] ~= 'force' and redis.call('EXISTS', KEYS[2]) == 1 then return -1 end
            local count = 0
            while true do
              local job = redis.call('LPOP', KEYS[3])
              if not job then break end
              local ok, decoded = pcall(cjson.decode, job)
              local queue = ok and type(decoded) == 'table' and decoded['queue']
              if type(queue) == 'string' and queue ~= '' then
                redis.call('SADD', KEYS[4], queue)
                redis.call('RPUSH', ARGV[1] .. 'queue:' .. queue, job)
              else
                local entry = cjson.encode({
                  class = 'TravisLogs::UnreadableJob', args = {job}, jid = string.sub(redis.sha1hex(job), 1, 24),
                  error_class = 'LogsError.invalid_job', error_message = 'queued job has no valid "queue" field',
                  failed_at = tonumber(ARGV[3]), retry_count = 0
                })
                redis.call('ZADD', KEYS[5], ARGV[3], entry)
              end
              count = count + 1
            end
            redis.call('SREM', KEYS[1], ARGV[2])
            return count
            """)
}
