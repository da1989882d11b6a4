"use client";

import Link from "next/link";
import { useParams } from "next/navigation";
import { StudentAssignment } from "@/components/assignments/student-assignment";

export default function StudentAssignmentPage() {
  const { id } = useParams<{ id: string }>();
  return (
    <div>
      <Link href="/student" className="mb-4 inline-block text-sm text-slate-500 hover:text-slate-800">
        ← My classes
      </Link>
      <StudentAssignment id={id} />
    </div>
  );
}
