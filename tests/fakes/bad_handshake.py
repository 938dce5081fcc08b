"""A fake plugin that prints the handshake line given in FAKE_HANDSHAKE (or exits, or hangs)."""
import os
import sys
import time

mode = os.environ.get("FAKE_MODE", "print")
if mode == "exit":
    sys.stderr.write("fatal: cannot start\n")
    sys.exit(3)
if mode == "hang":
    time.sleep(60)
sys.stdout.write(os.environ.get("FAKE_HANDSHAKE", "") + "\n")
sys.stdout.flush()
time.sleep(60)
