import Link from "next/link";

export default function NotFound() {
  return (
    <main className="flex min-h-screen flex-col items-center justify-center gap-3 px-4 text-center">
      <h1 className="text-lg font-semibold text-slate-900">Page not found</h1>
      <p className="text-sm text-slate-500">There is nothing at this address.</p>
      <Link href="/devices" className="text-sm font-medium text-sky-700 hover:text-sky-900">
        Go to the devices
      </Link>
    </main>
  );
}
