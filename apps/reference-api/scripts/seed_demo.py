"""Seed the demo data: `python scripts/seed_demo.py` (the same as `alfred-api seed`)."""

import sys

from alfred_reference_api.cli import main

if __name__ == "__main__":
    sys.exit(main(["seed"]))
