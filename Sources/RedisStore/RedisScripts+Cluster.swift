/// The scripts of the multi-node keys (RedisStore+Cluster.swift). Same rules as the
/// others: atomic, validate before writing.
extension RedisScripts {
    /// KEYS: node:<me>, nodes. ARGV: me, ttl ms.
    static let heartbeat = """
        redis.call('SET', KEYS[1], '1', 'PX', ARGV[2])
        redis.call('SADD', KEYS[2], ARGV[1])
        return 1
        """

    /// Claims a live session for this node unless a live node owns it.
    /// KEYS: sessions hash, owners hash. ARGV: session, me, key prefix.
    /// Returns {'owned'} | {'taken'} | {'other', node} | {'unknown'}.
    static let claim = """
        local sid, me, kp = ARGV[1], ARGV[2], ARGV[3]
        if redis.call('HEXISTS', KEYS[1], sid) == 0 then return {'unknown'} end
        local owner = redis.call('HGET', KEYS[2], sid)
        if owner == me then return {'owned'} end
        if owner and redis.call('EXISTS', kp .. 'node:' .. owner) == 1 then return {'other', owner} end
        if owner then redis.call('SREM', kp .. 'nodesessions:' .. owner, sid) end
        redis.call('HSET', KEYS[2], sid, me)
        redis.call('SADD', kp .. 'nodesessions:' .. me, sid)
        return {'taken'}
        """

    /// Moves up to `limit` sessions of dead nodes to this node. A dead node with nothing
    /// left is unregistered and its inbox deleted.
    /// KEYS: nodes set, owners hash. ARGV: me, key prefix, limit.
    static let takeOver = """
        local me, kp, limit = ARGV[1], ARGV[2], tonumber(ARGV[3])
        local taken = {}
        for _, node in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          if #taken >= limit then break end
          if node ~= me and redis.call('EXISTS', kp .. 'node:' .. node) == 0 then
            local set = kp .. 'nodesessions:' .. node
            local sids = redis.call('SPOP', set, limit - #taken)
            for _, sid in ipairs(sids) do
              if redis.call('HGET', KEYS[2], sid) == node then
                redis.call('HSET', KEYS[2], sid, me)
                redis.call('SADD', kp .. 'nodesessions:' .. me, sid)
                taken[#taken + 1] = sid
              end
            end
            if redis.call('SCARD', set) == 0 then
              redis.call('SREM', KEYS[1], node)
              redis.call('DEL', kp .. 'inbox:' .. node)
            end
          end
        end
        return taken
        """

    /// Takes the lease if free, renews it if held by me. KEYS: lease key. ARGV: me, ttl ms.
    static let lease = """
        local holder = redis.call('GET', KEYS[1])
        if holder and holder ~= ARGV[1] then return 0 end
        redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
        return 1
        """
}
