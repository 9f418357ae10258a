"""A local N-shard Redis Cluster from the embedded Redis Stack binaries, for trying cluster mode
and for tests: one master per shard, AOF and the JSON and search modules on each, no replicas."""

from __future__ import annotations

import argparse
import contextlib
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType

import redis

from tracking_system.common import embedded_redis
from tracking_system.common.embedded_redis import EmbeddedRedisFiles

SLOTS = 16384
BUS_PORT_OFFSET = 10000  # Redis Cluster's bus listens on port + 10000
NODES_FILE = "nodes.conf"
LOG_FILE = "redis.log"
STOP_GRACE_SECONDS = 10.0
POLL_SECONDS = 0.05
# Flags in CLUSTER NODES that mean a node's view of another has not settled.
UNSETTLED_FLAGS = frozenset({"fail", "fail?", "handshake", "noaddr"})

SlotRanges = tuple[tuple[int, int], ...]


class ClusterError(RuntimeError):
    """The embedded cluster could not be started or brought back; the message says why."""


class PortInUseError(ClusterError):
    """A port a shard needs (its own or its cluster bus port) is already taken."""


def _to_stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def even_slot_ranges(shards: int) -> list[tuple[int, int]]:
    """The 16384 slots cut into `shards` contiguous ranges of (almost) equal size."""
    return [(i * SLOTS // shards, (i + 1) * SLOTS // shards - 1) for i in range(shards)]


@dataclass
class ClusterNode:
    """One shard: its port, its own folder (nodes.conf, AOF, log) and its process."""

    index: int
    shards: int
    port: int
    data_dir: Path
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        """Connection URL of this node alone."""
        return embedded_redis.redis_url(self.port)

    @property
    def label(self) -> str:
        """How messages name the node: `shard 2/3 (port 7001)`."""
        return f"shard {self.index + 1}/{self.shards} (port {self.port})"

    @property
    def running(self) -> bool:
        """Whether its process is alive."""
        return self.process is not None and self.process.poll() is None

    def client(self) -> redis.Redis:
        """A synchronous client to this node alone, with decoded responses."""
        return redis.Redis(
            host="127.0.0.1",
            port=self.port,
            decode_responses=True,
            socket_timeout=2,
            socket_connect_timeout=2,
        )

    def last_log_line(self) -> str:
        """The last line redis-server wrote to its log, for error messages."""
        try:
            lines = (self.data_dir / LOG_FILE).read_text(errors="replace").splitlines()
        except OSError:
            return "no log"
        return next((line.strip() for line in reversed(lines) if line.strip()), "empty log")


def _port_taken(port: int) -> bool:
    with socket.socket() as sock:
        # Like redis-server itself: TIME_WAIT leftovers of a previous run do not count.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return True
        return False


def _info(client: redis.Redis) -> dict[str, str]:
    text = str(client.execute_command("CLUSTER", "INFO"))  # type: ignore[no-untyped-call]
    pairs = (line.split(":", 1) for line in text.splitlines() if ":" in line)
    return {key: value.strip() for key, value in pairs}


def _view(client: redis.Redis) -> dict[str, tuple[frozenset[str], SlotRanges]]:
    """CLUSTER NODES as node id -> (flags, slot ranges)."""
    text = str(client.execute_command("CLUSTER", "NODES"))  # type: ignore[no-untyped-call]
    view: dict[str, tuple[frozenset[str], SlotRanges]] = {}
    for line in text.splitlines():
        parts = line.split()
        if len(parts) < 8:
            continue
        ranges: list[tuple[int, int]] = []
        for item in parts[8:]:
            if item.startswith("["):  # a slot being migrated or imported
                continue
            start, _, end = item.partition("-")
            ranges.append((int(start), int(end or start)))
        view[parts[0]] = (frozenset(parts[2].split(",")), tuple(sorted(ranges)))
    return view


def _recorded_port(nodes_file: Path) -> int | None:
    """The port this node had when its nodes.conf was written (None without one)."""
    if not nodes_file.is_file():
        return None
    for line in nodes_file.read_text().splitlines():
        parts = line.split()
        if len(parts) > 2 and "myself" in parts[2].split(","):
            return int(parts[1].split("@")[0].rsplit(":", 1)[1])
    return None


def _check_ports(node: ClusterNode) -> None:
    for port, what in ((node.port, "port"), (node.port + BUS_PORT_OFFSET, "cluster bus port")):
        if _port_taken(port):
            raise PortInUseError(
                f"{what} {port} (for shard {node.index + 1}/{node.shards}) is already in use"
            )


@dataclass
class EmbeddedCluster:
    """A running local cluster: one redis-server per shard, each in its own folder."""

    nodes: list[ClusterNode]
    files: EmbeddedRedisFiles
    node_timeout_ms: int
    ready_timeout: float
    say: Callable[[str], None] = field(default=_to_stderr, repr=False)

    @property
    def urls(self) -> list[str]:
        """Every node's URL, in shard order."""
        return [node.url for node in self.nodes]

    @property
    def url(self) -> str:
        """A URL to give redis-py's cluster client (it discovers the other nodes)."""
        running = [node for node in self.nodes if node.running]
        return (running or self.nodes)[0].url

    def node_ids(self) -> list[str]:
        """Each node's cluster id, in shard order."""
        return [self._ask(node, "CLUSTER", "MYID") for node in self.nodes]

    def slot_map(self) -> dict[str, SlotRanges]:
        """Node id -> the slot ranges it serves, as the first running node sees them."""
        node = next(node for node in self.nodes if node.running)
        with contextlib.closing(node.client()) as client:
            return {node_id: ranges for node_id, (_, ranges) in _view(client).items()}

    def owner_of(self, slot: int) -> int:
        """Index of the shard serving `slot`."""
        ids = self.node_ids()
        for node_id, ranges in self.slot_map().items():
            if any(start <= slot <= end for start, end in ranges):
                return ids.index(node_id)
        raise ClusterError(f"no shard serves slot {slot}")

    def move_slot(self, slot: int, to_index: int, *, batch: int = 100) -> int:
        """Move one slot and its keys to another shard, as a resharding does (CLUSTER SETSLOT
        IMPORTING / MIGRATING, MIGRATE in batches, SETSLOT NODE on every node); keys moved."""
        ids = self.node_ids()
        source, target = self.nodes[self.owner_of(slot)], self.nodes[to_index]
        if source is target:
            return 0
        moved = 0
        with contextlib.closing(source.client()) as src:
            self._ask(target, "CLUSTER", "SETSLOT", slot, "IMPORTING", ids[source.index])
            self._ask(source, "CLUSTER", "SETSLOT", slot, "MIGRATING", ids[to_index])
            while names := src.execute_command(  # type: ignore[no-untyped-call]
                "CLUSTER", "GETKEYSINSLOT", slot, batch
            ):
                src.execute_command(  # type: ignore[no-untyped-call]
                    "MIGRATE", "127.0.0.1", target.port, "", 0, 10_000, "KEYS", *names
                )
                moved += len(names)
        for node in self.nodes:
            self._ask(node, "CLUSTER", "SETSLOT", slot, "NODE", ids[to_index])
        self.say(f"slot {slot}: {moved} keys moved to {target.label}")
        return moved

    def kill_node(self, index: int) -> None:
        """SIGKILL one shard (no shutdown, no final fsync) and wait for it to be gone."""
        node = self.nodes[index]
        if node.process is not None and node.running:
            node.process.kill()
            node.process.wait()
            self.say(f"{node.label} killed")

    def restart_node(self, index: int) -> None:
        """Start a stopped shard again from its folder and wait until the cluster is ok."""
        node = self.nodes[index]
        if node.running:
            raise ClusterError(f"{node.label} is still running")
        started = time.monotonic()
        deadline = started + self.ready_timeout
        self.say(f"restarting {node.label}…")
        self._spawn(node)
        self._wait_answers(node, deadline)
        self.wait_ok(deadline)
        self.say(f"cluster ok again in {time.monotonic() - started:.1f} s")

    def stop(self) -> None:
        """SIGTERM every shard (AOF fsynced, nodes.conf saved), then wait; SIGKILL stragglers."""
        live = [n.process for n in self.nodes if n.process is not None and n.running]
        for process in live:
            process.terminate()
        for process in live:
            try:
                process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()

    def __enter__(self) -> EmbeddedCluster:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def wait_ok(self, deadline: float) -> None:
        """Wait until every node says cluster_state:ok and all agree on the slot map."""
        while True:
            self._raise_if_any_died()
            reason = self._unsettled()
            if reason is None:
                return
            if time.monotonic() > deadline:
                raise ClusterError(f"cluster not ok within {self.ready_timeout:g} s: {reason}")
            time.sleep(POLL_SECONDS)

    def _unsettled(self) -> str | None:
        """Why the cluster is not ready yet, or None when it is."""
        views: list[dict[str, tuple[frozenset[str], SlotRanges]]] = []
        for node in self.nodes:
            try:
                with contextlib.closing(node.client()) as client:
                    info = _info(client)
                    views.append(_view(client))
            except redis.RedisError as exc:
                return f"{node.label} does not answer ({exc})"
            if info.get("cluster_state") != "ok":
                return f"{node.label} reports cluster_state:{info.get('cluster_state')}"
            if info.get("cluster_slots_assigned") != str(SLOTS):
                return f"{node.label} sees {info.get('cluster_slots_assigned')} slots assigned"
        maps = [{node_id: ranges for node_id, (_, ranges) in view.items()} for view in views]
        if any(len(view) != len(self.nodes) for view in views):
            return "not every node knows every other yet"
        if any(other != maps[0] for other in maps[1:]):
            return "the nodes do not agree on the slot map yet"
        for node, view in zip(self.nodes, views, strict=True):
            if any(flags & UNSETTLED_FLAGS for flags, _ in view.values()):
                return f"{node.label} still flags a node as failing or joining"
        return None

    def _ask(self, node: ClusterNode, *command: str | int) -> str:
        with contextlib.closing(node.client()) as client:
            return str(client.execute_command(*command))  # type: ignore[no-untyped-call]

    def _spawn(self, node: ClusterNode) -> None:
        _check_ports(node)
        argv = embedded_redis.server_command(
            port=node.port,
            data_dir=node.data_dir,
            files=self.files,
            extra_args=(
                "--cluster-enabled", "yes",
                "--cluster-config-file", str((node.data_dir / NODES_FILE).resolve()),
                "--cluster-node-timeout", str(self.node_timeout_ms),
            ),
        )  # fmt: skip
        with (node.data_dir / LOG_FILE).open("ab") as log:
            node.process = subprocess.Popen(
                argv, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
            )

    def _raise_if_any_died(self) -> None:
        for node in self.nodes:
            if node.process is not None and node.process.poll() is not None:
                last = node.last_log_line()
                error = PortInUseError if "Address already in use" in last else ClusterError
                raise error(f"{node.label} exited (code {node.process.returncode}): {last}")

    def _wait_answers(self, node: ClusterNode, deadline: float) -> None:
        """Wait until the node answers PING (its AOF loaded)."""
        while time.monotonic() < deadline:
            self._raise_if_any_died()
            try:
                with contextlib.closing(node.client()) as client:
                    if client.ping():
                        return
            except redis.RedisError:
                pass
            time.sleep(POLL_SECONDS)
        raise ClusterError(f"{node.label} did not answer within {self.ready_timeout:g} s")

    def _bring_up(self, data_dir: Path) -> None:
        """Start every node; form the cluster if new; wait until it is ok."""
        started = time.monotonic()
        deadline = started + self.ready_timeout
        for node in self.nodes:
            self.say(f"starting {node.label}…")
            self._spawn(node)
        for node in self.nodes:
            self._wait_answers(node, deadline)
        shards = len(self.nodes)
        if self._is_new(data_dir):
            self.say(f"assigning {SLOTS} slots to {shards} shards and joining them…")
            self._create()
        else:
            self.say(f"bringing back the {shards}-shard cluster in {data_dir}…")
        self.wait_ok(deadline)
        self.say(f"cluster ok in {time.monotonic() - started:.1f} s: {' '.join(self.urls)}")

    def _create(self) -> None:
        """Give each node its slot range and a distinct config epoch, then join them."""
        for node, (first, last) in zip(self.nodes, even_slot_ranges(len(self.nodes)), strict=True):
            self._ask(node, "CLUSTER", "SET-CONFIG-EPOCH", node.index + 1)
            self._ask(node, "CLUSTER", "ADDSLOTSRANGE", first, last)
        for node in self.nodes[1:]:
            self._ask(self.nodes[0], "CLUSTER", "MEET", "127.0.0.1", node.port)

    def _is_new(self, data_dir: Path) -> bool:
        """True for freshly made nodes; False for a complete cluster found in data_dir."""
        infos = []
        for node in self.nodes:
            with contextlib.closing(node.client()) as client:
                infos.append(_info(client))
        known = [int(info.get("cluster_known_nodes", "0")) for info in infos]
        assigned = [int(info.get("cluster_slots_assigned", "0")) for info in infos]
        if all(k == 1 for k in known) and not any(assigned):
            return True
        if all(k == len(self.nodes) for k in known):
            return False
        raise ClusterError(
            f"{data_dir} holds neither a new nor a complete {len(self.nodes)}-shard cluster "
            f"(known nodes per shard: {known}); start it with the shard count it was made "
            "with, or remove the folder"
        )


def start_cluster(
    *,
    shards: int,
    base_port: int,
    data_dir: Path,
    node_timeout_ms: int = 2000,
    ready_timeout: float = 30.0,
    files: EmbeddedRedisFiles | None = None,
    say: Callable[[str], None] = _to_stderr,
) -> EmbeddedCluster:
    """Start `shards` nodes on base_port, base_port + 1, ... with data in data_dir/shard-<i>.

    A new data_dir gets a new cluster (slots split evenly); an existing one is brought back as
    it was (same node ids, slots and data)."""
    if shards < 1:
        raise ClusterError(f"a cluster needs at least one shard, not {shards}")
    if base_port < 1 or base_port + shards - 1 + BUS_PORT_OFFSET > 65535:
        raise ClusterError(f"ports {base_port}..{base_port + shards - 1} (and +10000) are invalid")
    files = files or embedded_redis.locate_files()
    nodes = [
        ClusterNode(index=i, shards=shards, port=base_port + i, data_dir=data_dir / f"shard-{i}")
        for i in range(shards)
    ]
    for node in nodes:
        _check_ports(node)
        recorded = _recorded_port(node.data_dir / NODES_FILE)
        if recorded not in (None, node.port):
            raise ClusterError(
                f"{node.data_dir} belongs to a node on port {recorded}, not {node.port}; "
                f"start it with base port {base_port + recorded - node.port}"
            )
    cluster = EmbeddedCluster(
        nodes=nodes,
        files=files,
        node_timeout_ms=node_timeout_ms,
        ready_timeout=ready_timeout,
        say=say,
    )
    try:
        cluster._bring_up(data_dir)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def main(argv: list[str] | None = None) -> int:
    """`python -m tracking_system.common.embedded_cluster`: run a cluster until Ctrl-C."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--shards", type=int, default=3)
    parser.add_argument("--port", type=int, default=7000, help="port of the first shard")
    parser.add_argument("--dir", type=Path, default=Path(".data/cluster"))
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        cluster = start_cluster(shards=args.shards, base_port=args.port, data_dir=args.dir)
    except RuntimeError as exc:
        print(f"embedded-cluster: {exc}", file=sys.stderr, flush=True)
        return 1
    except KeyboardInterrupt:
        return 130
    with cluster:
        _to_stderr(f"connect with RedisCluster.from_url({cluster.url!r}); Ctrl-C stops it")
        try:
            while all(node.running for node in cluster.nodes):
                time.sleep(0.5)
        except KeyboardInterrupt:
            return 0
    _to_stderr("a shard exited; stopped the others")
    return 1


if __name__ == "__main__":
    sys.exit(main())
