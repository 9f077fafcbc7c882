"""The Metaflow metadata service: a drop-in replacement for the reference service.

`mfstack service` (see `mfstack.cli.service`) runs it; `create_app(config)` builds the ASGI app.
"""
