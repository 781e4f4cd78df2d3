"""A Telethon 1.45 user presses a tgwire bot's buttons and uses its inline mode through
tgwire-testserver (tests/bots_telethon.rs).

Usage: python buttons.py READY_JSON PHONE CODE BOT_USERNAME

Signed in as PHONE on DC 2, it sends the bot /start, reads the menu's buttons, presses the
callback button (Telethon's Message.click), waits for the bot's edit, asks the bot inline,
sends the first result to its saved messages and presses that message's button. It prints one
JSON line with what it saw.
"""

import asyncio
import json
import sys

import telethon
from telethon import TelegramClient, events
from telethon.crypto import rsa
from telethon.sessions import MemorySession

API_ID, API_HASH = 17349, "344583e45741c457fe1862106095a5eb"
ANSWER_TIMEOUT = 60


async def edited_text(client, chat, msg_id, want):
    """The message's text once it is `want` (or whatever it is after a while)."""
    text = None
    for _ in range(300):
        message = await client.get_messages(chat, ids=msg_id)
        text = message.raw_text if message else None
        if text == want:
            break
        await asyncio.sleep(0.1)
    return text


async def main():
    ready, phone, code, bot_username = json.loads(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]
    assert telethon.__version__ == "1.45.0", telethon.__version__
    rsa.add_key(ready["rsa_public_key_pem"], old=False)
    dc2 = next(dc for dc in ready["dcs"] if dc["id"] == 2)
    client = TelegramClient(MemorySession(), API_ID, API_HASH, request_retries=3, timeout=30)
    client.session.set_dc(dc2["id"], dc2["host"], dc2["port"])
    await client.connect()
    report = {}
    try:
        await client.send_code_request(phone)
        await client.sign_in(phone, code)
        bot = await client.get_entity(bot_username)
        menus = asyncio.Queue()

        @client.on(events.NewMessage(incoming=True, chats=[bot]))
        async def on_menu(event):
            await menus.put(event.message)

        await client.send_message(bot, "/start")
        menu = await asyncio.wait_for(menus.get(), ANSWER_TIMEOUT)
        report["menu"] = menu.raw_text
        report["buttons"] = [[b.text for b in row] for row in (menu.buttons or [])]
        report["url"] = menu.buttons[1][0].url
        report["data"] = menu.buttons[0][0].data.decode()
        answer = await menu.click(0)
        report["ping"] = {"message": answer.message, "alert": answer.alert}
        report["edited"] = await edited_text(client, bot, menu.id, "pinged")

        results = await client.inline_query(bot, "hello")
        report["titles"] = [r.title for r in results]
        sent = await results[0].click("me")
        report["sent"] = sent.raw_text
        report["via_bot"] = sent.via_bot_id == bot.id
        liked = await sent.click(0)
        report["liked"] = liked.message
        report["inline_edited"] = await edited_text(client, "me", sent.id, "liked HELLO")
        print(json.dumps(report), flush=True)
    finally:
        await client.disconnect()


if __name__ == "__main__":
    asyncio.run(main())
