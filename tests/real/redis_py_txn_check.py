#!/usr/bin/python3
"""python3-redis transactions against a kvlab node (issue 12): the default pipeline() sends
MULTI ... EXEC; a command that fails while queuing discards the whole transaction, so no write
is left; EXEC applies atomically; WATCH aborts EXEC when a watched key changed (ABA included).
Usage: redis_py_txn_check.py PORT. Exit 0 on success; prints the failing check otherwise."""
import sys

import redis

r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), socket_timeout=20)
r.delete("txn:a", "txn:b", "txn:w", "txn:w2")

# A failing command in the default (transactional) pipeline: nothing is written.
pipe = r.pipeline()
pipe.set("txn:a", "1")
pipe.execute_command("SET", "txn:b")  # wrong arity: Redis discards the transaction.
failed = None
try:
    pipe.execute()
except redis.ResponseError as e:  # ExecAbortError is one.
    failed = e
assert r.get("txn:a") is None, "a discarded transaction left a write"
assert failed is not None and "wrong number" in str(failed), repr(failed)

# A good pipeline applies every command, in order, with each command's result.
pipe = r.pipeline()
pipe.set("txn:a", "1").incr("txn:a").get("txn:a").mget("txn:a", "nope")
assert pipe.execute() == [True, 2, b"2", [b"2", None]]

# A command's own error inside EXEC is its result; the others still apply (Redis: no rollback).
pipe = r.pipeline()
pipe.set("txn:b", "x").incr("txn:b").set("txn:a", "3")
out = pipe.execute(raise_on_error=False)
assert out[0] is True and isinstance(out[1], redis.ResponseError) and out[2] is True, out
assert r.get("txn:a") == b"3"

# WATCH: a change by another client (even back to the same value: ABA) aborts EXEC.
r.set("txn:w", "v")
pipe = r.pipeline()
pipe.watch("txn:w")
other = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), socket_timeout=20)
other.set("txn:w", "changed")
other.set("txn:w", "v")
pipe.multi()
pipe.set("txn:w", "mine")
try:
    pipe.execute()
    raise AssertionError("WatchError expected")
except redis.WatchError:
    pass
assert r.get("txn:w") == b"v"

# WATCH with no change: EXEC applies. redis-py's transaction() helper retries on WatchError.
def bump(p):
    n = int(p.get("txn:w2") or 0)
    p.multi()
    p.set("txn:w2", n + 1)
for _ in range(3):
    r.transaction(bump, "txn:w2")
assert r.get("txn:w2") == b"3"
print("ok")
