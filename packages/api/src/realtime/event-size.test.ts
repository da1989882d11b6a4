import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { Encoder, type Packet, PacketType } from "socket.io-parser";
import { eventBytes, mayHoldUnstorableText, measuringParser } from "./event-size.ts";

function decodeAll(chunks: unknown[]): Packet[] {
  const decoder = new measuringParser.Decoder();
  const out: Packet[] = [];
  decoder.on("decoded", (p) => {
    out.push(p);
  });
  for (const c of chunks) decoder.add(c);
  return out;
}

describe("event sizes at the edge", () => {
  test("a text packet's payload measures as the bytes that arrived, non-ASCII included", () => {
    const payload = { samples: [{ note: "température ✓", n: 1 }] };
    const [wire] = new Encoder().encode({
      type: PacketType.EVENT,
      nsp: "/agent",
      id: 7,
      data: ["telemetry:report", payload],
    });
    const decoded = decodeAll([wire])[0] as Packet;
    const arrived = (decoded.data as unknown[])[1];
    assert.deepEqual(arrived, payload);
    // The packet's header (type, namespace, ack id, event name) is counted too: what arrived, not a re-serialisation.
    assert.equal(eventBytes(arrived), Buffer.byteLength(wire as string, "utf8"));
    assert.ok(eventBytes(arrived) > Buffer.byteLength(JSON.stringify(payload)));
  });

  test("payloads the decoder did not note (binary packets, primitives, objects made here) are serialised", () => {
    const payload = { blob: Buffer.from([1, 2, 3]), label: "x" };
    const chunks = new Encoder().encode({ type: PacketType.EVENT, nsp: "/", id: 1, data: ["upload", payload] });
    assert.ok(chunks.length > 1, "a binary event travels as a header and its attachments");
    const decoded = decodeAll(chunks)[0] as Packet;
    const arrived = (decoded.data as unknown[])[1] as object;
    assert.equal(eventBytes(arrived), Buffer.byteLength(JSON.stringify(arrived)));
    assert.equal(eventBytes("abc"), 5);
    assert.equal(eventBytes({ a: 1 }), 7);
    const cyclic: { self?: unknown } = {};
    cyclic.self = cyclic;
    assert.equal(eventBytes(cyclic), Number.POSITIVE_INFINITY);
  });

  test("only a payload that arrived without any \\u escape is known to hold storable text", () => {
    const arrive = (payload: object) => {
      const [wire] = new Encoder().encode({ type: PacketType.EVENT, nsp: "/agent", id: 1, data: ["x", payload] });
      const packet = decodeAll([wire])[0] as Packet;
      return (packet.data as unknown[])[1];
    };
    assert.equal(mayHoldUnstorableText(arrive({ label: "température ✓ 😀" })), false, "UTF-8 arrives unescaped");
    for (const text of ["a\u0000", "\ud800", "x\udc00y", "\u0001"]) {
      assert.equal(mayHoldUnstorableText(arrive({ label: text })), true, JSON.stringify(text));
    }
    assert.equal(mayHoldUnstorableText(arrive({ "k\u0000": 1 })), true, "keys too");
    assert.equal(mayHoldUnstorableText({ made: "here" }), true, "not seen by the decoder: unknown");
    assert.equal(mayHoldUnstorableText("a string"), true);
  });
});
