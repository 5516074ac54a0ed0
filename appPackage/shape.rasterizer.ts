// A tiny vector rasteriser for the app icons: shapes are signed-distance functions, edges are
// anti-aliased by supersampling each pixel on an n×n grid. Icons are 192 px at most, so plain
// sampling is fast enough and gives exact coverage without any curve maths.
import type { RgbaImage } from './png.encoder';

/** Straight-alpha colour, each channel 0..1. */
export type Rgba = readonly [number, number, number, number];
/** A solid colour, or one that depends on the position (gradients). */
export type Paint = Rgba | ((x: number, y: number) => Rgba);

interface Bounds { readonly x0: number; readonly y0: number; readonly x1: number; readonly y1: number }

/**
 * A region of the plane, in pixel coordinates (x right, y down, pixel centres at .5), given by a
 * signed distance: negative inside, and never more than the true distance to the edge. That
 * bound lets the canvas skip supersampling for pixels far from every edge.
 */
export interface Shape {
  readonly bounds: Bounds;
  distance(x: number, y: number): number;
}

export function circle(cx: number, cy: number, r: number): Shape {
  return { bounds: box(cx - r, cy - r, cx + r, cy + r), distance: (x, y) => len(x - cx, y - cy) - r };
}

/** A ring whose stroke of `width` is centred on radius `r`. */
export function ring(cx: number, cy: number, r: number, width: number): Shape {
  const outer = r + width / 2;
  return {
    bounds: box(cx - outer, cy - outer, cx + outer, cy + outer),
    distance: (x, y) => Math.abs(len(x - cx, y - cy) - r) - width / 2,
  };
}

export function roundedRect(x: number, y: number, w: number, h: number, radius: number): Shape {
  const r = Math.min(radius, w / 2, h / 2);
  const cx = x + w / 2;
  const cy = y + h / 2;
  return {
    bounds: box(x, y, x + w, y + h),
    distance: (px, py) => {
      // Distance to the rectangle shrunk by r, minus r: the usual rounded-box distance.
      const qx = Math.abs(px - cx) - (w / 2 - r);
      const qy = Math.abs(py - cy) - (h / 2 - r);
      return len(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r;
    },
  };
}

/** A thick segment with round caps (a capsule), so joined segments meet without notches. */
export function line(x0: number, y0: number, x1: number, y1: number, width: number): Shape {
  const half = width / 2;
  return {
    bounds: box(Math.min(x0, x1) - half, Math.min(y0, y1) - half, Math.max(x0, x1) + half, Math.max(y0, y1) + half),
    distance: (px, py) => segmentDistance(px, py, x0, y0, x1, y1) - half,
  };
}

/** A polygon (even-odd rule), e.g. an arrow head or a speech-bubble tail. */
export function polygon(points: ReadonlyArray<readonly [number, number]>): Shape {
  const xs = points.map((p) => p[0]);
  const ys = points.map((p) => p[1]);
  return {
    bounds: box(Math.min(...xs), Math.min(...ys), Math.max(...xs), Math.max(...ys)),
    distance: (px, py) => {
      let inside = false;
      let nearest = Infinity;
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const [xi, yi] = points[i] ?? [0, 0];
        const [xj, yj] = points[j] ?? [0, 0];
        if (yi > py !== yj > py && px < ((xj - xi) * (py - yi)) / (yj - yi) + xi) inside = !inside;
        nearest = Math.min(nearest, segmentDistance(px, py, xj, yj, xi, yi));
      }
      return inside ? -nearest : nearest;
    },
  };
}

// Combining shapes before filling matters: filling two touching shapes one after the other
// leaves a faint seam where both only partly cover a pixel; a union is sampled once.
export function union(...shapes: Shape[]): Shape {
  return {
    bounds: box(
      Math.min(...shapes.map((s) => s.bounds.x0)), Math.min(...shapes.map((s) => s.bounds.y0)),
      Math.max(...shapes.map((s) => s.bounds.x1)), Math.max(...shapes.map((s) => s.bounds.y1)),
    ),
    distance: (x, y) => {
      let d = Infinity;
      for (const s of shapes) d = Math.min(d, s.distance(x, y));
      return d;
    },
  };
}

export function subtract(shape: Shape, ...holes: Shape[]): Shape {
  return {
    bounds: shape.bounds,
    distance: (x, y) => {
      let d = shape.distance(x, y);
      for (const h of holes) d = Math.max(d, -h.distance(x, y));
      return d;
    },
  };
}

/** Linear gradient between two colours along the segment (x0,y0)→(x1,y1). */
export function linearGradient(x0: number, y0: number, x1: number, y1: number, from: Rgba, to: Rgba): Paint {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy || 1;
  return (x, y) => {
    const t = Math.min(1, Math.max(0, ((x - x0) * dx + (y - y0) * dy) / len2));
    const mix = (i: 0 | 1 | 2 | 3): number => from[i] + (to[i] - from[i]) * t;
    return [mix(0), mix(1), mix(2), mix(3)];
  };
}

