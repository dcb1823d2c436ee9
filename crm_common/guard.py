"""The version guard every read model relies on: what one consumer group has applied of each
aggregate (a row per group and aggregate in `applied_versions`), and what waits.

- An event that says how its aggregate is now (a snapshot, a stage) applies only if newer than
  the last applied: a redelivered, duplicated or late one changes nothing.
- A fact (events.is_fact: a payment, a follow-up, anything a read model adds up) applies once,
  whatever its version: a late one still counts, a repeat does not. The versions a group went on
  without are kept as `holes` (a dead letter moved aside, a skipped gap, an invalid event); a
  fact applies when it is newer or fills a hole. Versions before the first the group applied are no
  holes: it began after them. Rows written before holes were kept have none.
- A delete leaves a tombstone (`deleted`): nothing after it applies, so a late event does not
  bring the aggregate back.
- The consumer loop shows the guard every event of the streams it reads (types it has no handler
  for too), so an event more than one version ahead is a gap: it is parked (`parked_events`) and
  applied when the missing one comes, or when an admin skips the gap. An aggregate without a row
  takes any version: its first events may predate the group.
- An aggregate whose event was dead-lettered after its retries is `held`: its later events are
  parked until that event is redriven and applied, or an admin skips it.

A Ledger reads the rows of a batch once (`load`) and writes them once (`flush`), in the batch's
transaction. Services never repeat this: the consumer loop asks it.
"""
from __future__ import annotations

import copy

from pymongo import DeleteOne, ReplaceOne

from .events import is_fact, stream_of

APPLY, SKIP, PARK = "apply", "skip", "park"
PARKED = "parked_events"


def is_delete(event_type: str) -> bool:
    return event_type.endswith(".deleted")


def row_id(group: str, stream: str) -> str:
    return f"{group}|{stream}"


def _parked_id(group: str, stream: str, version: int) -> str:
    return f"{group}|{stream}|{version:012d}"  # sorts by version: a stream's parked events are an _id range


def decide(row: dict | None, event: dict, *, gaps: bool = True) -> str:
    """APPLY, SKIP or PARK a versioned event, given its aggregate's row (None: none yet)."""
    version = event["version"]
    if row is None:
        return APPLY
    if row.get("deleted"):
        return SKIP
    if version <= row["version"]:
        return APPLY if is_fact(event["type"]) and _holds(row.get("holes", []), version) else SKIP
    if version in row.get("parked", []):
        return SKIP  # a copy of one already waiting
    held = row.get("held")
    if gaps and ((held and held["event_id"] != event["id"]) or version > row["version"] + 1):
        return PARK
    return APPLY


def repeats(db, group: str, events: list[dict]) -> set[str]:
    """Ids of events that would certainly be skipped, by one read outside any transaction, so a
    replayed log is passed over before the costly contract check; the ledger still decides.
    (Rows only move on: a version skipped now is skipped later too.)"""
    rows = _rows(db, None, _keys(group, events))
    return {e["id"] for e in events if e.get("version") is not None
            and decide(rows.get(row_id(group, stream_of(e))), e) == SKIP}


def _keys(group: str, events) -> set[str]:
    return {row_id(group, stream_of(e)) for e in events if e.get("version") is not None}


def _rows(db, session, keys) -> dict:
    if not keys:
        return {}
    return {r["_id"]: r for r in db.applied_versions.find({"_id": {"$in": sorted(keys)}}, session=session)}


