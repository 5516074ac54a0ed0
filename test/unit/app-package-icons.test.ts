// The committed Teams icons, read with pngjs (a maintained PNG decoder): sizes, colours and the
// outline icon's white-on-transparent rule that Teams enforces at upload.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PNG } from 'pngjs';
import { ACCENT_COLOR, COLOR_ICON_SIZE, OUTLINE_ICON_SIZE } from '../../appPackage/icon-spec';

const APP = path.resolve(__dirname, '../../appPackage');
const color = PNG.sync.read(readFileSync(path.join(APP, 'color.png')));
const outline = PNG.sync.read(readFileSync(path.join(APP, 'outline.png')));

function pixel(img: PNG, x: number, y: number): number[] {
  const i = (y * img.width + x) * 4;
  return Array.from(img.data.subarray(i, i + 4));
}

describe('app icons', () => {
  it('are 192x192 (color) and 32x32 (outline)', () => {
    expect([color.width, color.height]).toEqual([COLOR_ICON_SIZE, COLOR_ICON_SIZE]);
    expect([outline.width, outline.height]).toEqual([OUTLINE_ICON_SIZE, OUTLINE_ICON_SIZE]);
  });

  it('draws the outline icon in white only, on a transparent background, with anti-aliased edges', () => {
    const alphas: number[] = [];
    for (let y = 0; y < outline.height; y++) {
      for (let x = 0; x < outline.width; x++) {
        const [r, g, b, a] = pixel(outline, x, y);
        // A fully transparent pixel's colour is invisible; every visible one must be white.
        if ((a ?? 0) > 0) expect([r, g, b]).toEqual([255, 255, 255]);
        alphas.push(a ?? -1);
      }
    }
    for (const [x, y] of [[0, 0], [31, 0], [0, 31], [31, 31]] as const) expect(pixel(outline, x, y)[3]).toBe(0);
    // A real glyph: a solid body, soft edges, and room around it (not a filled square).
    expect(alphas.filter((a) => a === 255).length).toBeGreaterThan(200);
    expect(alphas.filter((a) => a > 0 && a < 255).length).toBeGreaterThan(40);
    expect(alphas.filter((a) => a === 0).length).toBeGreaterThan(200);
  });

  it('draws the color icon in full colour on an opaque rounded square in the accent hue', () => {
    expect(pixel(color, 0, 0)[3]).toBe(0); // rounded corner
    const [r, g, b, a] = pixel(color, 8, 96);
    expect(a).toBe(255);
    const [ar, ag, ab] = [1, 3, 5].map((i) => parseInt(ACCENT_COLOR.slice(i, i + 2), 16));
    // The background is a gradient around the accent colour: close to it.
    expect(Math.abs((r ?? 0) - (ar ?? 0)) + Math.abs((g ?? 0) - (ag ?? 0)) + Math.abs((b ?? 0) - (ab ?? 0))).toBeLessThan(60);
    const colours = new Set<string>();
    for (let i = 0; i < color.data.length; i += 4) if (color.data[i + 3] === 255) colours.add(Array.from(color.data.subarray(i, i + 3)).join(','));
    expect(colours.has('255,255,255')).toBe(true); // the white chat bubble
    expect(colours.size).toBeGreaterThan(100);
  });
});
