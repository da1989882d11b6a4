"use client";

import { useQuery } from "@tanstack/react-query";
import { CreateClassForm } from "@/components/classes/class-form";
import { ClassList } from "@/components/classes/class-list";
import { JoinClassForm } from "@/components/classes/join-form";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";

export default function ClassesPage() {
  const trpc = useTRPC();
  const me = useQuery(trpc.user.me.queryOptions(undefined, { staleTime: 5 * 60_000 }));
  const classes = useQuery(trpc.class.list.queryOptions());
  const isStudent = me.data?.role === "student";
  return (
    <div className="space-y-6">
      <h1 className="text-xl font-semibold text-slate-900">{isStudent ? "My classes" : "Classes"}</h1>
      {me.data &&
        (isStudent ? (
          <Card title="Join a class">
            <JoinClassForm />
          </Card>
        ) : (
          <Card title="New class">
            <CreateClassForm />
          </Card>
        ))}
      {classes.error ? (
        <ErrorNotice>{errorMessage(classes.error)}</ErrorNotice>
      ) : !classes.data ? (
        <Loading label="Loading classes…" />
      ) : classes.data.length === 0 ? (
        <p className="text-sm text-slate-600" data-testid="classes-empty">
          {isStudent
            ? "You are not in any class yet. Type the join code your instructor gives you above."
            : "No classes yet. Create one above, then import its roster or hand out its join code."}
        </p>
      ) : (
        <ClassList classes={classes.data} />
      )}
    </div>
  );
}
