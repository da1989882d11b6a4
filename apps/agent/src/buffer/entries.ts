import { readRecords, type Segment, type StoredKind } from "./segments.ts";

/** Where a buffered record is: a spot in a segment file, or (seg null) in memory. */
export interface Entry {
  kind: StoredKind;
  seg: Segment | null;
  offset: number;
  length: number;
  /** Set for an event that the disk refused (ENOSPC): kept in memory so that it is still sent. */
  memory?: unknown;
}

/** The stored records of these entries by sequence number: from memory, or read with one open per file. */
export function readEntries(picked: ReadonlyArray<readonly [number, Entry]>): Map<number, unknown> {
  const values = new Map<number, unknown>();
  const bySegment = new Map<string, Array<readonly [number, Entry]>>();
  for (const [q, e] of picked) {
    if (!e.seg) values.set(q, { d: e.memory });
    else bySegment.set(e.seg.path, [...(bySegment.get(e.seg.path) ?? []), [q, e]]);
  }
  for (const [path, list] of bySegment) {
    const read = readRecords(
      path,
      list.map(([, e]) => e),
    );
    for (const [i, [q]] of list.entries()) values.set(q, read[i]);
  }
  return values;
}