class Ledger:
    """The guard's rows of one group within one transaction."""

    def __init__(self, db, session, group: str, now, *, gaps: bool = True):
        self.db, self.session, self.group, self.now, self.gaps = db, session, group, now, gaps
        self.rows: dict = {}       # row id -> row, or None when the aggregate has none
        self.dirty: set = set()
        self.parking: dict = {}    # parked id -> event, to store
        self.unparked: set = set()  # parked ids to remove
        self.over_gaps: set = set()  # streams an admin let go on without their missing versions

    def load(self, events: list[dict]) -> None:
        wanted = _keys(self.group, events) - set(self.rows)
        found = _rows(self.db, self.session, wanted)
        self.rows.update({key: found.get(key) for key in wanted})

    def _row(self, stream: str) -> tuple[str, dict | None]:
        key = row_id(self.group, stream)
        if key not in self.rows:
            self.rows[key] = self.db.applied_versions.find_one({"_id": key}, session=self.session)
        return key, self.rows[key]

    def _change(self, key: str, row: dict | None, version: int) -> dict:
        """A copy of the row to change. A new row starts just before `version`: what came before the
        group's first event is not a hole (the group began after it, as after a replay of an old log)."""
        row = copy.deepcopy(row) if row is not None else {"_id": key, "version": version - 1, "deleted": False,
                                                           "holes": []}
        row.setdefault("holes", [])
        row["at"] = self.now
        self.rows[key] = row
        self.dirty.add(key)
        return row

    def admit(self, event: dict) -> str:
        """The guard's verdict on `event`, recorded: APPLY (now counted as applied), SKIP or PARK."""
        if event.get("version") is None:
            return APPLY if self._claim_id(event) else SKIP
        stream = stream_of(event)
        key, row = self._row(stream)
        verdict = decide(row, event, gaps=self.gaps and stream not in self.over_gaps)
        if verdict == APPLY:
            self._record(key, row, event)
        elif verdict == PARK:
            self._park(key, row, stream, event, apply=True)
        return verdict

    def _park(self, key: str, row: dict, stream: str, event: dict, *, apply: bool) -> None:
        row = self._change(key, row, event["version"])
        row["parked"] = sorted(set(row.get("parked", [])) | {event["version"]})
        self.parking[_parked_id(self.group, stream, event["version"])] = {"event": event, "apply": apply}

    def _record(self, key: str, row: dict | None, event: dict) -> None:
        version = event["version"]
        row = self._change(key, row, version)
        if version > row["version"]:
            _add(row["holes"], row["version"] + 1, version - 1)  # a gap let go, when not waited for
            row.update(version=version, type=event["type"], deleted=is_delete(event["type"]))
        else:
            row["holes"] = _without(row["holes"], version)
        if (row.get("held") or {}).get("event_id") == event["id"]:
            del row["held"]

    def forgo(self, event: dict) -> None:
        """A version that will not be applied (dead-lettered): later ones need not wait for it."""
        if event.get("version") is None:
            return
        stream = stream_of(event)
        key, row = self._row(stream)
        version = event["version"]
        verdict = decide(row, event, gaps=self.gaps and stream not in self.over_gaps)
        if verdict == PARK:  # behind a gap or a held event: its turn comes in order
            self._park(key, row, stream, event, apply=False)
        elif verdict == APPLY:
            row = self._change(key, row, version)
            if version > row["version"]:
                _add(row["holes"], row["version"] + 1, version)
                row["version"] = version
            if (row.get("held") or {}).get("event_id") == event["id"]:
                del row["held"]

    def hold(self, event: dict, reason: str) -> None:
        """Mark the aggregate held by its dead-lettered `event`: its later events wait for it."""
        if event.get("version") is None:
            return
        key, row = self._row(stream_of(event))
        if row is not None and row.get("deleted"):
            return  # nothing after the delete applies: nothing waits for it either
        row = self._change(key, row, event["version"])
        row["held"] = {"event_id": event["id"], "version": event["version"], "type": event["type"],
                       "reason": reason[:2000], "at": self.now}

    def due(self, stream: str) -> list[tuple[dict, bool]]:
        """Parked events now next in line (their gap filled, their aggregate no longer held), in order,
        each with whether to apply it (False: a dead letter's place, to forgo)."""
        key, row = self._row(stream)
        if not row or not row.get("parked") or row.get("held"):
            return []
        run, nxt = [], row["version"] + 1
        for version in row["parked"]:
            if version > nxt and stream not in self.over_gaps and not row.get("deleted"):
                break
            run.append(version)
            nxt = max(nxt, version) + 1
        return self._unpark(key, row, stream, run)

    def release(self, stream: str, *, unhold: bool) -> list[tuple[dict, bool]]:
        """An admin lets the aggregate go on: without its held event (`unhold`), and over its gaps.
        The parked events to apply now, in version order."""
        key, row = self._row(stream)
        if row is None or (row.get("held") and not unhold):
            return []
        row = self._change(key, row, row["version"])
        held = row.pop("held", None)
        if held and held["version"] > row["version"]:
            _add(row["holes"], row["version"] + 1, held["version"])
            row["version"] = held["version"]
        self.over_gaps.add(stream)
        return self._unpark(key, row, stream, list(row.get("parked", [])))

    def _unpark(self, key: str, row: dict, stream: str, versions: list[int]) -> list[tuple[dict, bool]]:
        if not versions:
            return []
        row = self._change(key, row, row["version"])
        row["parked"] = [v for v in row["parked"] if v not in set(versions)]
        ids = [_parked_id(self.group, stream, v) for v in versions]
        stored = {d["_id"]: d for d in self.db[PARKED].find(
            {"_id": {"$in": [i for i in ids if i not in self.parking]}}, session=self.session)}
        out = []
        for parked in ids:
            doc = self.parking.pop(parked, None) or stored.get(parked)
            self.unparked.add(parked)
            if doc is not None:
                out.append((doc["event"], doc.get("apply", True)))
        return out

    def flush(self) -> None:
        rows = [ReplaceOne({"_id": key}, self.rows[key], upsert=True) for key in sorted(self.dirty)]
        if rows:
            self.db.applied_versions.bulk_write(rows, ordered=False, session=self.session)
        parked = [DeleteOne({"_id": i}) for i in sorted(self.unparked - set(self.parking))] + [
            ReplaceOne({"_id": i}, {"_id": i, **doc, "at": self.now}, upsert=True)
            for i, doc in sorted(self.parking.items())]
        if parked:
            self.db[PARKED].bulk_write(parked, ordered=False, session=self.session)
        self.dirty, self.parking, self.unparked = set(), {}, set()

    def _claim_id(self, event: dict) -> bool:
        """Events written before versions existed: remembered by id, for a bounded window (a TTL index)."""
        key = f"{self.group}:{event['id']}"
        if self.db.processed_events.find_one({"_id": key}, session=self.session) is not None:
            return False
        self.db.processed_events.insert_one({"_id": key, "type": event["type"], "processed_at": self.now},
                                            session=self.session)
        return True


def claim(db, session, group: str, event: dict, now) -> bool:
    """True if `event` is new to `group` (and now recorded as applied). For one event a caller picked,
    not the whole stream: a version ahead is applied (the versions between become holes), none waits."""
    ledger = Ledger(db, session, group, now, gaps=False)
    verdict = ledger.admit(event)
    ledger.flush()
    return verdict == APPLY


# -- holes: sorted, disjoint [low, high] ranges of versions ----------------------------------------

def _holds(holes: list, version: int) -> bool:
    return any(low <= version <= high for low, high in holes)


def _add(holes: list, low: int, high: int) -> None:
    if low <= high:
        holes.append([low, high])
        holes.sort()


def _without(holes: list, version: int) -> list:
    out = []
    for low, high in holes:
        if low <= version <= high:
            out += [r for r in ([low, version - 1], [version + 1, high]) if r[0] <= r[1]]
        else:
            out.append([low, high])
    return out
