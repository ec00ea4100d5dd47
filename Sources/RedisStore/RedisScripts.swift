/// The Lua scripts of RedisStore. Redis runs a script atomically (no other command runs in
/// between, and its writes replicate as one unit), which is what makes a batch all or
/// nothing: every script *validates before it writes*, because Redis does not roll back
/// the writes a script made before an error.
///
/// Session index keys (`<prefix>seqs:<session>`) are derived inside the scripts rather
/// than passed in KEYS. That is fine on one Redis server (or a Cluster with the prefix's
/// {hash tag}, which puts every key of a store in one slot), and keeps argument lists short.
///
/// Lua 5.1 numbers are doubles: offsets, seqs and timestamps are exact up to 2^53, and are
/// formatted with %d (tostring would switch to exponent notation above 1e14).
enum RedisScripts {
    /// Shared prologue: the epoch guard and integer formatting.
    private static let prologue = """
        local function int(n) return string.format('%d', n) end
        local function checkEpoch(key, expected)
          if redis.call('GET', key) ~= expected then
            return redis.error_reply('EPOCH the Redis data of this store was lost (epoch changed); reopen the store')
          end
        end
        """

    /// Applies a list of writes atomically; the one writer of the log, snapshots, cursors
    /// and (inside transactions) dedupe keys.
    /// KEYS: epoch, offset counter, log stream, sessions hash, keys zset, cursors hash,
    /// owners hash, conversations hash.
    /// ARGV: index prefix, epoch, expected last offset ('' = don't check), key prefix, then ops:
    ///   A session seq ts kind payload | P id state | R id | C name offset | K key now expiresAt
    ///   | O session node (the node must own the session, or claims it if nobody does)
    ///   | V conversation session (routing for webhooks that land on another node)
    ///   | I commit-id (first op only: makes the call idempotent for 10 minutes)
    /// Returns {offset before the first append, then 1/0 per K op (recorded or duplicate)}.
    /// An O op naming a session another node owns fails the whole call with FENCED.
    static let apply = prologue + """

        local bad = checkEpoch(KEYS[1], ARGV[2]); if bad then return bad end
        local last = tonumber(redis.call('GET', KEYS[2]) or '0')
        if ARGV[3] ~= '' and tonumber(ARGV[3]) ~= last then
          return redis.error_reply('CONFLICT another writer appended to the log during this transaction')
        end
        local width = {A = 6, P = 3, R = 2, C = 3, K = 4, O = 3, V = 3, I = 2}
        local kp = ARGV[4]
        -- A commit sent again after an unknown outcome (a timeout) returns what it returned
        -- the first time instead of being applied twice: 'I <id>' comes first.
        if ARGV[5] == 'I' then
          local done = redis.call('GET', kp .. 'commit:' .. ARGV[6])
          if done then
            local again = {}
            for part in string.gmatch(done, '[^,]+') do again[#again + 1] = part end
            return again
          end
        end
        -- Pass 1: check ownership, and every append against the stored index and the batch itself.
        local seen = {}
        local i = 5
        while i <= #ARGV do
          local op = ARGV[i]
          if not width[op] then return redis.error_reply('ERR unknown store op ' .. op) end
          if op == 'O' then
            local owner = redis.call('HGET', KEYS[7], ARGV[i + 1])
            if owner and owner ~= ARGV[i + 2] then
              return redis.error_reply('FENCED ' .. ARGV[i + 1])
            end
          elseif op == 'A' then
            local sid, seq = ARGV[i + 1], ARGV[i + 2]
            local id = sid .. '\\0' .. seq
            if seen[id] or redis.call('ZCOUNT', ARGV[1] .. sid, seq, seq) > 0 then
              return redis.error_reply('DUPLICATE session ' .. sid .. ' already has seq ' .. seq)
            end
            seen[id] = true
          end
          i = i + width[op]
        end
        -- Pass 2: nothing can fail any more; write.
        local first = last
        local result = {int(first)}
        i = 5
        while i <= #ARGV do
          local op = ARGV[i]
          if op == 'A' then
            last = last + 1
            redis.call('XADD', KEYS[3], int(last) .. '-0',
              's', ARGV[i + 1], 'q', ARGV[i + 2], 't', ARGV[i + 3], 'k', ARGV[i + 4], 'p', ARGV[i + 5])
            redis.call('ZADD', ARGV[1] .. ARGV[i + 1], ARGV[i + 2], int(last))
          elseif op == 'P' then
            redis.call('HSET', KEYS[4], ARGV[i + 1], ARGV[i + 2])
          elseif op == 'R' then
            local sid = ARGV[i + 1]
            redis.call('HDEL', KEYS[4], sid)
            local owner = redis.call('HGET', KEYS[7], sid)
            if owner then
              redis.call('HDEL', KEYS[7], sid)
              redis.call('SREM', kp .. 'nodesessions:' .. owner, sid)
            end
            for _, cid in ipairs(redis.call('SMEMBERS', kp .. 'convsof:' .. sid)) do
              if redis.call('HGET', KEYS[8], cid) == sid then redis.call('HDEL', KEYS[8], cid) end
            end
            redis.call('DEL', kp .. 'convsof:' .. sid)
          elseif op == 'O' then
            if not redis.call('HGET', KEYS[7], ARGV[i + 1]) then
              redis.call('HSET', KEYS[7], ARGV[i + 1], ARGV[i + 2])
              redis.call('SADD', kp .. 'nodesessions:' .. ARGV[i + 2], ARGV[i + 1])
            end
          elseif op == 'V' then
            redis.call('HSET', KEYS[8], ARGV[i + 1], ARGV[i + 2])
            redis.call('SADD', kp .. 'convsof:' .. ARGV[i + 2], ARGV[i + 1])
          elseif op == 'C' then
            redis.call('HSET', KEYS[6], ARGV[i + 1], ARGV[i + 2])
          elseif op == 'K' then
            local expires = redis.call('ZSCORE', KEYS[5], ARGV[i + 1])
            if expires and tonumber(expires) > tonumber(ARGV[i + 2]) then
              result[#result + 1] = 0
            else
              redis.call('ZADD', KEYS[5], ARGV[i + 3], ARGV[i + 1])
              result[#result + 1] = 1
            end
          end
          i = i + width[op]
        end
        if last ~= first then redis.call('SET', KEYS[2], int(last)) end
        if ARGV[5] == 'I' then
          local parts = {}
          for n, v in ipairs(result) do parts[n] = tostring(v) end
          redis.call('SET', kp .. 'commit:' .. ARGV[6], table.concat(parts, ','), 'PX', 600000)
        end
        return result
        """

