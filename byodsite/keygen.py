"""Print a new BYOD_ENCRYPTION_KEYS entry: `python -m byodsite.keygen [KEY_ID]`."""

from __future__ import annotations

import sys

from byodsite.env import new_encryption_key_entry

if __name__ == "__main__":
    print(new_encryption_key_entry(sys.argv[1] if len(sys.argv) > 1 else "k1"))
