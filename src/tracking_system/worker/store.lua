-- Store one site's events of a batch in one atomic script. For each event: skip it if its key
-- exists (a redelivery or a client retry), else update its session, count it in the rollups,
-- write the event hash and publish it live. Rollup increments are summed over the batch and
-- written once per key at the end. The caller acknowledges the entries afterwards (storing is
-- idempotent, so a crash in between only causes a harmless redelivery).
-- Every key the script touches carries the site's hash tag; the prefixes come from
-- tracking_system/common/keys.py and rollups.py (store.py), the script only appends to them.
-- KEYS[1] the site's deletion marker, KEYS[2] its rollup meta hash, KEYS[3] its lifetime totals,
-- KEYS[4] its columnar tail (every stored event's row, bots too, for the worker to compact),
-- KEYS[5] its evicted days (day -> `<version> <buckets>`).
-- ARGV[1] JSON {zones = [...], events = [...], replay = true?} (store.py); ARGV[2] the meta
-- field of the site's earliest counted event time (ms); ARGV[3] the meta field of the hot
-- window's start; ARGV[4] the prefix of the evicted events' marker sets; ARGV[5] the meta field
-- of the start of what the site keeps.
-- A zone's rollups are named by its label: the prefix `pz` plus the generation the meta hash
-- holds (field `gf`), or the prefix `p` as given. A replay (worker/rebuild.py) only rolls up
-- events already stored, into the prefix it gives, counting them in its own meta fields.
-- Returns one number per event: 1 stored, 0 duplicate, 2 dropped (the site was deleted), 3
-- refused (older than the site keeps: its raw events of that time were deleted).

local hincr, zincr, pfadd, expire = {}, {}, {}, {}
local first_ms  -- the batch's earliest counted event: the meta hash keeps the site's earliest

local function H(key, field, delta)
  local t = hincr[key]
  if not t then t = {}; hincr[key] = t end
  t[field] = (t[field] or 0) + delta
end

local function Z(key, member, delta)
  local t = zincr[key]
  if not t then t = {}; zincr[key] = t end
  t[member] = (t[member] or 0) + delta
end

local function P(key, element)
  local t = pfadd[key]
  if not t then t = {n = 0, seen = {}}; pfadd[key] = t end
  if not t.seen[element] then
    t.seen[element] = true
    t.n = t.n + 1
    t[t.n] = element
  end
end

local function counted(zkey, hkey, value, user, session)
  Z(zkey, value, 1)
  P(hkey .. ':u', user)
  if session then P(hkey .. ':s', session) end
end

-- `user`: the session's first event's user (a session may change user, e.g. on identify).
local function entry_and_exit(m, A, day, user)
  Z(A.p .. 'z:' .. day .. ':entryPage', m.g, 1)
  P(A.p .. 'h:' .. day .. ':entryPage:' .. m.gt .. ':u', user)
  Z(A.p .. 'z:' .. day .. ':exitPage', m.g, 1)
  -- Exit pages move as a session goes on and an HLL cannot forget a user, so their visitors are
  -- kept exactly: a ZSET per (day, page) of user -> sessions of that user ending there.
  Z(A.p .. 'x:' .. day .. ':' .. m.gt, user, 1)
end

-- The 1-D filter rollups: counters of the sessions with one session-level value. A session's
-- values are kept as `dim:token` suffixes; the keys they make on a day are built once per batch
-- (a session's events repeat them).
local fcache, sdcache, lcache = {}, {}, {}

local function fkeys(A, day, sid, sd)
  local id = A.p .. day .. '\0' .. sid
  local ks = fcache[id]
  if not ks then
    ks = {b = {}, u = {}, s = {}}
    for j = 1, #sd do
      local base = A.p .. 'f:' .. day .. ':' .. sd[j]
      ks.b[j], ks.u[j], ks.s[j] = base, base .. ':u', base .. ':s'
    end
    fcache[id] = ks
  end
  return ks
end

local function F(A, day, sid, sd, field, delta)
  local b = fkeys(A, day, sid, sd).b
  for j = 1, #b do H(b[j], field, delta) end
end

-- Updates the session's state and its counters; returns its session-level values (`dim:token`
-- suffixes), or nil when the session began before the filter rollups existed.
local function session(m, A)
  local key = A.p .. 'sess:' .. m.s
  local n = redis.call('HINCRBY', key, 'n', 1)
  local sd
  if n == 1 then
    local day = A.p .. 'd:' .. m.d
    sd = {}
    local stored = {'f', m.t, 'l', m.t, 'd', m.d, 'fd', 1, 'u', m.u}
    H(day, 'started', 1)
    for j = 1, #m.sd, 3 do
      Z(A.p .. 'z:' .. m.d .. ':' .. m.sd[j], m.sd[j + 1], 1)
      P(A.p .. 'h:' .. m.d .. ':' .. m.sd[j] .. ':' .. m.sd[j + 2] .. ':u', m.u)
      sd[#sd + 1] = m.sd[j] .. ':' .. m.sd[j + 2]
      stored[#stored + 1] = 'v:' .. m.sd[j]
      stored[#stored + 1] = m.sd[j + 2]
    end
    sdcache[key] = sd
    redis.call('HSET', key, unpack(stored))
    F(A, m.d, m.s, sd, 'started', 1)
    if m.pv == 1 then
      redis.call('HSET', key, 'b', 1, 'ep', 1, 'x', m.g, 'xt', m.gt)
      H(day, 'bounces', 1)
      F(A, m.d, m.s, sd, 'bounces', 1)
      entry_and_exit(m, A, m.d, m.u)
    end
  else
    sd = sdcache[key]
    local st
    if sd then
      st = redis.call('HMGET', key, 'f', 'l', 'd', 'b', 'ep', 'x', 'xt', 'u')
    else
      st = redis.call('HMGET', key, 'f', 'l', 'd', 'b', 'ep', 'x', 'xt', 'u', 'fd', unpack(A.sdn))
      if st[9] == '1' then
        sd = {}
        for j = 1, #A.sdn do
          if st[9 + j] then sd[#sd + 1] = A.sdd[j] .. ':' .. st[9 + j] end
        end
        sdcache[key] = sd
      end
    end
    local first, last, start_day = tonumber(st[1]), tonumber(st[2]), st[3]
    local user = st[8] or m.u  -- sessions begun before the user was kept: the event's
    local day = A.p .. 'd:' .. start_day
    if st[4] == '1' then
      H(day, 'bounces', -1)
      if sd then F(A, start_day, m.s, sd, 'bounces', -1) end
      redis.call('HSET', key, 'b', 0)
    end
    local new_first, new_last = math.min(first, m.t), math.max(last, m.t)
    local delta = (new_last - new_first) - (last - first)
    if delta ~= 0 then
      H(day, 'dur', delta)
      if sd then F(A, start_day, m.s, sd, 'dur', delta) end
      redis.call('HSET', key, 'f', new_first, 'l', new_last)
    end
    if m.pv == 1 then
      if st[5] ~= '1' then
        redis.call('HSET', key, 'ep', 1, 'x', m.g, 'xt', m.gt)
        entry_and_exit(m, A, start_day, user)
      elseif m.t >= last and st[6] ~= m.g then
        Z(A.p .. 'z:' .. start_day .. ':exitPage', st[6], -1)
        Z(A.p .. 'x:' .. start_day .. ':' .. st[7], user, -1)
        Z(A.p .. 'z:' .. start_day .. ':exitPage', m.g, 1)
        Z(A.p .. 'x:' .. start_day .. ':' .. m.gt, user, 1)
        redis.call('HSET', key, 'x', m.g, 'xt', m.gt)
      end
    end
  end
  -- A replayed event carries what is left of its session's life (`ttl`).
  redis.call('EXPIRE', key, m.ttl or A.sttl)
  return sd
end

local function rollup(m, A)
  if not first_ms or m.t < first_ms then first_ms = m.t end
  local day = A.p .. 'd:' .. m.d
  H(day, 'e', 1)
  P(day .. ':u', m.u)
  P(day .. ':s', m.s)
  H(KEYS[2], A.mz, 1)
  counted(A.p .. 'z:' .. m.d .. ':eventName', A.p .. 'h:' .. m.d .. ':eventName:' .. m.nt,
    m.n, m.u, m.s)
  if m.pv == 1 then
    H(day, 'pv', 1)
    counted(A.p .. 'z:' .. m.d .. ':page', A.p .. 'h:' .. m.d .. ':page:' .. m.gt, m.g, m.u, m.s)
  end
  if A.l ~= '' then
    H(A.l .. 'tot', 'e', 1)
    counted(A.l .. 'z:eventName', A.l .. 'h:eventName:' .. m.nt, m.n, m.u, m.s)
    if m.pv == 1 then
      H(A.l .. 'tot', 'pv', 1)
      counted(A.l .. 'z:page', A.l .. 'h:page:' .. m.gt, m.g, m.u, m.s)
    end
  end
  if A.rt ~= '' then
    local minute = A.rt .. m.m
    Z('\0rt', minute, 1)  -- summed per minute, written with INCRBY below
    P(minute .. ':u', m.u)
    expire[minute .. ':u'] = A.rttl
    expire[minute .. ':e'] = A.rttl
  end
  local sd = session(m, A)
  if sd then
    -- Every event of a session counts under each of the session's values, on its own day.
    H(KEYS[2], A.ftz, 1)
    local ks = fkeys(A, m.d, m.s, sd)
    for j = 1, #sd do
      H(ks.b[j], 'e', 1)
      if m.pv == 1 then H(ks.b[j], 'pv', 1) end
      P(ks.u[j], m.u)
      P(ks.s[j], m.s)
    end
    if A.l ~= '' then
      local id = A.l .. m.s
      local lk = lcache[id]
      if not lk then
        lk = {}
        for j = 1, #sd do lk[j] = A.l .. 'f:' .. sd[j] end
        lcache[id] = lk
      end
      for j = 1, #lk do H(lk[j], 'e', 1) end
    end
  end
end

local input = cjson.decode(ARGV[1])
local zones = input.zones
for _, A in ipairs(zones) do
  if not A.p then
    local generation = redis.call('HGET', KEYS[2], A.gf)
    A.p = A.pz .. (generation and ('#' .. generation) or '') .. ':'
  end
end
-- Before the hot window an event's hash may be gone (worker/hot.py): a marker in its UTC day's
-- sets then says it was stored.
local hot = tonumber(redis.call('HGET', KEYS[2], ARGV[3]) or 0)
local keep = tonumber(redis.call('HGET', KEYS[2], ARGV[5]) or 0)
local function evicted(m)
  local day = tostring(math.floor(m.t / 86400000))
  local record = redis.call('HGET', KEYS[5], day)
  if not record then return false end
  local buckets = tonumber(string.match(record, ' (%d+)$'))
  return redis.call('SISMEMBER', ARGV[4] .. day .. ':' .. (m.xb % buckets), m.x) == 1
end

local results = {}
local gone = redis.call('EXISTS', KEYS[1]) == 1
for i, m in ipairs(input.events) do
  local A = zones[m.a]
  if gone then
    results[i] = 2
  elseif input.replay then
    rollup(m, A)
    results[i] = 1
  elseif m.t < keep then
    results[i] = 3
  elseif redis.call('EXISTS', m.k) == 1 or (m.t < hot and evicted(m)) then
    results[i] = 0
  else
    redis.call('HSET', m.k, unpack(m.f))
    redis.call('XADD', KEYS[4], '*', 'r', m.r)
    if m.bot == 0 then
      -- Crawlers are stored and flagged, but left out of the numbers and the live feed.
      rollup(m, A)
      redis.call('SPUBLISH', A.ch, m.live)  -- a shard channel: it stays on the site's shard
    end
    results[i] = 1
  end
end

if first_ms then
  -- Set with the site's very first counted events (its lifetime total not yet written); for
  -- events stored before the field existed, the stats service finds it once.
  local known = tonumber(redis.call('HGET', KEYS[2], ARGV[2]))
  if (known and first_ms < known) or (not known and redis.call('HEXISTS', KEYS[3], 'e') == 0) then
    redis.call('HSET', KEYS[2], ARGV[2], first_ms)
  end
end
for key, fields in pairs(hincr) do
  for field, delta in pairs(fields) do
    if delta ~= 0 then redis.call('HINCRBY', key, field, delta) end
  end
end
local minutes = zincr['\0rt'] or {}
zincr['\0rt'] = nil
for minute, count in pairs(minutes) do redis.call('INCRBY', minute .. ':e', count) end
for key, members in pairs(zincr) do
  local exact_users = string.find(key, ':x:', 1, true) ~= nil
  for member, delta in pairs(members) do
    if delta ~= 0 then
      local score = tonumber(redis.call('ZINCRBY', key, delta, member))
      if exact_users and score <= 0 then redis.call('ZREM', key, member) end
    end
  end
end
for key, elements in pairs(pfadd) do
  for j = 1, elements.n, 500 do
    redis.call('PFADD', key, unpack(elements, j, math.min(j + 499, elements.n)))
  end
end
for key, ttl in pairs(expire) do redis.call('EXPIRE', key, ttl) end
return results
