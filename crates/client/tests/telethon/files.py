"""Telethon 1.45 and tgwire exchange files through tgwire-testserver (tests/files_telethon.rs).

Usage: python files.py READY_JSON PHONE CODE UPLOAD_SIZE

Signed in as PHONE on DC 2, it downloads the newest document in Saved Messages whose caption
starts with "from tgwire" (tgwire uploaded it), then uploads UPLOAD_SIZE random bytes there as a
document captioned "from telethon". It prints one JSON line:
{"downloaded_sha256": ..., "downloaded_len": ..., "uploaded_sha256": ..., "uploaded_len": ...}
"""

import asyncio
import hashlib
import io
import json
import os
import sys

import telethon
from telethon import TelegramClient
from telethon.crypto import rsa
from telethon.sessions import MemorySession

API_ID, API_HASH = 17349, "344583e45741c457fe1862106095a5eb"


async def main():
    ready, phone, code, upload_size = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], int(sys.argv[4])
    assert telethon.__version__ == "1.45.0", telethon.__version__
    rsa.add_key(ready["rsa_public_key_pem"], old=False)
    dc2 = next(dc for dc in ready["dcs"] if dc["id"] == 2)
    client = TelegramClient(MemorySession(), API_ID, API_HASH, request_retries=3, timeout=30)
    client.session.set_dc(dc2["id"], dc2["host"], dc2["port"])
    await client.connect()
    try:
        await client.send_code_request(phone)
        await client.sign_in(phone, code)
        message = None
        async for m in client.iter_messages("me", limit=20):
            if m.document and (m.message or "").startswith("from tgwire"):
                message = m
                break
        assert message is not None, "no document from tgwire in Saved Messages"
        downloaded = await client.download_media(message, file=bytes)
        data = os.urandom(upload_size)
        upload = io.BytesIO(data)
        upload.name = "from-telethon.bin"
        await client.send_file("me", upload, caption="from telethon", force_document=True)
        print(json.dumps({
            "downloaded_sha256": hashlib.sha256(downloaded).hexdigest(),
            "downloaded_len": len(downloaded),
            "uploaded_sha256": hashlib.sha256(data).hexdigest(),
            "uploaded_len": len(data),
        }), flush=True)
    finally:
        await client.disconnect()


if __name__ == "__main__":
    asyncio.run(main())
