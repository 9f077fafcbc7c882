"""The emulator process keeps every acknowledged S3 object across a kill -9 (real process, real HTTP)."""

from __future__ import annotations

import io
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from boto3.s3.transfer import TransferConfig

from .kit import free_port_pair

BIG = b"0123456789abcdef" * (400 * 1024)  # 6.25 MiB: uploaded in two multipart parts


def _start(s3_dir: Path, port: int, log: Path) -> subprocess.Popen[bytes]:
    argv = [sys.executable, "-m", "mfstack.local.emulator", "--port", str(port), "--s3-dir", str(s3_dir)]
    proc = subprocess.Popen(argv, stdout=log.open("ab"), stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/moto-api/", timeout=1).close()
            return proc
        except OSError:
            assert proc.poll() is None, log.read_text()
            time.sleep(0.05)
    proc.kill()
    raise AssertionError("emulator did not answer within 60 s")


def _s3(port: int) -> Any:
    return boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="test",
        aws_secret_access_key="test",
    )


@pytest.fixture
def emulator(tmp_path: Path) -> Iterator[tuple[Path, int, list[subprocess.Popen[bytes]]]]:
    procs: list[subprocess.Popen[bytes]] = []
    yield tmp_path / "s3", free_port_pair(), procs
    for proc in procs:
        proc.kill()
        proc.wait(timeout=30)


def test_objects_survive_kill_9(emulator: tuple[Path, int, list[subprocess.Popen[bytes]]], tmp_path: Path) -> None:
    s3_dir, port, procs = emulator
    procs.append(_start(s3_dir, port, tmp_path / "emulator.log"))
    s3 = _s3(port)
    s3.create_bucket(Bucket="durable-bucket")
    s3.create_bucket(Bucket="dropped-bucket")
    s3.put_object(
        Bucket="durable-bucket", Key="a/b c.txt", Body=b"hello", ContentType="text/plain", Metadata={"k": "v"}
    )
    s3.upload_fileobj(
        io.BytesIO(BIG), "durable-bucket", "big.bin", Config=TransferConfig(multipart_threshold=5 * 1024**2)
    )
    s3.copy_object(Bucket="durable-bucket", Key="copy.txt", CopySource={"Bucket": "durable-bucket", "Key": "a/b c.txt"})
    s3.put_object(Bucket="durable-bucket", Key="overwritten", Body=b"old")
    s3.put_object(Bucket="durable-bucket", Key="overwritten", Body=b"new")
    s3.put_object(Bucket="durable-bucket", Key="deleted-one", Body=b"x")
    s3.put_object(Bucket="durable-bucket", Key="deleted-many", Body=b"y")
    s3.delete_object(Bucket="durable-bucket", Key="deleted-one")
    s3.delete_objects(Bucket="durable-bucket", Delete={"Objects": [{"Key": "deleted-many"}]})
    s3.delete_bucket(Bucket="dropped-bucket")

    procs[0].send_signal(signal.SIGKILL)  # a crash: no shutdown code runs
    procs[0].wait(timeout=30)
    procs.append(_start(s3_dir, port, tmp_path / "emulator.log"))
    s3 = _s3(port)

    assert [b["Name"] for b in s3.list_buckets()["Buckets"]] == ["durable-bucket"]
    keys = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="durable-bucket")["Contents"])
    assert keys == ["a/b c.txt", "big.bin", "copy.txt", "overwritten"]
    first = s3.get_object(Bucket="durable-bucket", Key="a/b c.txt")
    assert (first["Body"].read(), first["ContentType"], first["Metadata"]) == (b"hello", "text/plain", {"k": "v"})
    assert s3.get_object(Bucket="durable-bucket", Key="copy.txt")["Metadata"] == {"k": "v"}
    assert s3.get_object(Bucket="durable-bucket", Key="big.bin")["Body"].read() == BIG
    assert s3.get_object(Bucket="durable-bucket", Key="overwritten")["Body"].read() == b"new"
    assert "restored" in (tmp_path / "emulator.log").read_text()
