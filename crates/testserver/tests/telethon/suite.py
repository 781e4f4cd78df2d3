"""Telethon 1.45 against tgwire-testserver: the acceptance suite of issue 6.

Usage: python suite.py TRANSPORT READY_JSON
  TRANSPORT   one of full, abridged, intermediate, obfuscated
  READY_JSON  the line tgwire-testserver printed when ready

Every step prints one JSON line {"step": ..., "ok": bool, "detail": ...} on stdout, so the Rust
test that runs this can report exactly which steps pass. A failed step does not stop the steps
that do not depend on it. The exit status is 0 only if every step passed.
"""

import asyncio
import hashlib
import io
import json
import logging
import os
import sys
import time
import traceback

import telethon
from telethon import TelegramClient, errors, events, functions
from telethon.crypto import rsa
from telethon.network import connection
from telethon.sessions import MemorySession

TRANSPORTS = {
    "full": connection.ConnectionTcpFull,
    "abridged": connection.ConnectionTcpAbridged,
    "intermediate": connection.ConnectionTcpIntermediate,
    "obfuscated": connection.ConnectionTcpObfuscated,
}
STEP_TIMEOUT = 30
# Without the optional `cryptg`, Telethon encrypts in pure Python: moving 2 MiB through
# obfuscated2 (AES-CTR on top of AES-IGE) takes ~20 s on an idle core.
TRANSFER_TIMEOUT = 240
# Any api_id/api_hash: the test server does not check them.
API_ID, API_HASH = 17349, "344583e45741c457fe1862106095a5eb"
USER_PHONE, USER_CODE = "9996621234", "22222"
BOT_TOKEN = "1234567:" + "A" * 35
USERNAME = "tgwire_judge"

failures = []


def report(step, ok, detail="", seconds=0.0):
    line = {"step": step, "ok": ok, "detail": str(detail)[:2000], "seconds": round(seconds, 3)}
    print(json.dumps(line), flush=True)
    if not ok:
        failures.append(step)


async def step(name, coro_fn, timeout=STEP_TIMEOUT):
    """Runs one step with a timeout; returns its result, or None after reporting a failure."""
    started = time.monotonic()
    try:
        result = await asyncio.wait_for(coro_fn(), timeout)
    except Exception as e:  # noqa: BLE001 - every failure is reported, none is fatal
        detail = f"{type(e).__name__}: {e}\n{traceback.format_exc(limit=6)}"
        report(name, False, detail, time.monotonic() - started)
        return None
    detail = result if isinstance(result, (str, int)) else ""
    report(name, True, detail, time.monotonic() - started)
    return result if result is not None else True


def new_client(kind, dc):
    client = TelegramClient(
        MemorySession(),
        API_ID,
        API_HASH,
        connection=TRANSPORTS[kind],
        connection_retries=2,
        retry_delay=0,
        request_retries=3,
        timeout=10,
    )
    client.session.set_dc(dc["id"], dc["host"], dc["port"])
    return client


async def main():
    kind, ready = sys.argv[1], json.loads(sys.argv[2])
    if os.environ.get("TGWIRE_TELETHON_DEBUG"):
        logging.basicConfig(level=logging.DEBUG)
    assert telethon.__version__ == "1.45.0", telethon.__version__
    rsa.add_key(ready["rsa_public_key_pem"], old=False)
    dc2 = next(dc for dc in ready["dcs"] if dc["id"] == 2)

    user = new_client(kind, dc2)
    bot = new_client(kind, dc2)
    try:
        await run_steps(user, bot)
    finally:
        for c in (user, bot):
            try:
                await asyncio.wait_for(c.disconnect(), 5)
            except Exception:  # noqa: BLE001 - closing is best effort
                pass


async def run_steps(user, bot):
    async def connect():
        await user.connect()
        await bot.connect()
        return f"auth key {user.session.auth_key.key_id if hasattr(user.session.auth_key, 'key_id') else ''}"

    if not await step("connect", connect):
        return

    async def bot_sign_in():
        me = await bot.sign_in(bot_token=BOT_TOKEN)
        assert me.bot, me
        return me.id

    bot_id = await step("bot_sign_in", bot_sign_in)

    async def user_sign_in():
        await user.send_code_request(USER_PHONE)
        me = await user.sign_in(USER_PHONE, USER_CODE)
        assert not me.bot, me
        return me.id

    user_id = await step("user_sign_in", user_sign_in)
    if not user_id:
        return

    async def get_me():
        me = await user.get_me()
        assert me.id == user_id and me.phone == USER_PHONE, me
        if bot_id:
            b = await bot.get_me()
            assert b.id == bot_id and b.bot, b
        return me.id

    await step("get_me", get_me)

    sent = {}

    async def send_to_self():
        msg = await user.send_message("me", "hello from telethon")
        assert msg.id > 0 and msg.message == "hello from telethon", msg
        sent["id"] = msg.id
        return msg.id

    await step("send_message_me", send_to_self)

    async def get_messages_back():
        msgs = await user.get_messages("me", limit=5)
        assert any(m.id == sent.get("id") and m.message == "hello from telethon" for m in msgs), msgs
        by_id = await user.get_messages("me", ids=sent.get("id"))
        assert by_id is not None and by_id.message == "hello from telethon", by_id
        return len(msgs)

    await step("get_messages", get_messages_back)

    async def resolve_username():
        try:
            await user(functions.account.UpdateUsernameRequest(USERNAME))
        except errors.UsernameNotModifiedError:
            pass  # a server reused from an earlier run
        resolver = bot if bot_id else user
        entity = await resolver.get_entity(USERNAME)
        assert entity.id == user_id, entity
        return entity.id

    resolved = await step("resolve_username", resolve_username)

    async def iter_dialogs():
        dialogs = [d async for d in user.iter_dialogs()]
        assert any(d.entity.id == user_id for d in dialogs), [d.name for d in dialogs]
        return len(dialogs)

    await step("iter_dialogs", iter_dialogs)

    async def new_message_event():
        if not (bot_id and resolved):
            raise RuntimeError("needs bot_sign_in and resolve_username")
        got = asyncio.get_running_loop().create_future()

        @user.on(events.NewMessage(incoming=True))
        async def on_message(event):
            if not got.done():
                got.set_result(event)

        # The bot resolves the user (resolve_username did so) and writes to them.
        await bot.send_message(USERNAME, "hello from the bot")
        event = await asyncio.wait_for(got, 15)
        user.remove_event_handler(on_message)
        assert event.message.message == "hello from the bot", event.message
        assert event.sender_id == bot_id, event.sender_id
        return event.message.id

    await step("new_message_event", new_message_event)

    async def upload_download():
        data = os.urandom(1024 * 1024)
        want = hashlib.sha256(data).hexdigest()
        buf = io.BytesIO(data)
        buf.name = "blob.bin"
        msg = await user.send_file("me", buf, force_document=True)
        got = await user.download_media(msg, file=bytes)
        assert got is not None and len(got) == len(data), len(got or b"")
        have = hashlib.sha256(got).hexdigest()
        assert have == want, (have, want)
        return want

    await step("upload_download_1mib", upload_download, TRANSFER_TIMEOUT)


if __name__ == "__main__":
    asyncio.run(main())
    sys.exit(1 if failures else 0)
