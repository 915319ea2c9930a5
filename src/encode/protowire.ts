/**
 * Protocol Buffers wire format, just enough to edit an ONNX graph without a schema: a message
 * is read as its list of fields with their raw bytes, so a rewrite re-emits every field it
 * does not understand byte for byte (weights, fields newer than this code) and only
 * re-encodes the few it changes.
 */

/** Wire types: 0 varint, 1 fixed64, 2 length-delimited, 5 fixed32 (3 and 4, groups, are not used by ONNX). */
export type WireType = 0 | 1 | 2 | 5;

export interface Field {
  number: number;
  wireType: WireType;
  /** varint: its value; other types: 0. */
  varint: bigint;
  /** length-delimited: the payload; fixed32/64: the raw little-endian bytes; varint: empty. */
  bytes: Uint8Array;
}

export class WireError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WireError';
  }
}

function readVarint(buf: Uint8Array, pos: number): [bigint, number] {
  let value = 0n;
  let shift = 0n;
  for (let i = 0; i < 10; i++) {
    if (pos >= buf.length) throw new WireError('truncated varint');
    const byte = buf[pos++]!;
    value |= BigInt(byte & 0x7f) << shift;
    if ((byte & 0x80) === 0) return [value, pos];
    shift += 7n;
  }
  throw new WireError('varint longer than 10 bytes');
}

/** The fields of one message, in order. Payloads are views into `buf`, not copies. */
export function readFields(buf: Uint8Array): Field[] {
  const fields: Field[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const [key, afterKey] = readVarint(buf, pos);
    pos = afterKey;
    const number = Number(key >> 3n);
    const wireType = Number(key & 7n);
    if (number === 0) throw new WireError('field number 0');
    if (wireType === 0) {
      const [value, next] = readVarint(buf, pos);
      fields.push({ number, wireType, varint: value, bytes: new Uint8Array(0) });
      pos = next;
    } else if (wireType === 2) {
      const [length, start] = readVarint(buf, pos);
      const end = start + Number(length);
      if (end > buf.length) throw new WireError(`field ${number} runs past the end of its message`);
      fields.push({ number, wireType, varint: 0n, bytes: buf.subarray(start, end) });
      pos = end;
    } else if (wireType === 1 || wireType === 5) {
      const end = pos + (wireType === 1 ? 8 : 4);
      if (end > buf.length) throw new WireError(`field ${number} runs past the end of its message`);
      fields.push({ number, wireType, varint: 0n, bytes: buf.subarray(pos, end) });
      pos = end;
    } else {
      throw new WireError(`unsupported wire type ${wireType} (field ${number})`);
    }
  }
  return fields;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });
const utf8Encoder = new TextEncoder();

export function fieldString(field: Field): string {
  if (field.wireType !== 2) throw new WireError(`field ${field.number} is not a string`);
  return utf8.decode(field.bytes);
}

/** Signed value of a varint field (int64 fields such as ONNX dim_value use two's complement). */
export function fieldInt(field: Field): number {
  if (field.wireType !== 0) throw new WireError(`field ${field.number} is not a varint`);
  return Number(BigInt.asIntN(64, field.varint));
}

/** Values of every occurrence of a string field. */
export function strings(fields: readonly Field[], number: number): string[] {
  return fields.filter((f) => f.number === number).map(fieldString);
}

export function firstString(fields: readonly Field[], number: number): string | undefined {
  const field = fields.find((f) => f.number === number);
  return field === undefined ? undefined : fieldString(field);
}

function encodeVarint(value: bigint): Uint8Array {
  // Negative int64 values are sent as their 64-bit two's complement, always 10 bytes.
  let v = BigInt.asUintN(64, value);
  const out: number[] = [];
  do {
    const byte = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v === 0n ? byte : byte | 0x80);
  } while (v !== 0n);
  return Uint8Array.from(out);
}

function key(number: number, wireType: WireType): Uint8Array {
  return encodeVarint((BigInt(number) << 3n) | BigInt(wireType));
}

/** Builders for the fields of a new message; `writeMessage` joins them. */
export const put = {
  varint(number: number, value: number | bigint): Uint8Array[] {
    return [key(number, 0), encodeVarint(BigInt(value))];
  },
  bytes(number: number, payload: Uint8Array): Uint8Array[] {
    return [key(number, 2), encodeVarint(BigInt(payload.length)), payload];
  },
  string(number: number, value: string): Uint8Array[] {
    return put.bytes(number, utf8Encoder.encode(value));
  },
  message(number: number, parts: readonly Uint8Array[][]): Uint8Array[] {
    return put.bytes(number, writeMessage(parts));
  },
  /** An existing field, re-emitted unchanged. */
  field(field: Field): Uint8Array[] {
    if (field.wireType === 0) return put.varint(field.number, field.varint);
    if (field.wireType === 2) return put.bytes(field.number, field.bytes);
    return [key(field.number, field.wireType), field.bytes];
  },
};

export function writeMessage(parts: readonly Uint8Array[][]): Uint8Array {
  const chunks = parts.flat();
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let pos = 0;
  for (const chunk of chunks) {
    out.set(chunk, pos);
    pos += chunk.length;
  }
  return out;
}
