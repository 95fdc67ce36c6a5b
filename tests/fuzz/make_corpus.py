#!/usr/bin/env python3
"""Writes the seed corpora under tests/fuzz/corpus/<target>/ (deterministic;
the output is checked in). Rerun after editing: python3 tests/fuzz/make_corpus.py

Deep inputs matter most: plain fuzzing from shallow seeds never reached a
3000-level nesting in 11 M runs, so every depth edge (64/65/66 levels, and
far past it) is seeded here. Every seed fits scripts/fuzz.sh's -max_len."""
import os
import shutil
import struct

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "corpus")
MAX_LEN = 16384


def write(target, name, data):
    if isinstance(data, str):
        data = data.encode()
    assert len(data) <= MAX_LEN, (target, name, len(data))
    with open(os.path.join(ROOT, target, name), "wb") as f:
        f.write(data)


def nested(depth, shape, leaf="1"):
    """A JSON value nesting `depth` levels: arrays, objects, or alternating."""
    opens, closes = [], []
    for i in range(depth):
        obj = shape == "object" or (shape == "mix" and i % 2)
        opens.append('{"a":' if obj else "[")
        closes.append("}" if obj else "]")
    return "".join(opens) + leaf + "".join(reversed(closes))


def serializer_seeds():
    # First byte: the depth limit (0 -> 64, see fuzz_serializer.cpp).
    t = "fuzz_serializer"
    put = lambda name, text, limit=0: write(t, name, bytes([limit]) + text.encode())
    put("v2_join", '["1","1","room:lobby","phx_join",{"token":"abc"}]')
    put("v2_heartbeat", '[null,"2","phoenix","heartbeat",{}]')
    put("v2_push", '["1","3","room:lobby","new_msg",'
        '{"body":"h\\u00e9 \\ud83d\\ude00","n":[1,-2,2.5,-3e2,1.7976931348623157e308,'
        '18446744073709551615,-9223372036854775808,true,false,null],"o":{"":""}}]')
    put("v2_leave", '["1","4","room:lobby","phx_leave",{}]')
    put("v2_extra_elements", '["1","5","t","e",{},6,7]')
    put("v2_odd_refs", '[{"r":[1]},[2],"t","e",[]]')
    put("v1_join", '{"topic":"room:lobby","event":"phx_join","payload":{},"ref":"1","join_ref":"1"}')
    put("v1_heartbeat", '{"topic":"phoenix","event":"heartbeat","payload":{},"ref":"2"}')
    put("v1_push", '{"topic":"room:lobby","event":"new_msg","payload":{"body":"hi"},"ref":null,'
        '"topic":"room:dup"}')
    put("broadcast_body", '{"topic":"room:lobby","event":"shout","payload":{"body":"x","n":[1,2]}}')
    put("strings_with_brackets", '["1","1","t","e",{"s":"[[[[{{{{\\"]]]]","\\\\":"\\\\["}]')
    put("binary_like", "\x00\x01\x02[1,2]")
    # V2 binary pushes (kind 0: lengths of join_ref, ref, topic, event, then
    # the fields and the payload), as Phoenix's test vector and edge cases.
    raw = lambda name, data: write(t, name, bytes([0]) + data)
    raw("binary_push_vector", b"\x00\x02\x03\x05\x05" b"12" b"123" b"topic" b"event" b"efg")
    raw("binary_push_empty_fields", b"\x00\x00\x00\x01\x01" b"te")
    raw("binary_push_long_fields", b"\x00\xff\xff\xff\xff" + b"x" * 1020 + b"\x00\xff")
    raw("binary_kind_reply", b"\x01\x02\x03\x05\x02" b"12" b"123" b"topic" b"ok" b"efg")
    for depth in (64, 65, 66):
        for shape in ("array", "object", "mix"):
            v = nested(depth, shape)
            put(f"v2_join_ref_{shape}_{depth}", f'[{v},"1","t","e",{{}}]')
            put(f"v2_ref_{shape}_{depth}", f'["1",{v},"t","e",{{}}]')
            put(f"v2_payload_{shape}_{depth}", f'["1","1","t","e",{v}]')
            put(f"v1_payload_{shape}_{depth}",
                f'{{"topic":"t","event":"e","ref":"1","payload":{v}}}')
            put(f"v1_ref_{shape}_{depth}",
                f'{{"topic":"t","event":"e","ref":{v},"payload":{{}},"join_ref":{v}}}')
            put(f"body_{shape}_{depth}", v)
    # Off-by-one edges of the small limits (bytes 1-6 select 0, 1, 2, 3, 16, 65).
    for limit_byte, depth in ((1, 0), (1, 1), (2, 1), (2, 2), (4, 3), (4, 4), (6, 65), (6, 66)):
        put(f"limit{limit_byte}_payload_{depth}", f'["1","1","t","e",{nested(depth, "mix")}]',
            limit_byte)
    # Far past any limit: the frames that overflow the stack when unchecked.
    put("deep_5000_array", '[null,null,"t","e",' + nested(5000, "array", "") + "]")
    put("deep_3000_object", '[null,null,"t","e",' + '{"":' * 3000 + "1" + "}" * 3000 + "]")
    put("deep_5000_unbalanced", '[null,null,"t","e",' + "[" * 5000)
    put("deep_5000_body", nested(5000, "array", ""))


