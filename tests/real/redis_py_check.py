#!/usr/bin/python3
"""python3-redis against a kvlab node: binary keys/values, pipelines, 1 MiB values.
Usage: redis_py_check.py PORT. Exit 0 on success; prints the failing check otherwise."""
import sys

import redis

r = redis.Redis(host="127.0.0.1", port=int(sys.argv[1]), socket_timeout=20)
assert r.ping()
key = b"bin\x00\r\n\xff key"
val = bytes(range(256)) * 4
assert r.set(key, val)
assert r.get(key) == val, "binary value"
big = bytes((i * 131) % 256 for i in range(1 << 20))
assert r.set("big", big)
assert r.get("big") == big, "1 MiB value"
pipe = r.pipeline(transaction=False)
for i in range(500):
    pipe.set(f"p{i}", i)
for i in range(500):
    pipe.get(f"p{i}")
out = pipe.execute()
assert out[:500] == [True] * 500, "pipelined SETs"
assert out[500:] == [str(i).encode() for i in range(500)], "pipelined GETs in order"
assert r.incr("counter") == 1 and r.incr("counter") == 2
assert r.mget("p1", "nope") == [b"1", None]
assert r.delete("p1", "p2", "nope") == 2
assert r.exists("p3") == 1
assert r.set("nx", "1", nx=True) and r.set("nx", "2", nx=True) is None
assert r.set("ttl", "x", ex=100)
info = r.info()
assert "redis_version" in info and "connected_clients" in info
try:
    r.execute_command("NOSUCHCOMMAND")
    raise AssertionError("unknown command accepted")
except redis.ResponseError as e:
    assert "unknown command" in str(e)
print("ok")
