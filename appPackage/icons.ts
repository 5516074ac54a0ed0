// Draws the two Teams app icons and writes them next to manifest.json.
//   npm run build && node dist/appPackage/icons.js
// The PNGs are committed; this file is how they were made, so a change of colour or shape is a
// code change that review can see. Drawing is deterministic: the same code gives the same bytes.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { resolveAppFolder } from './app-folder.resolver';
import { encodePng, type RgbaImage } from './png.encoder';
import { Canvas, circle, hex, line, linearGradient, polygon, roundedRect, subtract, union, type Shape } from './shape.rasterizer';

/** The manifest's accentColor; the colour icon's background is built around it. */
export const ACCENT_COLOR = '#4F46E5';

export const COLOR_ICON_SIZE = 192;
export const OUTLINE_ICON_SIZE = 32;

const WHITE = hex('#FFFFFF');

// The glyph is a chat bubble (ChatOps) holding a three-stage pipeline whose nodes climb like a
// metric improving run over run (MLOps). Coordinates are on a 32-unit grid so that the outline
// icon lands on whole pixels; the colour icon scales the same drawing up.
const BUBBLE = { x: 3, y: 4, w: 26, h: 19.5, r: 5.5 };
const TAIL: ReadonlyArray<readonly [number, number]> = [[7.5, 21], [8, 28.5], [16.5, 21]];
const NODES: ReadonlyArray<readonly [number, number]> = [[9.5, 17], [16, 12.5], [22.5, 9]];

interface GlyphParts { bubble: Shape; pipeline: Shape; nodes: Shape[] }

function glyph(scale: number, offset: number, weight: { node: number; link: number }): GlyphParts {
  const p = (v: number): number => offset + v * scale;
  const bubble = union(
    roundedRect(p(BUBBLE.x), p(BUBBLE.y), BUBBLE.w * scale, BUBBLE.h * scale, BUBBLE.r * scale),
    polygon(TAIL.map(([x, y]) => [p(x), p(y)] as const)),
  );
  const nodes = NODES.map(([x, y]) => circle(p(x), p(y), weight.node * scale));
  const links: Shape[] = [];
  for (let i = 1; i < NODES.length; i++) {
    const [ax, ay] = NODES[i - 1] ?? [0, 0];
    const [bx, by] = NODES[i] ?? [0, 0];
    links.push(line(p(ax), p(ay), p(bx), p(by), weight.link * scale));
  }
  return { bubble, pipeline: union(...nodes, ...links), nodes };
}

/** 192×192 full colour: white bubble on an indigo rounded square, pipeline in the accent colour. */
export function drawColorIcon(): RgbaImage {
  const size = COLOR_ICON_SIZE;
  const canvas = new Canvas(size, size);
  const background = roundedRect(0, 0, size, size, 42);
  canvas.fill(background, linearGradient(0, 0, size, size, hex('#6A5FF2'), hex('#3A2FC2')));
  // The glyph spans 136 px of the 192, leaving the padding Teams' own icons keep.
  const scale = 136 / 32;
  const offset = (size - 32 * scale) / 2;
  const parts = glyph(scale, offset, { node: 2.7, link: 1.6 });
  canvas.fill(parts.bubble, WHITE);
  canvas.fill(parts.pipeline, hex(ACCENT_COLOR));
  // The last stage in green: the model made it to production.
  const last = parts.nodes[parts.nodes.length - 1];
  if (last) canvas.fill(last, hex('#10B981'));
  return canvas.toImage();
}

/**
 * 32×32 outline: white only on transparent, as Teams requires (it tints it for the app bar). The
 * pipeline is cut out of the white bubble, so it reads as a silhouette at this size.
 * `pixels` other than 32 only serves previews.
 */
export function drawOutlineIcon(pixels = OUTLINE_ICON_SIZE): RgbaImage {
  const canvas = new Canvas(pixels, pixels);
  const parts = glyph(pixels / 32, 0, { node: 2.6, link: 1.7 });
  canvas.fill(subtract(parts.bubble, parts.pipeline), WHITE);
  return canvas.toImage(WHITE);
}

export function writeIcons(appFolder: string): string[] {
  const files: Array<[string, RgbaImage]> = [['color.png', drawColorIcon()], ['outline.png', drawOutlineIcon()]];
  return files.map(([name, image]) => {
    const file = path.join(appFolder, name);
    writeFileSync(file, encodePng(image));
    return file;
  });
}

if (require.main === module) {
  for (const file of writeIcons(resolveAppFolder(__dirname))) console.log(`wrote ${file}`);
}