def ws_frame(op, payload=b"", fin=True, mask=b"\x37\xfa\x21\x3d", rsv=0, masked=True,
             long_form=None):
    """One client frame (RFC 6455 5.2); long_form forces the 16/64-bit length."""
    if isinstance(payload, str):
        payload = payload.encode()
    head = bytes([(0x80 if fin else 0) | rsv | op])
    m = 0x80 if masked else 0
    n = len(payload)
    if long_form == 64 or n > 0xFFFF:
        head += bytes([m | 127]) + struct.pack(">Q", n)
    elif long_form == 16 or n >= 126:
        head += bytes([m | 126]) + struct.pack(">H", n)
    else:
        head += bytes([m | n])
    if not masked:
        return head + payload
    return head + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload))


def close(code, reason=b""):
    return ws_frame(8, struct.pack(">H", code) + reason)


def frame_reader_seeds():
    # First byte: the chunking seed (0: whole; see fuzz_frame_reader.cpp).
    t = "fuzz_frame_reader"
    TEXT, BIN, CONT, CLOSE, PING, PONG = 1, 2, 0, 8, 9, 10

    def put(name, data):
        write(t, name, b"\x00" + data)
        write(t, name + "_split", b"\x2a" + data)

    put("text_hello", ws_frame(TEXT, "hello"))
    put("text_zero_mask", ws_frame(TEXT, '["1","1","room:lobby","phx_join",{}]', mask=b"\0\0\0\0"))
    put("binary", ws_frame(BIN, bytes(range(40))))
    put("fragmented_with_ping", ws_frame(TEXT, "hel", fin=False) + ws_frame(PING, "p")
        + ws_frame(CONT, "l", fin=False) + ws_frame(CONT, "lo"))
    put("ping_pong", ws_frame(PING, "ping!") + ws_frame(PONG, "pong") + ws_frame(PING))
    put("ping_125", ws_frame(PING, "x" * 125))
    put("ping_126", ws_frame(PING, "x" * 126))
    put("ping_not_fin", ws_frame(PING, "x", fin=False))
    put("close_empty", ws_frame(CLOSE))
    put("close_1000_reason", close(1000, b"bye"))
    put("close_one_byte", ws_frame(CLOSE, b"\x03"))
    for code in (999, 1001, 1004, 1005, 1006, 1011, 1014, 1015, 2999, 3000, 4999, 5000, 65535):
        put(f"close_{code}", close(code))
    put("close_bad_utf8", close(1000, b"\xc3\x28"))
    put("close_overlong_utf8", close(1001, b"\xc0\xaf"))
    put("close_surrogate", close(1000, b"\xed\xa0\x80"))
    put("close_123_reason", close(4000, "\u00e9".encode() * 61 + b"x"))
    put("frames_after_close", close(1000) + ws_frame(TEXT, "late") + b"\xff")
    put("unmasked", ws_frame(TEXT, "hi", masked=False))
    put("rsv1", ws_frame(TEXT, "hi", rsv=0x40))
    put("opcode_3", ws_frame(3, "hi"))
    put("opcode_11", ws_frame(11, "hi"))
    put("continuation_alone", ws_frame(CONT, "hi"))
    put("text_inside_fragmented", ws_frame(TEXT, "a", fin=False) + ws_frame(TEXT, "b"))
    put("len16_small", ws_frame(TEXT, "short", long_form=16))
    put("len64_small", ws_frame(TEXT, "short", long_form=64))
    put("len16_200", ws_frame(TEXT, "y" * 200))
    put("len64_huge", b"\x81\xff" + struct.pack(">Q", 1 << 63) + b"mask")
    put("len64_max", b"\x82\xff" + b"\xff" * 8 + b"mask")
    put("message_4096", ws_frame(BIN, b"z" * 4096))
    put("message_4097", ws_frame(BIN, b"z" * 4097))
    put("fragments_over_max", ws_frame(TEXT, "a" * 3000, fin=False) + ws_frame(CONT, "b" * 1200))
    put("text_bad_utf8", ws_frame(TEXT, b"\xff\xfe\xfd"))
    put("truncated_header", b"\x81\xfe\x01")
    put("truncated_payload", ws_frame(TEXT, "complete") + ws_frame(TEXT, "cut off")[:-3])


