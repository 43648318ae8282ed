#!/usr/bin/python3
"""Differential test (issue 12): one seeded stream of commands sent to redis-server and to a
kvlab node; every reply, errors included, must be equal.
Usage: redis_diff_check.py REDIS_PORT KVLAB_PORT [SEED] [COUNT]. Exit 0 when every reply matched;
prints the first differences otherwise.

The stream covers what kvlab serves (README, "Redis commands served"): strings, counters,
multi-key commands, expiry options and the expiry commands (EXPIRE family with NX/XX/GT/LT,
PERSIST, TTL/PTTL of keys without a TTL or with one far away), SET GET/KEEPTTL, SETNX, GETSET,
GETDEL, GETEX, APPEND, STRLEN, TYPE, INCRBYFLOAT, RENAME(NX), COPY, KEYS, SCAN, OBJECT ENCODING,
MEMORY USAGE, transactions (MULTI/EXEC/DISCARD/WATCH/UNWATCH, with queuing errors) and bad
arities/options. Normalisations (each one needed because the two servers must differ):
  - only commands whose replies are deterministic are generated (no TIME, INFO, CLIENT ID,
    RANDOMKEY), so replies are compared as redis-py parses them, except:
  - TTL and PTTL of a key with a TTL: the two servers' clocks differ by the time between the two
    calls, so a TTL is compared as "present, within 2 s of the other" (PTTL: 2000 ms);
  - KEYS: compared as sets (Redis answers in hash-table order, kvlab in key order); SCAN: the
    cursor is opaque (each server's own), so the test walks each server's cursor to the end
    and compares the sets of keys returned; MEMORY USAGE: an estimate, compared as "an integer"
    (or nil for an absent key); OBJECT ENCODING after APPEND is skipped (Redis makes an appended
    value "raw"; kvlab answers from the value);
  - error texts are compared whole, except the text after "ERR unknown command" (both start with
    it; Redis quotes the arguments its own way for long ones) -- none are generated today.
Bounded: COUNT commands (default 3000) over a small key space, one connection each."""
import random
import sys

import redis

KEYS = ["k%d" % i for i in range(8)]
# Replies compared with a normalisation (see the docstring): never queued inside MULTI.
UNORDERED = ("SCAN", "KEYS", "TTL", "PTTL", "EXPIRETIME", "MEMORY", "OBJECT")
FLOATS = ["1.5", "-0.25", "3", "1e3", "abc", "", " 1", "inf", "0x10", "5.0e-1"]
TIMES = ["100", "0", "-5", "999999", "x", "9223372036854775807", "2000000000"]
EXPIRE_OPTS = [[], [], ["NX"], ["XX"], ["GT"], ["LT"], ["NX", "XX"], ["GT", "LT"], ["BAD"]]


def rand_new_cmd(rng, k, v):
    """The commands added for issue 12."""
    k2 = rng.choice(KEYS)
    roll = rng.random()
    if roll < 0.12:
        name = rng.choice(["EXPIRE", "PEXPIRE", "EXPIREAT", "PEXPIREAT"])
        t = rng.choice(TIMES)
        if name.endswith("AT") and t == "100":
            t = "4102444800"  # far in the future (2100) in seconds; in 1970 in milliseconds
        elif name == "PEXPIRE" and t == "100":
            t = "100000"  # no deadline near the stream's own duration: the servers' clocks differ a little
        return [name, k, t] + rng.choice(EXPIRE_OPTS)
    if roll < 0.22:
        return [rng.choice(["TTL", "PTTL", "PERSIST", "TYPE", "STRLEN", "GETDEL", "EXPIRETIME"]), k]
    if roll < 0.32:
        return ["SET", k, v] + rng.choice([["GET"], ["KEEPTTL"], ["NX", "GET"], ["XX", "GET"], ["GET", "EX", "100"],
                                             ["KEEPTTL", "EX", "5"], ["GET", "GET"], ["NX", "NX"], ["EX", "1", "EX", "100"],
                                             ["EX", "x", "BAD"], ["KEEPTTL", "PERSIST"]])
    if roll < 0.42:
        return [rng.choice(["SETNX", "GETSET", "APPEND"]), k, v]
    if roll < 0.5:
        return ["GETEX", k] + rng.choice([[], ["PERSIST"], ["EX", "100"], ["PX", "0"], ["EXAT", "1"], ["PXAT", "x"],
                                           ["EX", "100", "PERSIST"], ["NX"], ["PERSIST", "PERSIST"]])
    if roll < 0.6:
        return ["INCRBYFLOAT", k, rng.choice(FLOATS)]
    if roll < 0.7:
        return [rng.choice(["RENAME", "RENAMENX"]), k, k2]
    if roll < 0.78:
        return ["COPY", k, k2] + rng.choice([[], ["REPLACE"], ["DB", "0"], ["DB", "x"], ["BAD"], ["DB"]])
    if roll < 0.85:
        return ["KEYS", rng.choice(["*", "k[0-3]", "k?", "x*", "k\\1", "[^k]*"])]
    if roll < 0.9:
        return ["SCAN", rng.choice(["0", "x", "", " 0"])] + rng.choice([[], ["COUNT", "2"], ["MATCH", "k[1-4]"],
                                                                   ["COUNT", "0"], ["TYPE", "STRING"], ["TYPE", "hash"],
                                                                   ["COUNT"], ["BAD", "1"]])
    if roll < 0.95:
        return rng.choice([["OBJECT", "ENCODING", k], ["MEMORY", "USAGE", k], ["OBJECT", "BAD", k], ["MEMORY", "USAGE"],
                           ["OBJECT", "ENCODING"]])
    return rng.choice([["TTL"], ["EXPIRE", k], ["SETNX", k], ["RENAME", k], ["COPY", k], ["SCAN"], ["KEYS"],
                       ["GETEX"], ["INCRBYFLOAT", k], ["TYPE", k, k2]])


