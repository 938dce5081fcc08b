"""plugin.json's `settings_schema`, built from the settings table (docs/extending.md, "Adding a setting").

    python -m plugin.oauth.settings                      # print it
    python -m plugin.oauth.settings --write plugin.json  # replace that section of the manifest with it
"""
from __future__ import annotations

import argparse
import json
import sys

from . import manifest_schema


def _dumps(value) -> str:
    return json.dumps(value, indent=2, ensure_ascii=False) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m plugin.oauth.settings", description=__doc__.splitlines()[0])
    parser.add_argument("--write", metavar="MANIFEST", help="replace the settings_schema of this plugin.json")
    args = parser.parse_args(argv)
    if not args.write:
        sys.stdout.write(_dumps(manifest_schema()))
        return 0
    with open(args.write, encoding="utf-8") as f:
        raw = json.load(f)
    raw["settings_schema"] = manifest_schema()
    with open(args.write, "w", encoding="utf-8") as f:
        f.write(_dumps(raw))
    return 0


if __name__ == "__main__":
    sys.exit(main())
