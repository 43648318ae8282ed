#!/usr/bin/python3
"""Differential test (issue 12): one seeded stream of commands sent to redis-server and to a
kvlab node; every reply, errors included, must be equal.
Usage: redis_diff_check.py REDIS_PORT KVLAB_PORT [SEED] [COUNT]. Exit 0 when every reply matched;
prints the first differences otherwise.

The stream covers what kvlab serves (README, "Commands"): strings, counters, multi-key commands,
expiry options, transactions (MULTI/EXEC/DISCARD/WATCH/UNWATCH, with queuing errors) and bad
arities/options. Normalisations (each one needed because the two servers must differ):
  - none on replies: only commands whose replies are deterministic are generated (no TIME, INFO,
    CLIENT ID, relative TTLs), so replies are compared byte for byte as redis-py parses them;
  - error texts are compared whole, except the text after "ERR unknown command" (both start with
    it; Redis quotes the arguments its own way for long ones) -- none are generated today.
Bounded: COUNT commands (default 3000) over a small key space, one connection each."""
import random
import sys

import redis

KEYS = ["k%d" % i for i in range(8)]


def rand_cmd(rng):
    k = rng.choice(KEYS)
    v = rng.choice(["1", "7", "-3", "abc", "", "9223372036854775807", "x" * 40])
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
    for i in range(count):
        args = rand_cmd(rng)
        ra, rb = reply_of(a, args), reply_of(b, args)
        if ra != rb:
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
