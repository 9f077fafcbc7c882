"""mfstack: give Metaflow a cloud, or a local stack with the same contract."""

__version__ = "0.1.0"
