"""Bot API file ids through two independent implementations (tests/files_file_id.rs):
kurigram's `pyrogram.file_id` (the current format, with file references) and Telethon 1.45's
`utils.resolve_bot_file_id` / `pack_bot_file_id` (the old format).

Reads one JSON object on stdin:
  {"decode": [{"name", "file_id", "unique_id", "old_id"}],          ids tgwire packed
   "encode": [{"name", "kind": "document"|"photo"|"profile"|"legacy_photo", fields...}]}
and prints one JSON line:
  {"decoded": [{"name", fields kurigram read, "unique": ..., "telethon": ...}],
   "encoded": [{"name", "file_id", "unique_id", "old_id"}]}
Integers stay integers; byte strings are hex.
"""

import json
import logging
import sys
import warnings

warnings.simplefilter("ignore")
logging.disable(logging.CRITICAL)

import telethon  # noqa: E402
from telethon import types, utils  # noqa: E402
from pyrogram.file_id import (  # noqa: E402
    FileId,
    FileType,
    FileUniqueId,
    FileUniqueType,
    ThumbnailSource,
)


def read_unique(unique_id):
    try:
        u = FileUniqueId.decode(unique_id)
    except Exception as e:  # kurigram reads web, legacy photo and document unique ids only
        return {"error": type(e).__name__}
    return {
        "type": int(u.file_unique_type),
        "media_id": u.media_id,
        "volume_id": u.volume_id,
        "local_id": u.local_id,
    }


def read_telethon(old_id):
    if not old_id:
        return None
    media = utils.resolve_bot_file_id(old_id)
    if media is None:
        return {"error": "None"}
    out = {"class": type(media).__name__, "id": media.id, "access_hash": media.access_hash,
           "dc_id": media.dc_id}
    if isinstance(media, types.Document):
        out["file_type"] = _doc_type(media)
    return out


def _doc_type(document):
    for a in document.attributes:
        if isinstance(a, types.DocumentAttributeAudio):
            return 3 if a.voice else 9
        if isinstance(a, types.DocumentAttributeVideo):
            return 13 if a.round_message else 4
        if isinstance(a, types.DocumentAttributeSticker):
            return 8
        if isinstance(a, types.DocumentAttributeAnimated):
            return 10
    return 5


def decode(item):
    f = FileId.decode(item["file_id"])
    out = {
        "name": item["name"],
        "major": f.major,
        "minor": f.minor,
        "file_type": int(f.file_type),
        "dc_id": f.dc_id,
        "file_reference": (f.file_reference or b"").hex(),
        "media_id": f.media_id,
        "access_hash": f.access_hash,
        "thumbnail_source": None if f.thumbnail_source is None else int(f.thumbnail_source),
        "thumbnail_file_type": None if f.thumbnail_file_type is None else int(f.thumbnail_file_type),
        "thumbnail_size": f.thumbnail_size or None,
        "chat_id": f.chat_id,
        "chat_access_hash": f.chat_access_hash,
        "sticker_set_id": f.sticker_set_id,
        "sticker_set_version": f.sticker_set_version,
        "volume_id": f.volume_id,
        "local_id": f.local_id,
        "secret": f.secret,
        "unique": read_unique(item["unique_id"]),
        "telethon": read_telethon(item.get("old_id")),
    }
    return out


def encode(item):
    kind = item["kind"]
    reference = bytes.fromhex(item.get("file_reference", ""))
    out = {"name": item["name"], "old_id": None}
    if kind == "document":
        f = FileId(file_type=FileType(item["file_type"]), dc_id=item["dc_id"],
                   media_id=item["id"], access_hash=item["access_hash"], file_reference=reference)
        unique = FileUniqueId(file_unique_type=FileUniqueType.DOCUMENT, media_id=item["id"])
        attributes = {
            3: [types.DocumentAttributeAudio(duration=0, voice=True)],
            9: [types.DocumentAttributeAudio(duration=0, voice=False)],
            4: [types.DocumentAttributeVideo(duration=0, w=0, h=0)],
            13: [types.DocumentAttributeVideo(duration=0, w=0, h=0, round_message=True)],
            8: [types.DocumentAttributeSticker(alt="", stickerset=types.InputStickerSetEmpty())],
            10: [types.DocumentAttributeAnimated()],
        }.get(item["file_type"], [])
        document = types.Document(id=item["id"], access_hash=item["access_hash"],
                                  file_reference=b"", date=None, mime_type="", size=0,
                                  dc_id=item["dc_id"], attributes=attributes)
        out["old_id"] = utils.pack_bot_file_id(document)
    elif kind == "photo":
        f = FileId(file_type=FileType.PHOTO, dc_id=item["dc_id"], media_id=item["id"],
                   access_hash=item["access_hash"], file_reference=reference,
                   thumbnail_source=ThumbnailSource.THUMBNAIL,
                   thumbnail_file_type=FileType.PHOTO, thumbnail_size=item["thumb"],
                   volume_id=0, local_id=0)
        unique = None
    elif kind == "profile":
        source = ThumbnailSource.CHAT_PHOTO_BIG if item["big"] else ThumbnailSource.CHAT_PHOTO_SMALL
        f = FileId(file_type=FileType.CHAT_PHOTO, dc_id=item["dc_id"], media_id=item["id"],
                   access_hash=0, thumbnail_source=source, chat_id=item["chat_id"],
                   chat_access_hash=item["chat_access_hash"], volume_id=0, local_id=0)
        unique = None
    elif kind == "legacy_photo":
        f = FileId(file_type=FileType.PHOTO, dc_id=item["dc_id"], media_id=item["id"],
                   access_hash=item["access_hash"], thumbnail_source=ThumbnailSource.FULL_LEGACY,
                   volume_id=item["volume_id"], local_id=item["local_id"], secret=item["secret"])
        unique = FileUniqueId(file_unique_type=FileUniqueType.PHOTO,
                              volume_id=item["volume_id"], local_id=item["local_id"])
    else:
        raise ValueError(kind)
    minor = item.get("minor")
    out["file_id"] = f.encode(minor=minor) if minor is not None else f.encode()
    out["unique_id"] = unique.encode() if unique else None
    return out


def main():
    assert telethon.__version__ == "1.45.0", telethon.__version__
    request = json.load(sys.stdin)
    print(json.dumps({
        "decoded": [decode(item) for item in request["decode"]],
        "encoded": [encode(item) for item in request["encode"]],
    }))


if __name__ == "__main__":
    main()
