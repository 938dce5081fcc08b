"""The launched-plugin fixtures of tests/rpc (a real plugin process over mTLS), for the fault tests too."""
from tests.rpc.conftest import client, plugin  # noqa: F401 - fixtures

__all__ = ["client", "plugin"]