/** `#RRGGBB` (or `#RRGGBBAA`) to an Rgba colour. */
export function hex(color: string): Rgba {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})?$/i.exec(color);
  if (!m) throw new Error(`not a #RRGGBB colour: ${color}`);
  const ch = (s: string | undefined, dflt: number) => (s === undefined ? dflt : parseInt(s, 16) / 255);
  return [ch(m[1], 0), ch(m[2], 0), ch(m[3], 0), ch(m[4], 1)];
}

export class Canvas {
  // Premultiplied RGBA floats, so that compositing and coverage blend without dark fringes.
  private readonly px: Float64Array;

  constructor(readonly width: number, readonly height: number, private readonly samples = 8) {
    this.px = new Float64Array(width * height * 4);
  }

  /** Paints `shape` over what is there (source-over), weighted by per-pixel coverage. */
  fill(shape: Shape, paint: Paint): void {
    this.forCoveredPixels(shape, (i, x, y, coverage) => {
      const [r, g, b, a] = typeof paint === 'function' ? paint(x + 0.5, y + 0.5) : paint;
      const alpha = a * coverage;
      const keep = 1 - alpha;
      this.px[i] = r * alpha + (this.px[i] ?? 0) * keep;
      this.px[i + 1] = g * alpha + (this.px[i + 1] ?? 0) * keep;
      this.px[i + 2] = b * alpha + (this.px[i + 2] ?? 0) * keep;
      this.px[i + 3] = alpha + (this.px[i + 3] ?? 0) * keep;
    });
  }

  /** Makes `shape` transparent again (destination-out), e.g. to cut a gap around a node. */
  erase(shape: Shape): void {
    this.forCoveredPixels(shape, (i, _x, _y, coverage) => {
      for (let c = 0; c < 4; c++) this.px[i + c] = (this.px[i + c] ?? 0) * (1 - coverage);
    });
  }

  /**
   * 8-bit straight RGBA. Fully transparent pixels get `transparentColor`'s RGB, so an outline
   * icon can be white everywhere, as Teams asks, and vary only in alpha.
   */
  toImage(transparentColor: Rgba = [0, 0, 0, 0]): RgbaImage {
    const data = new Uint8Array(this.width * this.height * 4);
    for (let i = 0; i < data.length; i += 4) {
      const a = this.px[i + 3] ?? 0;
      const alpha = Math.round(a * 255);
      for (let c = 0; c < 3; c++) {
        const straight = alpha === 0 ? (transparentColor[c] ?? 0) : (this.px[i + c] ?? 0) / a;
        data[i + c] = Math.round(Math.min(1, Math.max(0, straight)) * 255);
      }
      data[i + 3] = alpha;
    }
    return { width: this.width, height: this.height, data };
  }

  private forCoveredPixels(shape: Shape, visit: (index: number, x: number, y: number, coverage: number) => void): void {
    const { x0, y0, x1, y1 } = shape.bounds;
    const n = this.samples;
    for (let y = Math.max(0, Math.floor(y0)); y < Math.min(this.height, Math.ceil(y1)); y++) {
      for (let x = Math.max(0, Math.floor(x0)); x < Math.min(this.width, Math.ceil(x1)); x++) {
        const index = (y * this.width + x) * 4;
        // Every sample lies within half a diagonal (0.71 px) of the centre: farther from the
        // edge than that, the pixel is wholly in or out and sampling would change nothing.
        const centre = shape.distance(x + 0.5, y + 0.5);
        if (centre > FAR) continue;
        if (centre < -FAR) {
          visit(index, x, y, 1);
          continue;
        }
        let hits = 0;
        for (let sy = 0; sy < n; sy++) {
          for (let sx = 0; sx < n; sx++) {
            if (shape.distance(x + (sx + 0.5) / n, y + (sy + 0.5) / n) <= 0) hits++;
          }
        }
        if (hits > 0) visit(index, x, y, hits / (n * n));
      }
    }
  }
}

const FAR = 0.75;

function segmentDistance(px: number, py: number, x0: number, y0: number, x1: number, y1: number): number {
  const dx = x1 - x0;
  const dy = y1 - y0;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.min(1, Math.max(0, ((px - x0) * dx + (py - y0) * dy) / len2));
  return len(px - x0 - t * dx, py - y0 - t * dy);
}

// Math.hypot guards against overflow we cannot have here and is several times slower.
function len(x: number, y: number): number {
  return Math.sqrt(x * x + y * y);
}

function box(x0: number, y0: number, x1: number, y1: number): Bounds {
  return { x0, y0, x1, y1 };
}
