"""The Telethon side of the comparison: the same scenarios and arguments as tgwire-driver.

Reads the test server's JSON ready line from TGWIRE_SERVER and prints one JSON object on its last
stdout line with the same keys as the Rust driver.
"""

import asyncio
import json
import os
import sys
import time

from telethon import TelegramClient, events, functions
from telethon.crypto import rsa
from telethon.sessions import MemorySession, SQLiteSession, StringSession

API_ID, API_HASH = 1, "0123456789abcdef0123456789abcdef"
READY = json.loads(os.environ["TGWIRE_SERVER"])
rsa.add_key(READY["rsa_public_key_pem"], old=False)


def dc_addr(dc):
    d = next(d for d in READY["dcs"] if d["id"] == dc)
    return d["host"], d["port"]


def new_client(session, dc=2):
    client = TelegramClient(session, API_ID, API_HASH, request_retries=10)
    if not client.session.auth_key:
        client.session.set_dc(dc, *dc_addr(dc))
    return client


def bot_token(bot_id):
    return f"{bot_id}:" + "A" * 43


async def bot(bot_id, session=None):
    client = new_client(session or MemorySession())
    await client.start(bot_token=bot_token(bot_id))
    return client


async def user(phone):
    dc = int(phone[5])
    client = new_client(MemorySession(), dc)
    await client.connect()
    await client.send_code_request(phone)
    await client.sign_in(phone, str(dc) * 5)
    return client


def rss_kib(field):
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith(field):
                return int(line.split()[1])
    return 0


def cpu_ms(pid="self"):
    """User + system CPU time of a process so far, in ms (utime and stime of /proc/PID/stat,
    in USER_HZ = 100 ticks per second). The harness, which runs the server, is our parent."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 10.0


def reset_peak_rss():
    """VmHWM restarts from the current RSS, so the download's peak is measured apart."""
    with open("/proc/self/clear_refs", "w") as f:
        f.write("5")


def write_source(path, mib):
    with open(path, "wb") as f:
        for _ in range(mib):
            f.write(os.urandom(1 << 20))


def same_contents(a, b):
    with open(a, "rb") as x, open(b, "rb") as y:
        while True:
            p, q = x.read(1 << 20), y.read(1 << 20)
            if p != q:
                return False
            if not p:
                return True


def percentile(values, p):
    if not values:
        return 0.0
    return values[round((len(values) - 1) * p)]


async def run_many(n, in_flight, call):
    sem = asyncio.Semaphore(in_flight)
    latencies = []

    async def one(i):
        async with sem:
            t = time.perf_counter()
            await call(i)
            latencies.append((time.perf_counter() - t) * 1e3)

    start = time.perf_counter()
    await asyncio.gather(*(one(i) for i in range(n)))
    secs = time.perf_counter() - start
    latencies.sort()
    return secs, latencies


async def main(args):
    kind = args[0]
    if kind == "rpc":
        n, in_flight = int(args[1]), int(args[2])
        client = await bot(args[3])
        secs, lat = await run_many(n, in_flight, lambda _: client(functions.help.GetNearestDcRequest()))
        out = {"per_s": n / secs, "p50_ms": percentile(lat, 0.5), "p99_ms": percentile(lat, 0.99),
               "peak_rss_kib": rss_kib("VmHWM:")}
    elif kind == "send":
        n, in_flight = int(args[1]), int(args[2])
        client = await user(args[3])
        secs, lat = await run_many(n, in_flight, lambda i: client.send_message("me", f"message {i}"))
        out = {"per_s": n / secs, "p50_ms": percentile(lat, 0.5), "p99_ms": percentile(lat, 0.99),
               "peak_rss_kib": rss_kib("VmHWM:")}
        # Left connected, this client never let asyncio.run() finish: the process printed its figures,
        # then hung at exit (0 CPU) until the harness's 600 s timeout, in every round.
        await client.disconnect()
    elif kind == "idle":
        count = int(args[1])
        seed = await bot(args[2], StringSession())
        session = seed.session.save()
        await seed.disconnect()
        # One client through the whole path first, as the Rust driver does: what that path
        # loads for the first time is the process's, not a client's.
        warm = new_client(StringSession(session))
        await warm.connect()
        await warm.get_me()
        await warm.disconnect()
        del warm
        await asyncio.sleep(0.2)
        before = rss_kib("VmRSS:")
        clients = []
        for _ in range(count):
            c = new_client(StringSession(session))
            await c.connect()
            clients.append(c)
        sem = asyncio.Semaphore(50)

        async def me(c):
            async with sem:
                return await c.get_me()

        answered = sum(1 for r in await asyncio.gather(*(me(c) for c in clients)) if r is not None)
        if answered != count:
            raise SystemExit(f"only {answered} of {count} clients answered")
        await asyncio.sleep(0.5)
        after = rss_kib("VmRSS:")
        connected = sum(1 for c in clients if c.is_connected())
        if connected != count:
            raise SystemExit(f"only {connected} of {count} clients are connected")
        out = {"kib_per_client": max(after - before, 0) / count, "peak_rss_kib": rss_kib("VmHWM:")}
    elif kind == "cold-setup":
        client = new_client(SQLiteSession(args[1]))
        await client.start(bot_token=bot_token(args[2]))
        await client.disconnect()
        out = {}
    elif kind == "cold":
        client = new_client(SQLiteSession(args[1]))
        await client.connect()
        me = await client.get_me()
        out = {"user_id": me.id}
    elif kind == "receive":
        n = int(args[1])
        client = await user(args[2])
        me = await client.get_me()
        # The pushes name the pusher by id only; knowing it keeps them on the push path.
        await client.get_entity(args[3])
        done = asyncio.Event()
        got = 0

        async def on_message(_event):
            nonlocal got
            got += 1
            if got == n:
                done.set()

        client.add_event_handler(on_message, events.NewMessage(incoming=True))
        await client.catch_up()
        print(f"ready {me.id}", flush=True)
        start = time.perf_counter()
        await done.wait()
        out = {"per_s": n / (time.perf_counter() - start), "peak_rss_kib": rss_kib("VmHWM:")}
    elif kind == "files":
        mib, folder = int(args[1]), args[2]
        client = await user(args[3])
        source, target = os.path.join(folder, "source.bin"), os.path.join(folder, "back.bin")
        write_source(source, mib)
        reset_peak_rss()
        start = time.perf_counter()
        uploaded = await client.upload_file(source)
        up_secs = time.perf_counter() - start
        up_rss = rss_kib("VmHWM:")
        sent = await client.send_file("me", uploaded, force_document=True)
        reset_peak_rss()
        cpu = (cpu_ms(), cpu_ms(os.getppid()))
        start = time.perf_counter()
        await client.download_media(sent, target)
        down_secs = time.perf_counter() - start
        client_cpu, server_cpu = cpu_ms() - cpu[0], cpu_ms(os.getppid()) - cpu[1]
        down_rss = rss_kib("VmHWM:")
        if not same_contents(source, target):
            raise SystemExit("the downloaded file differs from the uploaded one")
        os.remove(source)
        os.remove(target)
        out = {"up_mib_s": mib / up_secs, "down_mib_s": mib / down_secs,
               "up_peak_rss_mib": up_rss / 1024, "down_peak_rss_mib": down_rss / 1024,
               "down_client_cpu_ms_per_mib": client_cpu / mib,
               "down_server_cpu_ms_per_mib": server_cpu / mib}
    else:
        raise SystemExit(f"unknown scenario {kind}")
    print(json.dumps(out), flush=True)


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
