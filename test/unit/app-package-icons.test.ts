// The Teams icons are checked from their bytes with a PNG reader written here, independent of
// the encoder in appPackage/, so an encoder bug cannot hide behind a matching decoder bug.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { crc32, inflateSync } from 'node:zlib';
import { ACCENT_COLOR, drawColorIcon, drawOutlineIcon } from '../../appPackage/icons';
import { encodePng, readPngSize } from '../../appPackage/png.encoder';
import { Canvas, circle, roundedRect } from '../../appPackage/shape.rasterizer';

const APP = path.resolve(__dirname, '../../appPackage');
const colorPng = readFileSync(path.join(APP, 'color.png'));
const outlinePng = readFileSync(path.join(APP, 'outline.png'));

interface Decoded { width: number; height: number; colorType: number; pixels: Uint8Array }

function decodePng(png: Buffer): Decoded {
  expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
  let offset = 8;
  let ihdr: Buffer | undefined;
  const idat: Buffer[] = [];
  while (offset < png.length) {
    const length = png.readUInt32BE(offset);
    const type = png.toString('latin1', offset + 4, offset + 8);
    const body = png.subarray(offset + 8, offset + 8 + length);
    expect(png.readUInt32BE(offset + 8 + length)).toBe(crc32(png.subarray(offset + 4, offset + 8 + length)));
    if (type === 'IHDR') ihdr = body;
    if (type === 'IDAT') idat.push(body);
    offset += 12 + length;
    if (type === 'IEND') break;
  }
  if (!ihdr) throw new Error('no IHDR chunk');
  const width = ihdr.readUInt32BE(0);
  const height = ihdr.readUInt32BE(4);
  const colorType = ihdr[9] ?? -1;
  expect({ bitDepth: ihdr[8], interlace: ihdr[12] }).toEqual({ bitDepth: 8, interlace: 0 });
  expect(colorType).toBe(6); // RGBA; the unfilter below assumes 4 bytes a pixel
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * 4;
  expect(raw.length).toBe((stride + 1) * height);
  const pixels = new Uint8Array(stride * height);
  const at = (i: number): number => (i < 0 ? 0 : pixels[i] ?? 0);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    for (let i = 0; i < stride; i++) {
      const x = raw[y * (stride + 1) + 1 + i] ?? 0;
      const a = i >= 4 ? at(y * stride + i - 4) : 0;
      const b = y > 0 ? at((y - 1) * stride + i) : 0;
      const c = y > 0 && i >= 4 ? at((y - 1) * stride + i - 4) : 0;
      let p: number;
      switch (filter) {
        case 0: p = 0; break;
        case 1: p = a; break;
        case 2: p = b; break;
        case 3: p = (a + b) >> 1; break;
        case 4: {
          const e = a + b - c;
          const [pa, pb, pc] = [Math.abs(e - a), Math.abs(e - b), Math.abs(e - c)];
          p = pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
          break;
        }
        default: throw new Error(`row ${y}: unknown filter ${filter}`);
      }
      pixels[y * stride + i] = (x + p) & 0xff;
    }
  }
  return { width, height, colorType, pixels };
}

function differingBytes(a: Uint8Array, b: Uint8Array): number {
  let count = Math.abs(a.length - b.length);
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) count++;
  return count;
}

function pixel(img: Decoded, x: number, y: number): number[] {
  const i = (y * img.width + x) * 4;
  return Array.from(img.pixels.subarray(i, i + 4));
}

