// Draws the tray and app icons (PNG, Windows ICO, macOS template images) from code, so they can be
// regenerated without an image editor: `node scripts/make-icons.mjs`. Output: assets/tray/, build/.
import { deflateSync, crc32 } from 'node:zlib';
import { mkdirSync, writeFileSync } from 'node:fs';

const STATES = {
  ok: [46, 160, 67],
  warning: [219, 150, 0],
  critical: [207, 34, 46],
  unknown: [128, 128, 128],
  polling: [9, 105, 218],
};

function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body) >>> 0);
  return Buffer.concat([len, body, crc]);
}

/** RGBA pixels -> PNG bytes. */
function png(size, pixel) {
  const rows = [];
  for (let y = 0; y < size; y += 1) {
    const row = Buffer.alloc(1 + size * 4);
    for (let x = 0; x < size; x += 1) row.set(pixel(x, y, size), 1 + x * 4);
    rows.push(row);
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr.set([8, 6, 0, 0, 0], 8);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(Buffer.concat(rows))),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

/** A filled disc with a white "E"-like bar mark; anti-aliased edge. */
function badge(rgb, template) {
  return (x, y, size) => {
    const c = (size - 1) / 2;
    const r = size / 2 - 0.5;
    const d = Math.hypot(x - c, y - c);
    const alpha = Math.max(0, Math.min(1, r - d + 0.5));
    const u = x / size;
    const v = y / size;
    const mark = u > 0.32 && u < 0.68 && ((v > 0.26 && v < 0.36) || (v > 0.45 && v < 0.55) || (v > 0.64 && v < 0.74) || (u < 0.42 && v > 0.26 && v < 0.74));
    if (template) return [0, 0, 0, Math.round(255 * alpha * (mark ? 0.25 : 1))];
    return mark ? [255, 255, 255, Math.round(255 * alpha)] : [...rgb, Math.round(255 * alpha)];
  };
}

/** PNG images -> one ICO (PNG-compressed entries, Vista and later). */
function ico(images) {
  const header = Buffer.alloc(6 + images.length * 16);
  header.writeUInt16LE(0, 0);
  header.writeUInt16LE(1, 2);
  header.writeUInt16LE(images.length, 4);
  let offset = header.length;
  images.forEach(({ size, data }, i) => {
    const e = 6 + i * 16;
    header.writeUInt8(size >= 256 ? 0 : size, e);
    header.writeUInt8(size >= 256 ? 0 : size, e + 1);
    header.writeUInt16LE(1, e + 4);
    header.writeUInt16LE(32, e + 6);
    header.writeUInt32LE(data.length, e + 8);
    header.writeUInt32LE(offset, e + 12);
    offset += data.length;
  });
  return Buffer.concat([header, ...images.map((i) => i.data)]);
}

const tray = new URL('../assets/tray/', import.meta.url);
mkdirSync(tray, { recursive: true });
for (const [state, rgb] of Object.entries(STATES)) {
  writeFileSync(new URL(`tray-${state}.png`, tray), png(16, badge(rgb, false)));
  writeFileSync(new URL(`tray-${state}@2x.png`, tray), png(32, badge(rgb, false)));
  writeFileSync(new URL(`tray-${state}Template.png`, tray), png(16, badge(rgb, true)));
  writeFileSync(new URL(`tray-${state}Template@2x.png`, tray), png(32, badge(rgb, true)));
  writeFileSync(new URL(`tray-${state}.ico`, tray), ico([16, 32].map((size) => ({ size, data: png(size, badge(rgb, false)) }))));
}
const build = new URL('../build/', import.meta.url);
mkdirSync(build, { recursive: true });
writeFileSync(new URL('icon.png', build), png(512, badge(STATES.polling, false)));
writeFileSync(new URL('icon.ico', build), ico([16, 32, 48, 256].map((size) => ({ size, data: png(size, badge(STATES.polling, false)) }))));
console.log('icons written to assets/tray/ and build/');
