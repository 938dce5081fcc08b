"""Kept for scripts written against the former name: see plugin/edge/__init__.py."""
from plugin.rpc.runtime import open_store  # noqa: F401

__all__ = ["open_store"]
