"""The key layout of the release before sites, rebuilt from current data for migration tests.

Written from the previous code's key names: `User:<id>` documents holding `apiKey`, `timezone`
and `allowedOrigins`; `Event:<ulid>` hashes scoped by `internalUserId`, indexed by an
`Event:index` with that TAG field; rollups under `R:<accountId>:`; no `Site:`, `UserSites:` or
`schema:version` keys."""

from __future__ import annotations

from typing import Any

import redis
from redis.commands.search.field import NumericField, TagField
from redis.commands.search.index_definition import IndexDefinition, IndexType

OLD_TAG_FIELDS = ("internalUserId", "eventName", "sessionId", "userId", "path", "referrerDomain",
                  "utmSource", "utmMedium", "utmCampaign", "browser", "os", "device", "country",
                  "bot")  # fmt: skip


def downgrade(client: redis.Redis) -> None:
    """Rewrite the server's data into the previous release's layout."""
    for user_key in list(client.scan_iter(match="User:*", _type="ReJSON-RL")):
        account_id = str(user_key).removeprefix("User:")
        site: Any = client.json().get(f"Site:{{{account_id}}}")
        client.json().set(user_key, "$.apiKey", site["apiKey"])
        client.json().set(user_key, "$.timezone", site["timezone"])
        client.json().set(user_key, "$.allowedOrigins", site["allowedOrigins"])
        client.delete(f"Site:{{{account_id}}}", f"UserSites:{account_id}")
    for key in list(client.scan_iter(match="Event:{*}:*", count=1000)):
        site_id = client.hget(key, "site")
        old = "Event:" + str(key).rpartition(":")[2]
        client.rename(key, old)
        client.hset(old, "internalUserId", str(site_id))
        client.hdel(old, "site")
    for key in list(client.scan_iter(match="R:{*", count=1000)):
        owner, _, rest = str(key)[len("R:{") :].partition("}")
        client.rename(key, f"R:{owner}{rest}")
    client.ft("Event:index").dropindex(delete_documents=False)
    fields = [TagField(n, case_sensitive=True, separator="\x1f") for n in OLD_TAG_FIELDS]
    client.ft("Event:index").create_index(
        [*fields, NumericField("eventTime", sortable=True)],
        definition=IndexDefinition(  # type: ignore[no-untyped-call]
            prefix=["Event:"], index_type=IndexType.HASH
        ),
    )
    client.delete("schema:version")
