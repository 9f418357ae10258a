"""Removing a deleted site's data in the background: every key with the site's hash tag.

The user service marks the site gone (its key stops resolving, the store script drops its late
events) and lists it in `SiteDeletions`; this job scans the site's key patterns and unlinks what
it finds, in chunks, recording progress. A crash only means the next run scans again: deleting is
idempotent, and the site leaves the set only when nothing of it is left."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import redis.asyncio as aioredis
import structlog

from tracking_system.common import keys, rollups
from tracking_system.common.indexes import drop_site_event_index
from tracking_system.worker import metrics

log = structlog.get_logger(__name__)

SCAN_COUNT = 1000
# A crashed worker's claim on a deletion lapses this long after its last chunk.
LOCK_SECONDS = 10
PROGRESS_EVERY = 10_000

# KEYS[1] lock. ARGV[1] token, ARGV[2] seconds. Takes or extends the lock held with the token.
_LOCK = """
local holder = redis.call('GET', KEYS[1])
if holder and holder ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', ARGV[2])
return 1
"""


async def delete_site_data(redis: aioredis.Redis, site_id: str, *, token: str) -> int | None:
    """Unlink every key of the site; the number removed, or None when another worker holds it."""
    lock = redis.register_script(_LOCK)
    if not await lock(keys=[keys.site_deletion_lock(site_id)], args=[token, LOCK_SECONDS]):
        return None
    progress = keys.site_deletion_progress(site_id)
    removed = 0
    next_report = PROGRESS_EVERY
    await drop_site_event_index(redis, site_id)  # before its documents: nothing to unindex
    for pattern in rollups.site_key_patterns(site_id):
        async for chunk in scan_chunks(redis, pattern):
            await redis.unlink(*chunk)
            removed += len(chunk)
            metrics.SITE_KEYS_DELETED.inc(len(chunk))
            await redis.hincrby(progress, "deleted", len(chunk))
            if not await lock(keys=[keys.site_deletion_lock(site_id)], args=[token, LOCK_SECONDS]):
                return None  # another worker took over after a stall: let it finish
            if removed >= next_report:
                log.info("site_deletion_progress", site=site_id, deleted=removed)
                next_report += PROGRESS_EVERY
    # The site's own keys share its slot; the work list is elsewhere (a crash in between only
    # means the next run finds nothing left and takes it off the list).
    await redis.delete(keys.site(site_id), progress, keys.site_deletion_lock(site_id))
    await redis.srem(keys.SITE_DELETIONS, site_id)
    log.info("site_deleted", site=site_id, deleted=removed)
    return removed


async def scan_chunks(redis: aioredis.Redis, pattern: str) -> AsyncIterator[list[str]]:
    """Batches of keys matching the pattern (SCAN, on every node of a cluster: other writes go
    on meanwhile)."""
    chunk: list[str] = []
    async for key in redis.scan_iter(match=pattern, count=SCAN_COUNT):
        chunk.append(str(key))
        if len(chunk) >= SCAN_COUNT:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


async def delete_pending_sites(redis: aioredis.Redis, *, consumer: str) -> int:
    """Finish every pending site deletion; the number of sites completed."""
    done = 0
    token = f"{consumer}:{uuid.uuid4().hex}"
    for site_id in await redis.smembers(keys.SITE_DELETIONS):
        if await delete_site_data(redis, str(site_id), token=token) is not None:
            done += 1
    return done
