"""Bot API file ids of TDLib's newer file types (tests/files_file_id.rs), through pyrotgfork's
`pyrogram.file_id` (from PyPI; `.ci/python-venv.sh` installs it in its own folder, since
kurigram is `pyrogram` too).

Reads one JSON object on stdin:
  {"decode": [{"name", "file_id"}],                                     ids tgwire packed
   "encode": [{"name", "file_type", "dc_id", "id", "access_hash", "file_reference"}]}
and prints one JSON line:
  {"types": {NAME: value},                     pyrotgfork's FileType enum
   "photo_types": [value],                     the types it reads with the photo layout
   "decoded": [{"name", "file_type", "dc_id", "media_id", "access_hash", "file_reference"}],
   "encoded": [{"name", "file_id"}]}
Byte strings are hex.
"""

import json
import logging
import os
import sys
import warnings

warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)

sys.path.insert(0, os.path.join(sys.prefix, "pyrotgfork"))

from importlib.metadata import version  # noqa: E402

import pyrogram  # noqa: E402
from pyrogram.file_id import PHOTO_TYPES, FileId, FileType  # noqa: E402


def main():
    assert os.path.dirname(pyrogram.__file__).startswith(os.path.join(sys.prefix, "pyrotgfork"))
    assert version("pyrotgfork") == "2.2.24.1", version("pyrotgfork")
    request = json.load(sys.stdin)
    decoded = []
    for item in request["decode"]:
        f = FileId.decode(item["file_id"])
        decoded.append({
            "name": item["name"],
            "file_type": int(f.file_type),
            "dc_id": f.dc_id,
            "media_id": f.media_id,
            "access_hash": f.access_hash,
            "file_reference": (f.file_reference or b"").hex(),
        })
    encoded = []
    for item in request["encode"]:
        f = FileId(file_type=FileType(item["file_type"]), dc_id=item["dc_id"],
                   media_id=item["id"], access_hash=item["access_hash"],
                   file_reference=bytes.fromhex(item["file_reference"]))
        encoded.append({"name": item["name"], "file_id": f.encode()})
    print(json.dumps({
        "types": {t.name: int(t) for t in FileType},
        "photo_types": sorted(int(t) for t in PHOTO_TYPES),
        "decoded": decoded,
        "encoded": encoded,
    }))


if __name__ == "__main__":
    main()