    /// Retention (see EventStore.prune): by age, then by count, sparing sessions with a snapshot.
    /// KEYS: epoch, log stream, sessions hash, prunedThrough. ARGV: index prefix, epoch,
    /// olderThan ('' = none), maxEvents ('' = none). Returns how many events were removed.
    /// Walks the stream in pages inside the script: it blocks Redis for the walk, like
    /// SQLite's DELETE holds the write lock; run it rarely (the relay does, on a timer).
    static let prune = prologue + """

        local bad = checkEpoch(KEYS[1], ARGV[2]); if bad then return bad end
        local removed, highest = 0, 0
        local function walk(visit)
          local start = '-'
          while true do
            local page = redis.call('XRANGE', KEYS[2], start, '+', 'COUNT', 500)
            if #page == 0 then return end
            for _, entry in ipairs(page) do
              if visit(entry) == false then return end
            end
            start = '(' .. page[#page][1]
          end
        end
        -- Fields are written in the order s q t k p: f[2] session, f[6] ts.
        local function live(f) return redis.call('HEXISTS', KEYS[3], f[2]) == 1 end
        local function drop(entry)
          local offset = string.match(entry[1], '^(%d+)')
          redis.call('XDEL', KEYS[2], entry[1])
          redis.call('ZREM', ARGV[1] .. entry[2][2], offset)
          removed = removed + 1
          highest = math.max(highest, tonumber(offset))
        end
        if ARGV[3] ~= '' then
          local cutoff = tonumber(ARGV[3])
          walk(function(entry)
            if tonumber(entry[2][6]) < cutoff and not live(entry[2]) then drop(entry) end
          end)
        end
        if ARGV[4] ~= '' then
          local excess = redis.call('XLEN', KEYS[2]) - math.max(0, tonumber(ARGV[4]))
          if excess > 0 then
            walk(function(entry)
              if excess <= 0 then return false end
              if not live(entry[2]) then drop(entry); excess = excess - 1 end
            end)
          end
        end
        if removed > 0 then
          local before = tonumber(redis.call('GET', KEYS[4]) or '0')
          redis.call('SET', KEYS[4], int(math.max(before, highest)))
        end
        return removed
        """

    /// One session's events after a seq, in seq order: the index, then each event.
    /// KEYS: log stream. ARGV: the session's index key, afterSeq, limit.
    /// Returns stream entries ({id, fields}) like XRANGE.
    static let sessionEvents = """
        local offsets = redis.call('ZRANGEBYSCORE', ARGV[1], '(' .. ARGV[2], '+inf', 'LIMIT', 0, ARGV[3])
        local out = {}
        for _, offset in ipairs(offsets) do
          local entry = redis.call('XRANGE', KEYS[1], offset .. '-0', offset .. '-0')
          if entry[1] then out[#out + 1] = entry[1] end
        end
        return out
        """

    /// The index of the first (session, seq) pair already stored, 0 if none (a read; used
    /// inside transactions to refuse a duplicate at the call, before the commit).
    /// ARGV: index prefix, then session seq pairs.
    static let firstStoredSeq = """
        for i = 2, #ARGV, 2 do
          if redis.call('ZCOUNT', ARGV[1] .. ARGV[i], ARGV[i + 1], ARGV[i + 1]) > 0 then return i / 2 end
        end
        return 0
        """
}
