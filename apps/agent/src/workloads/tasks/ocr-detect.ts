// PP-OCRv4 text detection (DB): the image in, and the probability map out as axis-aligned boxes in reading order.
import { PNG } from "pngjs";

// ---------- Images ----------

/** An 8-bit RGB image, row-major, 3 bytes a pixel. */
export interface RgbImage {
  width: number;
  height: number;
  data: Uint8Array;
}

/** Decodes a PNG; transparent pixels are laid over white, since text images are drawn on a light page. */
export function decodePng(bytes: Buffer): RgbImage {
  const png = PNG.sync.read(bytes);
  const { width, height } = png;
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const a = png.data[i * 4 + 3] ?? 255;
    for (let c = 0; c < 3; c++) {
      const v = png.data[i * 4 + c] ?? 0;
      data[i * 3 + c] = Math.round((v * a + 255 * (255 - a)) / 255);
    }
  }
  return { width, height, data };
}

/** A region of an image, in pixels: x1/y1 inclusive, x2/y2 exclusive. */
export interface Box {
  x1: number;
  y1: number;
  x2: number;
  y2: number;
}

/**
 * Bilinear resampling of `box` of `img` to outW×outH, written into `out` as CHW floats through `norm(value,
 * channel)`. Channels go out in BGR order: PaddleOCR trains and serves its models on OpenCV's BGR images.
 */
export function resampleToChw(
  img: RgbImage,
  box: Box,
  outW: number,
  outH: number,
  out: Float32Array,
  rowStride: number,
  norm: (v: number, bgrChannel: number) => number,
): void {
  const sx = (box.x2 - box.x1) / outW;
  const sy = (box.y2 - box.y1) / outH;
  const plane = outH * rowStride;
  const maxX = box.x2 - 1;
  const maxY = box.y2 - 1;
  for (let y = 0; y < outH; y++) {
    const fy = Math.min(Math.max(box.y1 + (y + 0.5) * sy - 0.5, box.y1), maxY);
    const y0 = Math.floor(fy);
    const y1 = Math.min(y0 + 1, maxY);
    const wy = fy - y0;
    for (let x = 0; x < outW; x++) {
      const fx = Math.min(Math.max(box.x1 + (x + 0.5) * sx - 0.5, box.x1), maxX);
      const x0 = Math.floor(fx);
      const x1 = Math.min(x0 + 1, maxX);
      const wx = fx - x0;
      const p00 = (y0 * img.width + x0) * 3;
      const p01 = (y0 * img.width + x1) * 3;
      const p10 = (y1 * img.width + x0) * 3;
      const p11 = (y1 * img.width + x1) * 3;
      for (let c = 0; c < 3; c++) {
        const top = (img.data[p00 + c] ?? 0) * (1 - wx) + (img.data[p01 + c] ?? 0) * wx;
        const bottom = (img.data[p10 + c] ?? 0) * (1 - wx) + (img.data[p11 + c] ?? 0) * wx;
        const bgr = 2 - c;
        out[bgr * plane + y * rowStride + x] = norm(top * (1 - wy) + bottom * wy, bgr);
      }
    }
  }
}

// ---------- Detection ----------

/** PaddleOCR's det defaults: long side at most 960, threshold 0.3, box score 0.6, unclip ratio 1.5. */
const DET_LIMIT_SIDE = 960;
const DET_THRESHOLD = 0.3;
const DET_BOX_THRESHOLD = 0.6;
const DET_UNCLIP_RATIO = 1.5;
const DET_MIN_SIZE = 3;
const DET_MEAN = [0.406, 0.456, 0.485]; // BGR order of ImageNet's RGB mean
const DET_STD = [0.225, 0.224, 0.229];

/** The det input size: at most 960 on the long side, both sides multiples of 32 (the network downsamples by 32). */
export function detInputSize(width: number, height: number): { width: number; height: number } {
  const scale = Math.min(1, DET_LIMIT_SIDE / Math.max(width, height));
  const round32 = (v: number) => Math.max(32, Math.round((v * scale) / 32) * 32);
  return { width: round32(width), height: round32(height) };
}

