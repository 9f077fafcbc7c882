"""The embedded local stack (`mfstack up`): an AWS emulator and the metadata service on 127.0.0.1,
supervised from a data dir, with the same Metaflow settings as a deployed stack."""
