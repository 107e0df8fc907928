// The entries of a ZIP file held in memory, as a snapshot import reads them: the central
// directory (ZIP64 too: the sizes and offsets a streamed writer leaves in its extra fields), each
// entry stored or deflated. Enough for the snapshots `npx convex export` and our downloads write.
import zlib from "node:zlib";
import { HttpError } from "./http.mjs";

const EOCD = 0x06054b50;
const ZIP64_EOCD_LOCATOR = 0x07064b50;
const ZIP64_EOCD = 0x06064b50;
const CENTRAL = 0x02014b50;
const LOCAL = 0x04034b50;
const MAX32 = 0xffffffff;

function bad(why) {
  return new HttpError(400, "InvalidZipFile", `The uploaded file is not a valid ZIP file: ${why}`);
}

function findEocd(buf) {
  const lowest = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= lowest; i--) {
    if (buf.readUInt32LE(i) === EOCD) return i;
  }
  throw bad("no end of central directory");
}

function zip64Extra(extra, wanted) {
  // wanted: which of [uncompressed, compressed, offset] were 0xFFFFFFFF, in that order.
  let at = 0;
  while (at + 4 <= extra.length) {
    const id = extra.readUInt16LE(at);
    const size = extra.readUInt16LE(at + 2);
    if (id === 0x0001) {
      const values = [];
      let p = at + 4;
      for (const w of wanted) {
        if (!w) {
          values.push(null);
          continue;
        }
        values.push(Number(extra.readBigUInt64LE(p)));
        p += 8;
      }
      return values;
    }
    at += 4 + size;
  }
  throw bad("a ZIP64 entry without its extra field");
}

// [{name, data: Buffer}] in the order of the central directory.
export function readZip(buf) {
  const eocd = findEocd(buf);
  let count = buf.readUInt16LE(eocd + 10);
  let dirOffset = buf.readUInt32LE(eocd + 16);
  const locator = eocd - 20;
  if (locator >= 0 && buf.readUInt32LE(locator) === ZIP64_EOCD_LOCATOR) {
    const at = Number(buf.readBigUInt64LE(locator + 8));
    if (buf.readUInt32LE(at) !== ZIP64_EOCD) throw bad("a broken ZIP64 end record");
    count = Number(buf.readBigUInt64LE(at + 32));
    dirOffset = Number(buf.readBigUInt64LE(at + 48));
  }
  const entries = [];
  let p = dirOffset;
  for (let n = 0; n < count; n++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== CENTRAL) throw bad("a broken directory");
    const method = buf.readUInt16LE(p + 10);
    let compressed = buf.readUInt32LE(p + 20);
    let size = buf.readUInt32LE(p + 24);
    const nameLength = buf.readUInt16LE(p + 28);
    const extraLength = buf.readUInt16LE(p + 30);
    const commentLength = buf.readUInt16LE(p + 32);
    let offset = buf.readUInt32LE(p + 42);
    const name = buf.toString("utf8", p + 46, p + 46 + nameLength);
    const extra = buf.subarray(p + 46 + nameLength, p + 46 + nameLength + extraLength);
    if (size === MAX32 || compressed === MAX32 || offset === MAX32) {
      const [s, c, o] = zip64Extra(extra, [size === MAX32, compressed === MAX32, offset === MAX32]);
      size = s ?? size;
      compressed = c ?? compressed;
      offset = o ?? offset;
    }
    p += 46 + nameLength + extraLength + commentLength;
    if (buf.readUInt32LE(offset) !== LOCAL) throw bad(`no local header for ${name}`);
    const start = offset + 30 + buf.readUInt16LE(offset + 26) + buf.readUInt16LE(offset + 28);
    const raw = buf.subarray(start, start + compressed);
    let data;
    if (method === 0) data = raw;
    else if (method === 8) data = zlib.inflateRawSync(raw);
    else throw bad(`${name} uses compression method ${method}`);
    if (data.length !== size) throw bad(`${name} has the wrong size`);
    entries.push({ name, data });
  }
  return entries;
}
