"use client";

import { useSearchParams } from "next/navigation";
import { type FormEvent, Suspense, useEffect, useState } from "react";
import { Button } from "@/components/ui/button";
import { Field } from "@/components/ui/field";
import { ErrorNotice } from "@/components/ui/notice";
import { authClient } from "@/lib/auth-client";
import { safeNextPath } from "@/lib/errors";

interface AuthError {
  status?: number;
  code?: string;
  message?: string;
}

/** better-auth's answers, in words a teacher at 8 a.m. understands. */
function describeAuthError(error: AuthError): string {
  if (error.status === 429) return "Too many attempts. Wait a few seconds, then try again.";
  if (error.code === "BANNED_USER" || /banned/i.test(error.message ?? "")) {
    return "This account is disabled. Ask your administrator.";
  }
  if (error.status === 401 || error.code?.startsWith("INVALID_")) {
    return "That account and password don't match. Check both and try again.";
  }
  if (!error.status) return "Cannot reach the server. Check the connection and try again.";
  return error.message || "Sign-in failed. Please try again.";
}

/**
 * Where to go after signing in: the ?next= page when there is one, else by role (a student to their own page,
 * staff to the fleet), which is known only once signed in.
 */
function destination(asked: string | null, role: unknown): string {
  if (asked) return safeNextPath(asked);
  return role === "student" ? "/student" : "/devices";
}

function LoginForm() {
  const params = useSearchParams();
  const asked = params.get("next");
  const [identifier, setIdentifier] = useState("");
  const [password, setPassword] = useState("");
  const [fieldErrors, setFieldErrors] = useState<{ identifier?: string; password?: string }>({});
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  // Someone who is still signed in has nothing to do here.
  useEffect(() => {
    let cancelled = false;
    authClient
      .getSession()
      .then(({ data }) => {
        if (!cancelled && data?.session) window.location.replace(destination(asked, data.user.role));
      })
      .catch(() => {});
    return () => {
      cancelled = true;
    };
  }, [asked]);

  async function onSubmit(event: FormEvent<HTMLFormElement>) {
    event.preventDefault();
    const id = identifier.trim();
    const errors: typeof fieldErrors = {};
    if (!id) errors.identifier = "Enter your email address or username.";
    if (!password) errors.password = "Enter your password.";
    setFieldErrors(errors);
    setError(null);
    if (errors.identifier || errors.password) return;

    setBusy(true);
    try {
      const result = id.includes("@")
        ? await authClient.signIn.email({ email: id, password })
        : await authClient.signIn.username({ username: id, password });
      if (result.error) {
        setError(describeAuthError(result.error));
        setBusy(false);
        return;
      }
      // A full load, so that the server sees the new cookie and every page starts from a clean cache.
      const role = asked ? null : (await authClient.getSession()).data?.user.role;
      window.location.replace(destination(asked, role));
    } catch {
      setError("Cannot reach the server. Check the connection and try again.");
      setBusy(false);
    }
  }

  return (
    <form onSubmit={onSubmit} noValidate className="space-y-4">
      {error && <ErrorNotice testId="login-error">{error}</ErrorNotice>}
      <Field
        id="login-identifier"
        name="identifier"
        label="Email or username"
        autoComplete="username"
        autoCapitalize="none"
        spellCheck={false}
        autoFocus
        value={identifier}
        onChange={(e) => setIdentifier(e.target.value)}
        error={fieldErrors.identifier}
        disabled={busy}
      />
      <Field
        id="login-password"
        name="password"
        type="password"
        label="Password"
        autoComplete="current-password"
        value={password}
        onChange={(e) => setPassword(e.target.value)}
        error={fieldErrors.password}
        disabled={busy}
      />
      <Button type="submit" variant="primary" className="w-full" disabled={busy}>
        {busy ? "Signing in…" : "Sign in"}
      </Button>
    </form>
  );
}

export default function LoginPage() {
  return (
    <main className="flex min-h-screen items-center justify-center px-4">
      <div className="w-full max-w-sm">
        <div className="mb-6 flex items-center gap-2">
          <span
            aria-hidden
            className="grid size-9 place-items-center rounded-lg bg-sky-700 text-sm font-semibold text-white"
          >
            LF
          </span>
          <div>
            <h1 className="text-lg font-semibold text-slate-900">Sign in to LabFleet</h1>
            <p className="text-sm text-slate-500">The machines of your lab, live.</p>
          </div>
        </div>
        <div className="rounded-lg bg-white p-6 shadow-sm ring-1 ring-slate-200">
          <Suspense fallback={null}>
            <LoginForm />
          </Suspense>
        </div>
      </div>
    </main>
  );
}
