"use client";

import { Field } from "../ui/field";

/** A lab's name and seat grid as typed: strings until submitted. */
export interface LabShape {
  name: string;
  rows: string;
  cols: string;
}

export function labShapeInput(shape: LabShape): { name: string; rows: number; cols: number } {
  return { name: shape.name, rows: Number(shape.rows), cols: Number(shape.cols) };
}

/** The name, rows and columns fields that creating and editing a lab share. */
export function LabShapeFields({
  idPrefix,
  shape,
  onChange,
  rowsLabel = "Rows",
  gridFieldClass = "w-24",
  nameMaxLength,
}: {
  idPrefix: string;
  shape: LabShape;
  onChange: (next: LabShape) => void;
  rowsLabel?: string;
  gridFieldClass?: string;
  nameMaxLength?: number;
}) {
  return (
    <>
      <Field
        id={`${idPrefix}-name`}
        label="Name"
        value={shape.name}
        onChange={(e) => onChange({ ...shape, name: e.target.value })}
        required
        maxLength={nameMaxLength}
      />
      <Field
        id={`${idPrefix}-rows`}
        label={rowsLabel}
        type="number"
        min={1}
        max={26}
        value={shape.rows}
        onChange={(e) => onChange({ ...shape, rows: e.target.value })}
        className={gridFieldClass}
      />
      <Field
        id={`${idPrefix}-cols`}
        label="Columns"
        type="number"
        min={1}
        max={20}
        value={shape.cols}
        onChange={(e) => onChange({ ...shape, cols: e.target.value })}
        className={gridFieldClass}
      />
    </>
  );
}
