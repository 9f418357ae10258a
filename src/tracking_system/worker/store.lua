-- Store a batch of enriched events. For each event, in this one atomic script: skip it if its
-- key exists (a redelivery or a client retry), else update the rollups, write the event hash,
-- publish it live; then XACK its stream entry either way.
-- Key names mirror tracking_system/common/rollups.py: change both together.
-- ARGV[1] stream, ARGV[2] group, ARGV[3] JSON array of event descriptions built by store.py.
-- Returns one number per event: 1 stored, 0 duplicate.

local function counted(zkey, hkey, value, user, session)
  redis.call('ZINCRBY', zkey, 1, value)
  redis.call('PFADD', hkey .. ':u', user)
  if session then redis.call('PFADD', hkey .. ':s', session) end
end

local function page_session_dim(m, day, dim)
  redis.call('ZINCRBY', m.p .. 'z:' .. day .. ':' .. dim, 1, m.g)
  redis.call('PFADD', m.p .. 'h:' .. day .. ':' .. dim .. ':' .. m.gt .. ':u', m.u)
end

-- Exit pages move as a session goes on, and an HLL cannot forget a user, so their visitors are
-- kept exactly: a ZSET per (day, page) of user -> sessions of that user ending there.
local function exit_visitor(m, day, token, delta)
  local key = m.p .. 'x:' .. day .. ':' .. token
  if redis.call('ZINCRBY', key, delta, m.u) + 0 <= 0 then redis.call('ZREM', key, m.u) end
end

local function session(m)
  local key = m.p .. 'sess:' .. m.s
  local n = redis.call('HINCRBY', key, 'n', 1)
  if n == 1 then
    local day = m.p .. 'd:' .. m.d
    redis.call('HSET', key, 'f', m.t, 'l', m.t, 'd', m.d)
    redis.call('HINCRBY', day, 'started', 1)
    for j = 1, #m.sd, 3 do
      redis.call('ZINCRBY', m.p .. 'z:' .. m.d .. ':' .. m.sd[j], 1, m.sd[j + 1])
      redis.call('PFADD', m.p .. 'h:' .. m.d .. ':' .. m.sd[j] .. ':' .. m.sd[j + 2] .. ':u', m.u)
    end
    if m.pv == 1 then
      redis.call('HSET', key, 'b', 1, 'ep', 1, 'x', m.g, 'xt', m.gt)
      redis.call('HINCRBY', day, 'bounces', 1)
      page_session_dim(m, m.d, 'entryPage')
      redis.call('ZINCRBY', m.p .. 'z:' .. m.d .. ':exitPage', 1, m.g)
      exit_visitor(m, m.d, m.gt, 1)
    end
  else
    local st = redis.call('HMGET', key, 'f', 'l', 'd', 'b', 'ep', 'x', 'xt')
    local first, last, start_day = tonumber(st[1]), tonumber(st[2]), st[3]
    local day = m.p .. 'd:' .. start_day
    if st[4] == '1' then
      redis.call('HINCRBY', day, 'bounces', -1)
      redis.call('HSET', key, 'b', 0)
    end
    local new_first, new_last = math.min(first, m.t), math.max(last, m.t)
    local delta = (new_last - new_first) - (last - first)
    if delta ~= 0 then
      redis.call('HINCRBY', day, 'dur', delta)
      redis.call('HSET', key, 'f', new_first, 'l', new_last)
    end
    if m.pv == 1 then
      if st[5] ~= '1' then
        redis.call('HSET', key, 'ep', 1, 'x', m.g, 'xt', m.gt)
        page_session_dim(m, start_day, 'entryPage')
        redis.call('ZINCRBY', m.p .. 'z:' .. start_day .. ':exitPage', 1, m.g)
        exit_visitor(m, start_day, m.gt, 1)
      elseif m.t >= last and st[6] ~= m.g then
        redis.call('ZINCRBY', m.p .. 'z:' .. start_day .. ':exitPage', -1, st[6])
        exit_visitor(m, start_day, st[7], -1)
        redis.call('ZINCRBY', m.p .. 'z:' .. start_day .. ':exitPage', 1, m.g)
        exit_visitor(m, start_day, m.gt, 1)
        redis.call('HSET', key, 'x', m.g, 'xt', m.gt)
      end
    end
  end
  redis.call('EXPIRE', key, m.sttl)
end

local function rollup(m)
  local day = m.p .. 'd:' .. m.d
  redis.call('HINCRBY', day, 'e', 1)
  redis.call('PFADD', day .. ':u', m.u)
  redis.call('PFADD', day .. ':s', m.s)
  redis.call('HINCRBY', m.meta, m.tz, 1)
  counted(m.p .. 'z:' .. m.d .. ':eventName', m.p .. 'h:' .. m.d .. ':eventName:' .. m.nt,
    m.n, m.u, m.s)
  if m.pv == 1 then
    redis.call('HINCRBY', day, 'pv', 1)
    counted(m.p .. 'z:' .. m.d .. ':page', m.p .. 'h:' .. m.d .. ':page:' .. m.gt, m.g, m.u, m.s)
  end
  if m.l ~= '' then
    redis.call('HINCRBY', m.l .. 'tot', 'e', 1)
    counted(m.l .. 'z:eventName', m.l .. 'h:eventName:' .. m.nt, m.n, m.u, m.s)
    if m.pv == 1 then
      redis.call('HINCRBY', m.l .. 'tot', 'pv', 1)
      counted(m.l .. 'z:page', m.l .. 'h:page:' .. m.gt, m.g, m.u, m.s)
    end
  end
  local minute = m.rt .. m.m
  redis.call('INCR', minute .. ':e')
  redis.call('EXPIRE', minute .. ':e', m.rttl)
  redis.call('PFADD', minute .. ':u', m.u)
  redis.call('EXPIRE', minute .. ':u', m.rttl)
  session(m)
end

local results = {}
for i, m in ipairs(cjson.decode(ARGV[3])) do
  if redis.call('EXISTS', m.k) == 1 then
    results[i] = 0
  else
    if m.bot == 0 then rollup(m) end
    redis.call('HSET', m.k, unpack(m.f))
    redis.call('PUBLISH', m.ch, m.live)
    results[i] = 1
  end
  redis.call('XACK', ARGV[1], ARGV[2], m.id)
end
return results