def rand_cmd(rng):
    k = rng.choice(KEYS)
    v = rng.choice(["1", "7", "-3", "abc", "", "9223372036854775807", "x" * 40])
    if rng.random() < 0.4:
        return rand_new_cmd(rng, k, v)
    roll = rng.random()
    if roll < 0.15:
        return ["SET", k, v] + rng.choice([[], ["NX"], ["XX"], ["EX", "100"], ["PX", "100000"], ["EX", "0"],
                                             ["NX", "XX"], ["EX"], ["BAD"]])
    if roll < 0.3:
        return ["GET", k]
    if roll < 0.4:
        return [rng.choice(["INCR", "DECR"]), k]
    if roll < 0.47:
        return [rng.choice(["INCRBY", "DECRBY"]), k, rng.choice(["5", "-2", "x", "9223372036854775807"])]
    if roll < 0.55:
        return [rng.choice(["DEL", "EXISTS", "MGET", "UNLINK"])] + rng.sample(KEYS, rng.randint(1, 3))
    if roll < 0.6:
        return ["MSET"] + [x for key in rng.sample(KEYS, 2) for x in (key, v)]
    if roll < 0.63:
        return rng.choice([["DBSIZE"], ["GET"], ["MSET", k], ["SETEX", k, "100", v], ["PSETEX", k, "-1", v]])
    if roll < 0.7:
        return ["WATCH"] + rng.sample(KEYS, rng.randint(1, 2))
    if roll < 0.75:
        return [rng.choice(["UNWATCH", "DISCARD", "EXEC", "PING", "ECHO"])] + (["hi"] if rng.random() < 0.3 else [])
    return ["MULTI"]


def plain(reply):
    # Errors inside an EXEC reply come back as exception objects: compare their texts.
    if isinstance(reply, list):
        return [plain(x) for x in reply]
    if isinstance(reply, Exception):
        return ("error", str(reply))
    return reply


def reply_of(conn, args):
    try:
        return plain(conn.execute_command(*args))
    except redis.ResponseError as e:
        return ("error", str(e))


def scan_all(conn, args):
    """Walks a SCAN to its end from the given arguments; the set of keys, or the first error."""
    keys, cursor, first = set(), None, True
    while first or cursor != b"0":
        call = list(args)
        if not first:
            call[1] = cursor
        reply = reply_of(conn, call)
        if isinstance(reply, tuple):
            return reply
        cursor, page = reply
        keys.update(page)
        first = False
    return ("keys", sorted(keys))


def same(args, ra, rb, appended):
    """Equal replies, with the normalisations of the module's docstring."""
    name = args[0].upper()
    if isinstance(ra, int) and isinstance(rb, int) and name in ("TTL", "PTTL", "EXPIRETIME") and ra >= 0 and rb >= 0:
        return abs(ra - rb) <= (2 if name == "TTL" else 2000)
    if name == "KEYS" and isinstance(ra, list) and isinstance(rb, list):
        return sorted(ra) == sorted(rb)
    if name == "MEMORY" and isinstance(ra, int) and isinstance(rb, int):
        return True
    if name == "OBJECT" and len(args) == 3 and args[2] in appended:
        return type(ra) == type(rb)
    return ra == rb


def note_append(args, appended):
    """Keys whose Redis encoding depends on history (APPEND makes it raw) until overwritten."""
    name = args[0].upper()
    if name == "APPEND":
        appended.add(args[1])
    elif name in ("SET", "GETSET", "SETNX", "INCRBYFLOAT", "INCR", "DECR", "INCRBY", "DECRBY", "MSET", "RENAME",
                  "RENAMENX", "COPY", "FLUSHALL"):
        appended.clear()  # conservative: any overwrite may have changed it


def main():
    redis_port, kvlab_port = int(sys.argv[1]), int(sys.argv[2])
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    count = int(sys.argv[4]) if len(sys.argv) > 4 else 3000
    rng = random.Random(seed)
    # Raw replies (no per-command parsing), one connection each, both flushed first.
    a = redis.Redis(port=redis_port, socket_timeout=20, single_connection_client=True)
    b = redis.Redis(port=kvlab_port, socket_timeout=20, single_connection_client=True)
    for c in (a, b):
        c.response_callbacks.clear()
        c.execute_command("FLUSHALL")
    diffs = []
    appended = set()
    in_multi = False
    for i in range(count):
        args = rand_cmd(rng)
        while in_multi and args[0] in UNORDERED:  # inside EXEC their replies cannot be normalised
            args = rand_cmd(rng)
        if args[0] == "SCAN":
            ra, rb = scan_all(a, args), scan_all(b, args)
        else:
            ra, rb = reply_of(a, args), reply_of(b, args)
        if args[0] == "MULTI" and ra == b"OK":
            in_multi = True
        if args[0] == "EXEC" or (args[0] == "DISCARD" and len(args) == 1):
            in_multi = False
        note_append(args, appended)
        if not same(args, ra, rb, appended):
            diffs.append("#%d %s: redis=%r kvlab=%r" % (i, " ".join(args), ra, rb))
    for d in diffs[:20]:
        print(d)
    if diffs:
        print("%d of %d replies differ (seed %d)" % (len(diffs), count, seed))
        return 1
    print("ok: %d replies equal (seed %d)" % (count, seed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
