"use client";

import { useParams } from "next/navigation";
import { InstructorSession } from "@/components/sessions/instructor-session";

export default function SessionPage() {
  const { id } = useParams<{ id: string }>();
  return <InstructorSession id={id} />;
}
