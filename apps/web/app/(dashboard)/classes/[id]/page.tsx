"use client";

import { useQuery } from "@tanstack/react-query";
import Link from "next/link";
import { useParams, usePathname, useRouter, useSearchParams } from "next/navigation";
import { Suspense, useState } from "react";
import { ClassSettings } from "@/components/classes/class-settings";
import { type ClassTab, ClassTabs, parseTab } from "@/components/classes/class-tabs";
import { InstructorsCard } from "@/components/classes/instructors-card";
import { JoinCodeBox } from "@/components/classes/join-code-box";
import { RosterTab } from "@/components/classes/roster-tab";
import { ClassAssignmentsTab, ClassGradebookTab, ClassSessionsTab } from "@/components/classes/tabs";
import { Button } from "@/components/ui/button";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorCode, errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

const TEACHER_TABS: readonly ClassTab[] = ["roster", "sessions", "assignments", "gradebook"];
const STUDENT_TABS: readonly ClassTab[] = ["assignments", "sessions", "gradebook"];

function BackLink() {
  return (
    <Link href="/classes" className="mb-4 inline-block text-sm text-slate-500 hover:text-slate-800">
      ← All classes
    </Link>
  );
}

function ClassPage() {
  const { id } = useParams<{ id: string }>();
  const trpc = useTRPC();
  const router = useRouter();
  const pathname = usePathname();
  const params = useSearchParams();
  const cls = useQuery(trpc.class.get.queryOptions({ classId: id }));
  const me = useQuery(trpc.user.me.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  const [editing, setEditing] = useState(false);

  if (cls.error) {
    return (
      <div>
        <BackLink />
        <ErrorNotice testId="class-error">
          {errorCode(cls.error) === "NOT_FOUND"
            ? "This class does not exist, or you are not one of its instructors or students."
            : errorMessage(cls.error)}
        </ErrorNotice>
      </div>
    );
  }
  if (!cls.data) {
    return (
      <div>
        <BackLink />
        <Loading label="Loading the class…" />
      </div>
    );
  }
  const c = cls.data;
  const tabs = c.canTeach ? TEACHER_TABS : STUDENT_TABS;
  const tab = parseTab(params.get("tab"), tabs);
  function select(next: ClassTab) {
    const q = new URLSearchParams(params.toString());
    q.set("tab", next);
    router.replace(`${pathname}?${q.toString()}`, { scroll: false });
  }
  return (
    <div>
      <BackLink />
      <div className="mb-4 flex flex-wrap items-end justify-between gap-3">
        <div>
          <h1 className="text-xl font-semibold text-slate-900" data-testid="class-name">
            {c.name}
          </h1>
          <p className="mt-0.5 text-sm text-slate-500">
            {c.term} · {c.studentCount} {c.studentCount === 1 ? "student" : "students"} · taught by{" "}
            {c.instructors.map((i) => i.name).join(", ")}
          </p>
        </div>
        {c.canTeach && (
          <div className="flex flex-wrap items-center gap-3">
            {c.joinCode && <JoinCodeBox classId={c.id} joinCode={c.joinCode} />}
            <Button variant="ghost" onClick={() => setEditing((e) => !e)} aria-expanded={editing}>
              Settings
            </Button>
          </div>
        )}
      </div>
      {c.canTeach && editing && (
        <div className="mb-6 grid grid-cols-1 gap-4 lg:grid-cols-[1fr_22rem]">
          <Card title="Class settings">
            <ClassSettings
              key={`${c.name}:${c.term}:${c.leaderboardEnabled}`}
              cls={c}
              onDone={() => setEditing(false)}
            />
          </Card>
          <InstructorsCard classId={c.id} instructors={c.instructors} currentUserId={me.data?.id ?? null} />
        </div>
      )}
      <ClassTabs tabs={tabs} selected={tab} onSelect={select}>
        {tab === "roster" && <RosterTab classId={c.id} className={c.name} joinCode={c.joinCode} />}
        {tab === "sessions" && <ClassSessionsTab classId={c.id} />}
        {tab === "assignments" && <ClassAssignmentsTab classId={c.id} />}
        {tab === "gradebook" && <ClassGradebookTab classId={c.id} />}
      </ClassTabs>
    </div>
  );
}

export default function ClassPageWithParams() {
  return (
    <Suspense fallback={<Loading label="Loading the class…" />}>
      <ClassPage />
    </Suspense>
  );
}
