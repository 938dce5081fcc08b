"""The committed Python code generated from proto/ matches what the one generation command produces."""
from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT


def test_generated_protobuf_code_is_not_stale(tmp_path):
    subprocess.run([sys.executable, str(ROOT / "proto" / "generate.py"), "--out", str(tmp_path)], check=True)
    generated = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*") if p.is_file())
    assert generated, "the generator produced nothing"
    stale = [str(p) for p in generated if (ROOT / "proto" / p).read_bytes() != (tmp_path / p).read_bytes()]
    missing = [str(p) for p in generated if not (ROOT / "proto" / p).exists()]
    assert not missing, f"generated files not committed: {missing} (run: python proto/generate.py)"
    assert not stale, f"stale generated files: {stale} (run: python proto/generate.py)"


def test_every_proto_file_has_committed_generated_code():
    for proto in (ROOT / "proto").rglob("*.proto"):
        assert proto.with_name(proto.stem + "_pb2.py").exists(), proto