export function detInput(img: RgbImage): { data: Float32Array; width: number; height: number } {
  const size = detInputSize(img.width, img.height);
  const data = new Float32Array(3 * size.width * size.height);
  const whole = { x1: 0, y1: 0, x2: img.width, y2: img.height };
  resampleToChw(img, whole, size.width, size.height, data, size.width, (v, c) => {
    return (v / 255 - (DET_MEAN[c] ?? 0)) / (DET_STD[c] ?? 1);
  });
  return { data, ...size };
}

/** A connected region of the thresholded map: its bounding box and its mean probability. */
export interface Component extends Box {
  pixels: number;
  score: number;
}

/**
 * 8-connected components of `prob > threshold`, found with an explicit stack (no recursion, so a page-sized
 * region cannot overflow the call stack); every pixel is pushed at most once.
 */
export function connectedComponents(prob: Float32Array, width: number, height: number, threshold: number): Component[] {
  const seen = new Uint8Array(width * height);
  const stack = new Int32Array(width * height);
  const found: Component[] = [];
  for (let start = 0; start < width * height; start++) {
    if (seen[start] || (prob[start] ?? 0) <= threshold) continue;
    seen[start] = 1;
    let top = 0;
    stack[top++] = start;
    const c = { x1: width, y1: height, x2: 0, y2: 0, pixels: 0, score: 0 };
    let sum = 0;
    while (top > 0) {
      const p = stack[--top] ?? 0;
      const x = p % width;
      const y = (p - x) / width;
      c.pixels++;
      sum += prob[p] ?? 0;
      c.x1 = Math.min(c.x1, x);
      c.y1 = Math.min(c.y1, y);
      c.x2 = Math.max(c.x2, x + 1);
      c.y2 = Math.max(c.y2, y + 1);
      for (let dy = -1; dy <= 1; dy++) {
        const ny = y + dy;
        if (ny < 0 || ny >= height) continue;
        for (let dx = -1; dx <= 1; dx++) {
          const nx = x + dx;
          if (nx < 0 || nx >= width) continue;
          const q = ny * width + nx;
          if (seen[q] || (prob[q] ?? 0) <= threshold) continue;
          seen[q] = 1;
          stack[top++] = q;
        }
      }
    }
    c.score = sum / c.pixels;
    found.push(c);
  }
  return found;
}

/**
 * Turns det's probability map into text boxes in the original image's pixels. DB shrinks each text region
 * while training, so a found region is grown back: PaddleOCR offsets the polygon by area × ratio / perimeter,
 * which for a rectangle is the padding below.
 */
export function boxesFromProbMap(prob: Float32Array, mapW: number, mapH: number, imgW: number, imgH: number): Box[] {
  const sx = imgW / mapW;
  const sy = imgH / mapH;
  const boxes: Box[] = [];
  for (const c of connectedComponents(prob, mapW, mapH, DET_THRESHOLD)) {
    const w = c.x2 - c.x1;
    const h = c.y2 - c.y1;
    if (Math.min(w, h) < DET_MIN_SIZE || c.score < DET_BOX_THRESHOLD) continue;
    const pad = (w * h * DET_UNCLIP_RATIO) / (2 * (w + h));
    const box = {
      x1: Math.max(0, Math.floor((c.x1 - pad) * sx)),
      y1: Math.max(0, Math.floor((c.y1 - pad) * sy)),
      x2: Math.min(imgW, Math.ceil((c.x2 + pad) * sx)),
      y2: Math.min(imgH, Math.ceil((c.y2 + pad) * sy)),
    };
    if (box.x2 - box.x1 >= DET_MIN_SIZE && box.y2 - box.y1 >= DET_MIN_SIZE) boxes.push(box);
  }
  return sortReadingOrder(boxes);
}

/** Top to bottom, and left to right among boxes whose vertical centres lie within half a box height. */
export function sortReadingOrder(boxes: Box[]): Box[] {
  const byTop = [...boxes].sort((a, b) => a.y1 - b.y1 || a.x1 - b.x1);
  const lines: Box[][] = [];
  for (const box of byTop) {
    const line = lines.at(-1);
    const first = line?.[0];
    const centre = (b: Box) => (b.y1 + b.y2) / 2;
    const half = first ? Math.min(first.y2 - first.y1, box.y2 - box.y1) / 2 : 0;
    if (line && first && Math.abs(centre(first) - centre(box)) <= half) line.push(box);
    else lines.push([box]);
  }
  return lines.flatMap((line) => line.sort((a, b) => a.x1 - b.x1));
}
