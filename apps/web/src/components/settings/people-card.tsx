"use client";

import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { type FormEvent, useState } from "react";
import { Badge } from "@/components/ui/badge";
import { Button } from "@/components/ui/button";
import { ConfirmDialog } from "@/components/ui/confirm-dialog";
import { DataTable } from "@/components/ui/data-table";
import { Field, inputClass, SelectField } from "@/components/ui/field";
import { Card, ErrorNotice, Loading } from "@/components/ui/notice";
import { errorMessage } from "@/lib/errors";
import { useTRPC } from "@/lib/trpc";
import { SecretBox } from "./secret-box";

type Role = "admin" | "instructor" | "student";
const ROLE_LABEL: Record<Role, string> = { admin: "Admin", instructor: "Instructor", student: "Student" };

/** Accounts, for admins: add an instructor (or anyone), change a role, reset a password. */
export function PeopleCard() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [q, setQ] = useState("");
  const people = useQuery(trpc.user.list.queryOptions({ limit: 300, ...(q.trim() ? { q: q.trim() } : {}) }));
  const refresh = () => queryClient.invalidateQueries({ queryKey: trpc.user.list.pathKey() });
  const [issued, setIssued] = useState<{ login: string; password: string } | null>(null);
  const [resetting, setResetting] = useState<{ id: string; name: string } | null>(null);

  const [name, setName] = useState("");
  const [username, setUsername] = useState("");
  const [email, setEmail] = useState("");
  const [role, setRole] = useState<Role>("instructor");
  const create = useMutation(
    trpc.user.create.mutationOptions({
      onSuccess: (r) => {
        setIssued({ login: r.person.username ?? r.person.email ?? r.person.name, password: r.password });
        setName("");
        setUsername("");
        setEmail("");
        void refresh();
      },
    }),
  );
  const changeRole = useMutation(trpc.user.setRole.mutationOptions({ onSettled: refresh }));
  const reset = useMutation(
    trpc.user.resetPassword.mutationOptions({
      onSuccess: (r) => {
        setIssued({ login: r.person.username ?? r.person.email ?? r.person.name, password: r.password });
        setResetting(null);
      },
    }),
  );

  function submit(e: FormEvent) {
    e.preventDefault();
    create.mutate({ name, username, role, ...(email.trim() ? { email: email.trim() } : {}) });
  }

  return (
    <Card title="People">
      <p className="mb-3 max-w-2xl text-sm text-slate-500">
        Instructors and admins get their account here; students come in through a class roster. A new password is shown
        once.
      </p>
      <form
        onSubmit={submit}
        className="mb-4 grid grid-cols-1 gap-3 sm:grid-cols-5"
        noValidate
        data-testid="person-form"
      >
        <Field id="person-name" label="Name" value={name} maxLength={120} onChange={(e) => setName(e.target.value)} />
        <Field
          id="person-username"
          label="Username"
          value={username}
          maxLength={40}
          onChange={(e) => setUsername(e.target.value)}
        />
        <Field
          id="person-email"
          label="E-mail (optional)"
          type="email"
          value={email}
          maxLength={200}
          onChange={(e) => setEmail(e.target.value)}
        />
        <SelectField
          label="Role"
          value={role}
          data-testid="person-role"
          onChange={(e) => setRole(e.target.value as Role)}
        >
          {(Object.keys(ROLE_LABEL) as Role[]).map((r) => (
            <option key={r} value={r}>
              {ROLE_LABEL[r]}
            </option>
          ))}
        </SelectField>
        <div className="flex items-end">
          <Button type="submit" variant="primary" disabled={create.isPending} data-testid="person-create">
            {create.isPending ? "Adding…" : "Add account"}
          </Button>
        </div>
      </form>
      {create.error && <ErrorNotice className="mb-3">{errorMessage(create.error)}</ErrorNotice>}
      {issued && (
        <div className="mb-4">
          <SecretBox
            title={`Password for ${issued.login}`}
            secret={issued.password}
            testId="person-password"
            onDismiss={() => setIssued(null)}
          />
        </div>
      )}
      <label className="mb-2 block max-w-xs text-sm">
        <span className="mb-1 block font-medium text-slate-700">Search</span>
        <input className={inputClass} value={q} maxLength={100} onChange={(e) => setQ(e.target.value)} />
      </label>
      {changeRole.error && <ErrorNotice className="mb-3">{errorMessage(changeRole.error)}</ErrorNotice>}
      {people.error ? (
        <ErrorNotice>{errorMessage(people.error)}</ErrorNotice>
      ) : !people.data ? (
        <Loading />
      ) : people.data.length === 0 ? (
        <p className="text-sm text-slate-500">No account matches.</p>
      ) : (
        <DataTable
          frame="overflow-x-auto"
          thClassName="py-2 pr-4 font-medium"
          head={["Name", "Signs in as", "Role", { key: "actions", className: "py-2 font-medium" }]}
        >
          {people.data.map((p) => (
            <tr key={p.id} data-testid="person-row" data-username={p.username ?? ""}>
              <td className="py-2 pr-4">{p.name}</td>
              <td className="py-2 pr-4 font-mono text-xs">{p.username ?? p.email}</td>
              <td className="py-2 pr-4">
                <select
                  aria-label={`Role of ${p.name}`}
                  className="rounded-md border-0 py-1 text-sm ring-1 ring-slate-300 ring-inset"
                  value={p.role}
                  disabled={changeRole.isPending}
                  onChange={(e) => changeRole.mutate({ userId: p.id, role: e.target.value as Role })}
                >
                  {(Object.keys(ROLE_LABEL) as Role[]).map((r) => (
                    <option key={r} value={r}>
                      {ROLE_LABEL[r]}
                    </option>
                  ))}
                </select>
                {p.role === "admin" && (
                  <Badge tone="sky" className="ml-2">
                    admin
                  </Badge>
                )}
              </td>
              <td className="py-2 text-right">
                <Button size="sm" variant="ghost" onClick={() => setResetting({ id: p.id, name: p.name })}>
                  Reset password
                </Button>
              </td>
            </tr>
          ))}
        </DataTable>
      )}
      <ConfirmDialog
        open={resetting !== null}
        title="Reset the password?"
        confirmLabel="Reset password"
        busy={reset.isPending}
        error={reset.error ? errorMessage(reset.error) : null}
        onConfirm={() => resetting && reset.mutate({ userId: resetting.id })}
        onCancel={() => setResetting(null)}
      >
        {resetting?.name} gets a new password, shown once, and is signed out everywhere.
      </ConfirmDialog>
    </Card>
  );
}