def http_seeds():
    t = "fuzz_http_head"
    put = lambda name, text: write(t, name, text.replace("\n", "\r\n"))
    upgrade = ("GET /socket/websocket?vsn=2.0.0&token=abc HTTP/1.1\n"
               "Host: localhost:4000\nUpgrade: websocket\nConnection: Upgrade\n"
               "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\nSec-WebSocket-Version: 13\n")
    put("get", "GET /index.html HTTP/1.1\nHost: localhost\nUser-Agent: seed\n\n")
    put("get_http10_no_host", "GET / HTTP/1.0\n\n")
    put("upgrade", upgrade + "\n")
    put("upgrade_origin_same", upgrade + "Origin: http://LOCALHOST:4000\n\n")
    put("upgrade_origin_other", upgrade + "Origin: https://evil.example\n\n")
    put("upgrade_origin_listed", upgrade + "Origin: https://a.example.org:8443\n\n")
    put("upgrade_origin_example_com", upgrade + "Origin: http://example.com:1234\n\n")
    put("upgrade_origin_suffix_trick", upgrade + "Origin: https://evilexample.org:8443\n\n")
    put("upgrade_origin_null", upgrade + "Origin: null\n\n")
    put("upgrade_ipv6", upgrade.replace("localhost:4000", "[::1]:4000")
        + "Origin: http://[::1]:4000\n\n")
    put("upgrade_subprotocols", upgrade + "Sec-WebSocket-Protocol: phoenix, "
        "base64url.bearer.phx.dG9rZW4\n\n")
    put("upgrade_version_8", upgrade.replace("Version: 13", "Version: 8") + "\n")
    put("upgrade_no_key", upgrade.replace("Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\n", "")
        + "\n")
    put("upgrade_long_key", upgrade.replace("dGhlIHNhbXBsZSBub25jZQ==", "A" * 40) + "\n")
    put("post_content_length", "POST /api/broadcast HTTP/1.1\nHost: h\nContent-Length: 5\n"
        "Content-Type: application/json\n\n{}   ")
    put("post_chunked", "POST /api/broadcast HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n\n"
        "2\n{}\n0\n\n")
    put("smuggle_xchunked_cl", "POST / HTTP/1.1\nHost: h\nTransfer-Encoding: xchunked\n"
        "Content-Length: 5\n\n0\n\nG")
    put("smuggle_chunked_cl", "POST / HTTP/1.1\nHost: h\nContent-Length: 4\n"
        "Transfer-Encoding: chunked\n\n0\n\n")
    put("two_content_lengths", "POST / HTTP/1.1\nHost: h\nContent-Length: 1\nContent-Length: 2\n\nab")
    put("te_gzip_chunked", "POST / HTTP/1.1\nHost: h\nTransfer-Encoding: gzip, chunked\n\n0\n\n")
    put("te_two_headers", "POST / HTTP/1.1\nHost: h\nTransfer-Encoding: chunked\n"
        "Transfer-Encoding: chunked\n\n0\n\n")
    put("te_http10", "POST / HTTP/1.0\nHost: h\nTransfer-Encoding: chunked\n\n0\n\n")
    put("te_spaced_case", "POST / HTTP/1.1\nHost: h\nTransfer-Encoding: \tChunKed \n\n0\n\n")
    put("no_host", "GET / HTTP/1.1\nAccept: */*\n\n")
    put("two_hosts", "GET / HTTP/1.1\nHost: a\nHost: b\n\n")
    put("deep_query", "GET /socket/websocket?a" + "[b]" * 99 + "=1&vsn=2.0.0 HTTP/1.1\nHost: h\n\n")


def query_seeds():
    t = "fuzz_query"
    put = lambda name, text: write(t, name, text)
    put("vsn", "vsn=2.0.0")
    put("vsn_v1", "vsn=1.0.0&vsn=1.0.1-rc.1+build")
    put("params", "vsn=2.0.0&token=abc%20def+x&user[name]=jos%C3%A9&user[tags][]=a&user[tags][]=b")
    put("mixed", "a[][b][][c]=1&a[][b]=2&a=3&a[x]=4")
    put("malformed", "a[b=1&[a]=2&a]b[=3&=4&&&%zz=%&a[%5B]=5&a[b]c=6")
    put("base64", "cGhvZW5peA==")
    put("base64url_unpadded", "cGhvZW5peC1fLQ")
    put("base64_bad", "a")
    for depth in (63, 64, 65, 66, 100):
        put(f"deep_{depth}", "a" + "[b]" * (depth - 1) + "=1")
        put(f"deep_arrays_{depth}", "a" + "[]" * (depth - 1) + "=1")
    put("deep_3000", "a" + "[b]" * 2999 + "=1")
    put("deep_then_shallow", "a" + "[b]" * 63 + "=1&a[b][c]=2&a" + "[b]" * 64 + "=3")


if __name__ == "__main__":
    for target in ("fuzz_serializer", "fuzz_frame_reader", "fuzz_http_head", "fuzz_query"):
        shutil.rmtree(os.path.join(ROOT, target), ignore_errors=True)
        os.makedirs(os.path.join(ROOT, target))
    serializer_seeds()
    frame_reader_seeds()
    http_seeds()
    query_seeds()