describe('app icons', () => {
  it('are 192x192 (color) and 32x32 (outline) according to their IHDR headers', () => {
    expect(colorPng.toString('latin1', 12, 16)).toBe('IHDR');
    expect([colorPng.readUInt32BE(16), colorPng.readUInt32BE(20)]).toEqual([192, 192]);
    expect([outlinePng.readUInt32BE(16), outlinePng.readUInt32BE(20)]).toEqual([32, 32]);
    expect(readPngSize(outlinePng)).toEqual({ width: 32, height: 32 });
  });

  it('draws the outline icon in white only, on a transparent background, with anti-aliased edges', () => {
    const img = decodePng(outlinePng);
    const alphas: number[] = [];
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const [r, g, b, a] = pixel(img, x, y);
        expect([r, g, b]).toEqual([255, 255, 255]);
        alphas.push(a ?? -1);
      }
    }
    for (const [x, y] of [[0, 0], [31, 0], [0, 31], [31, 31]] as const) expect(pixel(img, x, y)[3]).toBe(0);
    const opaque = alphas.filter((a) => a === 255).length;
    const partial = alphas.filter((a) => a > 0 && a < 255).length;
    const clear = alphas.filter((a) => a === 0).length;
    // A real glyph: a solid body, soft edges, and room around it (not a filled square).
    expect(opaque).toBeGreaterThan(200);
    expect(partial).toBeGreaterThan(40);
    expect(clear).toBeGreaterThan(200);
  });

  it('draws the color icon in full colour on an opaque rounded square in the accent hue', () => {
    const img = decodePng(colorPng);
    expect(pixel(img, 0, 0)[3]).toBe(0); // rounded corner
    const centreLeft = pixel(img, 8, 96);
    expect(centreLeft[3]).toBe(255);
    const [ar, ag, ab] = [1, 3, 5].map((i) => parseInt(ACCENT_COLOR.slice(i, i + 2), 16));
    // The background is a gradient around the accent colour: close to it, blue-violet dominant.
    const [r, g, b] = centreLeft;
    expect(Math.abs((r ?? 0) - (ar ?? 0)) + Math.abs((g ?? 0) - (ag ?? 0)) + Math.abs((b ?? 0) - (ab ?? 0))).toBeLessThan(60);
    const colours = new Set<string>();
    for (let i = 0; i < img.pixels.length; i += 4) {
      if (img.pixels[i + 3] === 255) colours.add(Array.from(img.pixels.subarray(i, i + 3)).join(','));
    }
    expect(colours.has('255,255,255')).toBe(true); // the white chat bubble
    expect(colours.size).toBeGreaterThan(100);
  });

  it('are exactly what appPackage/icons.ts draws, so the committed PNGs can be regenerated', () => {
    // Counting differing bytes: toEqual on 147 kB buffers is slow and its diff unreadable.
    expect(differingBytes(decodePng(colorPng).pixels, drawColorIcon().data)).toBe(0);
    expect(differingBytes(decodePng(outlinePng).pixels, drawOutlineIcon().data)).toBe(0);
  });
});

describe('shape rasteriser', () => {
  it('covers a circle with its exact area and gives half-covered edge pixels half alpha', () => {
    const canvas = new Canvas(32, 32);
    canvas.fill(circle(16, 16, 10), [1, 1, 1, 1]);
    canvas.fill(roundedRect(0, 0, 2.5, 32, 0), [1, 1, 1, 1]); // edge through the middle of column 2
    const { data } = canvas.toImage();
    let alpha = 0;
    for (let i = 3; i < data.length; i += 4) alpha += (data[i] ?? 0) / 255;
    expect(alpha).toBeCloseTo(Math.PI * 100 + 2.5 * 32, -1);
    expect(data[(5 * 32 + 2) * 4 + 3]).toBe(128);
    expect(data[(5 * 32 + 1) * 4 + 3]).toBe(255);
  });
});

describe('PNG encoder', () => {
  it('round-trips pixels through every row filter', () => {
    const width = 7;
    const height = 9;
    const data = new Uint8Array(width * height * 4);
    // Smooth rows favour Sub/Up/Average/Paeth, noisy rows favour None: all five get used.
    for (let i = 0; i < data.length; i++) data[i] = Math.floor(i / (width * 4)) % 2 === 0 ? (i * 3) & 0xff : (i * 7919) % 251;
    const decoded = decodePng(encodePng({ width, height, data }));
    expect(decoded).toMatchObject({ width, height, colorType: 6 });
    expect(Buffer.from(decoded.pixels)).toEqual(Buffer.from(data));
  });

  it('refuses pixel data that does not match the size', () => {
    expect(() => encodePng({ width: 2, height: 2, data: new Uint8Array(15) })).toThrow(/expected 16/);
  });
});
