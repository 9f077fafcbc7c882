"""The local profile carries every setting a cloud profile gets from the stack's outputs."""

from __future__ import annotations

from pathlib import Path

from mfstack.local.resources import LocalResources, profile_settings
from mfstack.stack.outputs import AUTH_KEY_SETTING, OUTPUTS, PROFILE_CONSTANTS


def test_every_cloud_setting_is_there_and_points_at_the_local_stack(tmp_path: Path) -> None:
    resources = LocalResources.for_data_dir(tmp_path)
    settings = profile_settings(resources, "http://127.0.0.1:1000", "http://127.0.0.1:1001", "key-1")
    cloud_keys = (
        {spec.metaflow_key for spec in OUTPUTS if spec.metaflow_key} | set(PROFILE_CONSTANTS) | {AUTH_KEY_SETTING}
    )
    assert cloud_keys <= set(settings)
    assert settings["METAFLOW_S3_ENDPOINT_URL"] == "http://127.0.0.1:1000"
    assert settings["METAFLOW_SERVICE_URL"] == settings["METAFLOW_SERVICE_INTERNAL_URL"] == "http://127.0.0.1:1001"
    assert settings[AUTH_KEY_SETTING] == "key-1"
    assert settings["METAFLOW_DATASTORE_SYSROOT_S3"] == f"s3://{resources.bucket}/metaflow"
    assert settings["METAFLOW_BATCH_JOB_QUEUE"].endswith(f":job-queue/{resources.job_queue}")


def test_names_follow_cloudformation_and_are_stable_per_data_dir(tmp_path: Path) -> None:
    one, again = LocalResources.for_data_dir(tmp_path / "a"), LocalResources.for_data_dir(tmp_path / "a")
    other = LocalResources.for_data_dir(tmp_path / "b")
    assert one == again and one.bucket != other.bucket
    assert one.bucket.startswith("metaflow-metaflows3bucket-") and one.bucket == one.bucket.lower()
    assert 3 <= len(one.bucket) <= 63
    assert one.table.startswith("metaflow-StepFunctionsStateDDB-")
    assert all(len(one.role_name(r)) <= 64 for r in ("StepFunctionsRole", "EventBridgeRole", "BatchS3TaskRole"))
