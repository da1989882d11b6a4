import Link from "next/link";

/** The "← back" link above a detail page. */
export function BackLink({ href, label }: { href: string; label: string }) {
  return (
    <Link href={href} className="mb-4 inline-block text-sm text-slate-500 hover:text-slate-800">
      ← {label}
    </Link>
  );
}
