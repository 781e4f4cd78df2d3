"""A Telethon 1.45 user talks to a tgwire bot through tgwire-testserver (tests/events_telethon.rs).

Usage: python echo.py READY_JSON PHONE CODE BOT_USERNAME

Signed in as PHONE on DC 2, it sends the bot /start and then each of a few texts, waiting for
each answer with Telethon's own NewMessage event handler. It prints one JSON line:
{"exchanges": [{"sent": ..., "answer": ..., "from_bot": bool}, ...]}
"""

import asyncio
import json
import sys

import telethon
from telethon import TelegramClient, events
from telethon.crypto import rsa
from telethon.sessions import MemorySession

API_ID, API_HASH = 17349, "344583e45741c457fe1862106095a5eb"
TEXTS = ["/start", "hello from Telethon", "second message", "unicode: ✓ 🦀", "the last one"]
ANSWER_TIMEOUT = 60


async def main():
    ready, phone, code, bot_username = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    assert telethon.__version__ == "1.45.0", telethon.__version__
    rsa.add_key(ready["rsa_public_key_pem"], old=False)
    dc2 = next(dc for dc in ready["dcs"] if dc["id"] == 2)
    client = TelegramClient(MemorySession(), API_ID, API_HASH, request_retries=3, timeout=30)
    client.session.set_dc(dc2["id"], dc2["host"], dc2["port"])
    await client.connect()
    try:
        await client.send_code_request(phone)
        await client.sign_in(phone, code)
        bot = await client.get_entity(bot_username)
        answers = asyncio.Queue()

        @client.on(events.NewMessage(incoming=True, chats=[bot]))
        async def on_answer(event):
            await answers.put((event.raw_text, event.sender_id == bot.id))

        exchanges = []
        for text in TEXTS:
            await client.send_message(bot, text)
            answer, from_bot = await asyncio.wait_for(answers.get(), ANSWER_TIMEOUT)
            exchanges.append({"sent": text, "answer": answer, "from_bot": from_bot})
        print(json.dumps({"exchanges": exchanges}), flush=True)
    finally:
        await client.disconnect()


if __name__ == "__main__":
    asyncio.run(main())
