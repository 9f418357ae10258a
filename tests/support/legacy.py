"""Earlier releases' key layouts, rebuilt from current data for migration tests.

Layout 1 (before sites), from the code of that release: `User:<id>` documents holding `apiKey`,
`timezone` and `allowedOrigins`; `Event:<ulid>` hashes scoped by `internalUserId`, indexed by an
`Event:index` with that TAG field; rollups under `R:<accountId>:`; no `Site:`, `UserSites:` or
`schema:version` keys. Layout 2 (sites, one index): today's keys, but one `Event:index` over
every site's events instead of an index per site."""

from __future__ import annotations

from typing import Any

import redis
from redis.commands.search.field import NumericField, TagField
from redis.commands.search.index_definition import IndexDefinition, IndexType

from tracking_system.common import keys

OLD_TAG_FIELDS = ("internalUserId", "eventName", "sessionId", "userId", "path", "referrerDomain",
                  "utmSource", "utmMedium", "utmCampaign", "browser", "os", "device", "country",
                  "bot")  # fmt: skip


CURRENT_TAG_FIELDS = ("site", *OLD_TAG_FIELDS[1:])


def _drop_site_indexes(client: redis.Redis) -> None:
    for name in client.execute_command("FT._LIST"):  # type: ignore[no-untyped-call]
        if str(name).startswith("Event:{"):
            client.ft(str(name)).dropindex(delete_documents=False)


def _one_event_index(client: redis.Redis, tag_fields: tuple[str, ...]) -> None:
    fields = [TagField(n, case_sensitive=True, separator="\x1f") for n in tag_fields]
    client.ft("Event:index").create_index(
        [*fields, NumericField("eventTime", sortable=True)],
        definition=IndexDefinition(  # type: ignore[no-untyped-call]
            prefix=["Event:"], index_type=IndexType.HASH
        ),
    )


def to_layout_3(client: redis.Redis) -> None:
    """Remove the columnar tier (event hashes were the only raw store)."""
    stale = list(client.scan_iter(match="Col:{*", count=1000))
    if stale:
        client.delete(*stale)
    client.set("schema:version", 3)


def to_layout_2(client: redis.Redis) -> None:
    """Replace the per-site event indexes by one `Event:index` over every site's events."""
    to_layout_3(client)
    _drop_site_indexes(client)
    _one_event_index(client, CURRENT_TAG_FIELDS)
    client.set("schema:version", 2)


def downgrade(client: redis.Redis) -> None:
    """Rewrite the server's data into the layout before sites."""
    to_layout_3(client)
    _drop_site_indexes(client)
    for user_key in list(client.scan_iter(match="User:*", _type="ReJSON-RL")):
        account_id = str(user_key).removeprefix("User:")
        site: Any = client.json().get(f"Site:{{{account_id}}}")
        client.json().set(user_key, "$.apiKey", site["apiKey"])
        client.json().set(user_key, "$.timezone", site["timezone"])
        client.json().set(user_key, "$.allowedOrigins", site["allowedOrigins"])
        client.delete(f"Site:{{{account_id}}}", f"UserSites:{account_id}")
    for key in list(client.scan_iter(match="Event:{*}:*", count=1000)):
        site_id = keys.tagged_site(str(key))
        old = "Event:" + str(key).rpartition(":")[2]
        client.rename(key, old)
        client.hset(old, "internalUserId", str(site_id))
        client.hdel(old, "site")
    for key in list(client.scan_iter(match="R:{*", count=1000)):
        owner, _, rest = str(key)[len("R:{") :].partition("}")
        client.rename(key, f"R:{owner}{rest}")
    _one_event_index(client, OLD_TAG_FIELDS)
    client.delete("schema:version")
