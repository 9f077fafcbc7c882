"""The environment a command gets under `mfstack run` / `shell` / `notebook`.

The local stack needs no AWS account: the user's AWS identity (profile, SSO, tokens, config
files) is taken out of the command's environment and replaced by dummy credentials, every
boto3 client is pointed at the emulator (`AWS_ENDPOINT_URL`), and Metaflow reads the stack's
profile (`METAFLOW_PROFILE`, `METAFLOW_HOME`).
"""

from __future__ import annotations

import os
from collections.abc import Mapping

from mfstack.errors import LocalStackError
from mfstack.local.layout import DataDir
from mfstack.local.resources import emulated_aws_env
from mfstack.local.stack import inspect, wait_for_batch_queue

# Metaflow refuses to run without a user name other than root; the local stack then names one.
FALLBACK_USER = "local-user"


def stack_environment(data_dir: DataDir, base: Mapping[str, str] | None = None) -> dict[str, str]:
    """`base` (default: this process's environment) set up for the running stack in `data_dir`."""
    status = inspect(data_dir)
    if not status.complete or status.state is None:
        raise LocalStackError(
            f"No local stack is running in {data_dir.root}.",
            hint=f"Start it with `mfstack up --data-dir {data_dir.root}` (or without --data-dir for the default).",
        )
    state = status.state
    wait_for_batch_queue(data_dir)  # so `step-functions create` finds the queue right after `up`
    env = emulated_aws_env(base if base is not None else os.environ)
    env.update(
        {
            "AWS_ENDPOINT_URL": state.emulator_url,
            "METAFLOW_PROFILE": state.profile,
            "METAFLOW_HOME": state.metaflow_home,
            "MFSTACK_LOCAL_DATA_DIR": str(data_dir.root),
        }
    )
    if not _metaflow_user_known(env):
        env["METAFLOW_USER"] = FALLBACK_USER
    return env


def _metaflow_user_known(env: Mapping[str, str]) -> bool:
    """True when Metaflow finds a user name (it refuses none and 'root')."""
    names = [env.get(k) for k in ("METAFLOW_USER", "SUDO_USER", "USERNAME", "USER")]
    return any(name and name != "root" for name in names)
