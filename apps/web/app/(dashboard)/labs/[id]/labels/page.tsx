"use client";

import { useParams } from "next/navigation";
import { SeatLabels } from "@/components/labs/seat-labels";

export default function LabLabelsPage() {
  const { id } = useParams<{ id: string }>();
  return <SeatLabels labId={id} />;
}
