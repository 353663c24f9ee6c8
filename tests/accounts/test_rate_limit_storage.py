"""Sign-in limits kept in Redis hold across app instances (workers, nodes).

Each app instance runs in a process of its own, as on two nodes: the limiter is one object
per process, so two apps in one process would share it whatever the storage. They use
the real Redis at 127.0.0.1:6379, database 13, under a key prefix of this run's own,
deleted afterwards.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest
from flask import Flask

REDIS_URL = "redis://127.0.0.1:6379/13"
ROOT = Path(__file__).resolve().parents[2]
# One app instance: a few failed sign-ins from the same address; prints the statuses.
NODE = """
import json, sys
from directory import create_app

config, attempts, instance = json.loads(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
app = create_app(config, instance_path=instance)
client = app.test_client()
data = {"email": "someone@example.org", "password": "not the password"}
print(json.dumps([client.post("/accounts/login", data=data).status_code for _ in range(attempts)]))
"""

pytestmark = pytest.mark.slow


@pytest.fixture
def redis_prefix():
    """A key prefix of this test's own in Redis database 13; its keys are deleted after."""
    redis = pytest.importorskip("redis")
    client = redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError:
        if os.environ.get("CI"):
            pytest.fail("Redis is not running at 127.0.0.1:6379")
        pytest.skip("Redis is not running at 127.0.0.1:6379")
    prefix = f"civic-test-{uuid.uuid4().hex[:12]}"
    try:
        yield prefix
    finally:
        for key in client.scan_iter(match=f"*{prefix}*"):
            client.delete(key)
        client.close()


def node(settings: dict, attempts: int, instance: Path) -> list[int]:
    """Start an app instance in a new process; the statuses of its sign-in attempts."""
    done = subprocess.run(
        [sys.executable, "-c", NODE, json.dumps(settings), str(attempts), str(instance)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={k: v for k, v in os.environ.items() if not k.startswith("DIRECTORY_")},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])


def settings(database: dict, storage: str, prefix: str) -> dict:
    return {
        **database,
        "TESTING": True,
        "SECRET_KEY": "shared-between-nodes",
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_STORAGE_URI": storage,
        "RATELIMIT_KEY_PREFIX": prefix,
        "RATELIMIT_LOGIN": "3 per minute",
    }


def test_two_app_instances_share_the_sign_in_limit(
    app: Flask, database: dict, redis_prefix: str, tmp_path: Path
):
    shared = settings(database, REDIS_URL, redis_prefix)
    assert node(shared, 2, tmp_path) == [400, 400]
    # The other node has seen two attempts of its own, but the limit is three in all.
    assert node(shared, 2, tmp_path) == [400, 429]


def test_with_redis_down_each_instance_still_limits_in_memory(
    app: Flask, database: dict, tmp_path: Path
):
    # Nothing listens on port 1: the limiter falls back to counting in memory, no 500s.
    down = settings(database, "redis://127.0.0.1:1/13", "civic-test-down")
    assert node(down, 4, tmp_path) == [400, 400, 400, 429]
