#!/usr/bin/env python3
"""Independent obfuscated2 vectors for tgwire-net's tests (uses the `cryptography` package).

Follows core.telegram.org/mtproto/mtproto-transports#transport-obfuscation: 64 init bytes, protocol
tag at 56..60, DC id (int16 LE) at 60..62; encrypt key/iv = init[8:40]/init[40:56], decrypt key/iv
from init[8:56] reversed; with an MTProxy secret each key becomes SHA256(key + secret). The whole
init is encrypted and its last 8 bytes replace the plain ones; the stream then continues.
"""
import hashlib
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes


def ctr(key, iv):
    return Cipher(algorithms.AES(key), modes.CTR(iv)).encryptor()


def vector(init, tag, dc, secret):
    init = bytearray(init)
    init[56:60] = tag
    init[60:62] = dc.to_bytes(2, "little", signed=True)
    rev = bytes(init[8:56])[::-1]
    ek, ei, dk, di = bytes(init[8:40]), bytes(init[40:56]), rev[:32], rev[32:48]
    if secret:
        ek = hashlib.sha256(ek + secret).digest()
        dk = hashlib.sha256(dk + secret).digest()
    enc, dec = ctr(ek, ei), ctr(dk, di)
    encrypted = enc.update(bytes(init))
    header = bytes(init[:56]) + encrypted[56:]
    # client -> server: intermediate frame of payload 01..08
    c2s = enc.update(bytes([8, 0, 0, 0]) + bytes(range(1, 9)))
    # server -> client: intermediate frame of payload a0..a7 (server encrypts with the reversed key)
    s2c = dec.update(bytes([8, 0, 0, 0]) + bytes(range(0xa0, 0xa8)))
    return header.hex(), c2s.hex(), s2c.hex()


init = bytes((i * 37 + 11) % 256 for i in range(64))
secret = bytes(range(0x10, 0x20))
for name, sec in (("plain", None), ("secret", secret)):
    h, c, s = vector(init, b"\xee" * 4, 2, sec)
    print(f"{name}_header={h}\n{name}_c2s={c}\n{name}_s2c={s}")
