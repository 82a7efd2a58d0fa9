"""``python -m coatcheck keygen``: print a new random key, base64-encoded."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ._key import Key


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of ``python -m coatcheck``."""
    parser = argparse.ArgumentParser(prog="python -m coatcheck", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser(
        "keygen",
        help="print a new 64-byte key as URL-safe base64 (load it with Key.from_base64)",
    )
    parser.parse_args(argv)
    sys.stdout.write(Key.generate().to_base64() + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
