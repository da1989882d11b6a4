// PP-OCRv4 text recognition (CTC): crops to the model's input, its output to text, and text to a score.
import { type Box, type RgbImage, resampleToChw } from "./ocr-detect.ts";

// ---------- Recognition ----------

export const REC_HEIGHT = 48;
/** PaddleOCR's rec width for a batch: 320, or wider for a longer line (up to a cap that bounds the cost). */
const REC_MIN_WIDTH = 320;
const REC_MAX_WIDTH = 320 * 5;
/** PaddleOCR drops a recognised line whose mean confidence is below this (noise found by det). */
export const REC_DROP_SCORE = 0.5;

/** Width of a crop resized to height 48 with its aspect ratio kept, capped. */
export function recWidth(box: Box): number {
  const ratio = (box.x2 - box.x1) / (box.y2 - box.y1);
  return Math.min(REC_MAX_WIDTH, Math.max(1, Math.ceil(REC_HEIGHT * ratio)));
}

/** One batch of crops, each resized to height 48 and zero-padded (after normalising) to the widest. */
export function recInput(img: RgbImage, boxes: Box[]): { data: Float32Array; width: number } {
  const width = Math.max(REC_MIN_WIDTH, ...boxes.map(recWidth));
  const item = 3 * REC_HEIGHT * width;
  const data = new Float32Array(boxes.length * item);
  boxes.forEach((box, i) => {
    const slice = data.subarray(i * item, (i + 1) * item);
    resampleToChw(img, box, recWidth(box), REC_HEIGHT, slice, width, (v) => (v / 255 - 0.5) / 0.5);
  });
  return { data, width };
}

/**
 * Reads the keys file: one character per line. The rec model's classes are the CTC blank, the keys in order,
 * then a space.
 */
export function parseKeys(text: string): string[] {
  const lines = text.split("\n").map((l) => (l.endsWith("\r") ? l.slice(0, -1) : l));
  if (lines.at(-1) === "") lines.pop();
  return lines;
}

/**
 * Greedy CTC decoding of one sequence (`steps` × `classes` probabilities): the best class per step, repeats
 * collapsed, blanks (class 0) dropped. `confidence` is the mean probability of the kept characters.
 */
export function ctcGreedyDecode(
  probs: Float32Array,
  steps: number,
  classes: number,
  charset: readonly string[],
): { text: string; confidence: number } {
  let text = "";
  let sum = 0;
  let kept = 0;
  let previous = -1;
  for (let t = 0; t < steps; t++) {
    let best = 0;
    let bestP = Number.NEGATIVE_INFINITY;
    for (let k = 0; k < classes; k++) {
      const p = probs[t * classes + k] ?? 0;
      if (p > bestP) {
        bestP = p;
        best = k;
      }
    }
    if (best !== 0 && best !== previous) {
      text += charset[best] ?? "";
      sum += bestP;
      kept++;
    }
    previous = best;
  }
  return { text, confidence: kept === 0 ? 0 : sum / kept };
}

// ---------- Scoring ----------

/** Edit distance between two strings, by code point, in O(min(a, b)) memory. */
export function levenshtein(a: string, b: string): number {
  let s = Array.from(a);
  let t = Array.from(b);
  if (s.length < t.length) [s, t] = [t, s];
  let row = Array.from({ length: t.length + 1 }, (_, j) => j);
  for (let i = 1; i <= s.length; i++) {
    const next = [i];
    for (let j = 1; j <= t.length; j++) {
      const cost = s[i - 1] === t[j - 1] ? 0 : 1;
      next.push(Math.min((row[j] ?? 0) + 1, (next[j - 1] ?? 0) + 1, (row[j - 1] ?? 0) + cost));
    }
    row = next;
  }
  return row[t.length] ?? 0;
}

const collapseSpace = (s: string) => s.trim().replace(/\s+/g, " ");

/** 1 − the edit distance over the longer length; case-sensitive, runs of whitespace count as one space. */
export function textScore(expected: string, got: string): number {
  const a = collapseSpace(expected);
  const b = collapseSpace(got);
  const longest = Math.max(Array.from(a).length, Array.from(b).length);
  return longest === 0 ? 1 : 1 - levenshtein(a, b) / longest;
}

// ---------- The adapter ----------
