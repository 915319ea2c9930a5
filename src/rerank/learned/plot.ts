/**
 * Loss curves as a PNG, drawn straight into an RGB buffer (no chart library): mini-batch loss
 * in grey, per-epoch training loss in blue, held-out loss in orange; x = training progress.
 * Axis labels are a small SVG overlay that sharp renders.
 */
import sharp from 'sharp';
import type { TrainResult } from './train.js';

const W = 720;
const H = 400;
const M = { left: 60, right: 20, top: 30, bottom: 40 };
type Rgb = readonly [number, number, number];
const GREY: Rgb = [190, 190, 190];
const BLUE: Rgb = [31, 119, 180];
const ORANGE: Rgb = [255, 127, 14];
const AXIS: Rgb = [60, 60, 60];

class Canvas {
  readonly data = Buffer.alloc(W * H * 3, 255);
  dot(x: number, y: number, c: Rgb, r = 1): void {
    for (let dy = -r + 1; dy < r; dy++) {
      for (let dx = -r + 1; dx < r; dx++) {
        const px = Math.round(x) + dx;
        const py = Math.round(y) + dy;
        if (px < 0 || py < 0 || px >= W || py >= H) continue;
        const o = (py * W + px) * 3;
        this.data[o] = c[0];
        this.data[o + 1] = c[1];
        this.data[o + 2] = c[2];
      }
    }
  }
  line(x0: number, y0: number, x1: number, y1: number, c: Rgb, r = 1): void {
    const steps = Math.max(1, Math.ceil(Math.hypot(x1 - x0, y1 - y0)));
    for (let s = 0; s <= steps; s++) this.dot(x0 + ((x1 - x0) * s) / steps, y0 + ((y1 - y0) * s) / steps, c, r);
  }
  polyline(points: ReadonlyArray<readonly [number, number]>, c: Rgb, r = 1): void {
    for (let i = 1; i < points.length; i++) this.line(points[i - 1]![0], points[i - 1]![1], points[i]![0], points[i]![1], c, r);
    if (points.length === 1) this.dot(points[0]![0], points[0]![1], c, r + 2);
  }
}

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[ch]!);
}

export async function plotLosses(training: TrainResult, file: string, title = 'similarity MLP: binary cross-entropy'): Promise<void> {
  const c = new Canvas();
  const epochs = training.epochs.length;
  const finite = [...training.batchLosses, ...training.epochs.flatMap((e) => [e.trainLoss, e.valLoss])].filter(Number.isFinite);
  const yMax = Math.max(1e-6, ...finite) * 1.05;
  const px = (t: number): number => M.left + (t / Math.max(epochs, 1e-9)) * (W - M.left - M.right);
  const py = (v: number): number => H - M.bottom - (v / yMax) * (H - M.top - M.bottom);
  c.line(M.left, M.top, M.left, H - M.bottom, AXIS);
  c.line(M.left, H - M.bottom, W - M.right, H - M.bottom, AXIS);
  for (let e = 0; e <= epochs; e++) c.line(px(e), H - M.bottom, px(e), H - M.bottom + 5, AXIS);
  const nb = training.batchLosses.length;
  // Smoothed over ~1 % of the batches so the trend is visible through mini-batch noise.
  const win = Math.max(1, Math.round(nb / 100));
  const smooth: Array<[number, number]> = [];
  for (let i = 0; i < nb; i += win) {
    const chunk = training.batchLosses.slice(i, i + win);
    smooth.push([px(((i + chunk.length / 2) / nb) * epochs), py(chunk.reduce((s, v) => s + v, 0) / chunk.length)]);
  }
  c.polyline(smooth, GREY);
  c.polyline(training.epochs.map((e) => [px(e.epoch), py(e.trainLoss)] as [number, number]), BLUE, 2);
  c.polyline(training.epochs.filter((e) => Number.isFinite(e.valLoss)).map((e) => [px(e.epoch), py(e.valLoss)] as [number, number]), ORANGE, 2);
  const last = training.epochs[epochs - 1];
  const text = (x: number, y: number, s: string, color = '#333', anchor = 'start'): string =>
    `<text x="${x}" y="${y}" font-family="sans-serif" font-size="13" fill="${color}" text-anchor="${anchor}">${escapeXml(s)}</text>`;
  const svg = `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${[
    text(W / 2, 18, title, '#000', 'middle'),
    text(M.left - 6, M.top + 4, yMax.toFixed(2), '#333', 'end'),
    text(M.left - 6, H - M.bottom, '0', '#333', 'end'),
    text(W / 2, H - 10, 'epoch', '#333', 'middle'),
    ...Array.from({ length: epochs + 1 }, (_, e) => text(px(e), H - M.bottom + 18, String(e), '#333', 'middle')),
    text(W - 250, M.top + 10, 'mini-batch loss (smoothed)', '#999'),
    text(W - 250, M.top + 28, 'training loss', '#1f77b4'),
    text(W - 250, M.top + 46, `held-out loss${last ? `, accuracy ${(last.valAccuracy * 100).toFixed(1)} %` : ''}`, '#ff7f0e'),
  ].join('')}</svg>`;
  await sharp(c.data, { raw: { width: W, height: H, channels: 3 } })
    .composite([{ input: Buffer.from(svg), top: 0, left: 0 }])
    .png()
    .toFile(file);
}
