import type { EnvironmentCard as Env } from "@labfleet/protocol";
import { Card } from "@/components/ui/notice";
import { formatBytes } from "@/lib/format";
import { SignatureBadge } from "./signature-badge";

/** Where and how the result was measured, as the device signed it, and whether the server verified it. */
export function EnvironmentCard({
  env,
  signatureValid,
  expectedSha256,
}: {
  env: Env;
  signatureValid: boolean | null;
  /** The catalog's SHA-256 of each file of the version, by name, to check the device ran the same bytes. */
  expectedSha256?: Map<string, string>;
}) {
  const rows: Array<[string, string]> = [
    ["Device", env.deviceId],
    ["CPU", `${env.cpuModel} (${env.cpuCores} cores)`],
    ["Memory", formatBytes(env.memTotalBytes)],
    ["OS", env.os],
    ["Kernel", env.kernel],
    ["Architecture", env.arch],
    ["Runtime", `${env.runtime} ${env.runtimeVersion}`],
    ["Execution provider", env.executionProvider],
    ["Threads", env.threads === null ? "runtime default" : String(env.threads)],
    ["Batch size", String(env.batchSize)],
    ["Agent", env.agentVersion],
    ["Node.js", env.nodeVersion],
  ];
  return (
    <Card
      title="Environment card"
      actions={<SignatureBadge valid={signatureValid} />}
      className={signatureValid === false ? "ring-2 ring-red-400" : undefined}
    >
      {signatureValid === false && (
        <p className="mb-3 text-sm font-medium text-red-800" role="alert">
          The signature over this result does not match the device's credential. Do not trust these numbers: they may
          have been changed after the device measured them.
        </p>
      )}
      <dl className="grid grid-cols-1 gap-x-6 gap-y-1.5 text-sm sm:grid-cols-2" data-testid="environment-card">
        {rows.map(([k, v]) => (
          <div key={k} className="flex gap-2">
            <dt className="w-36 shrink-0 text-slate-500">{k}</dt>
            <dd className="break-all text-slate-800">{v}</dd>
          </div>
        ))}
      </dl>
      <div className="mt-3">
        <div className="text-xs text-slate-500">Model files as the device hashed them (SHA-256)</div>
        <ul className="mt-1 space-y-0.5 font-mono text-xs text-slate-700">
          {Object.entries(env.modelSha256).map(([name, sha]) => {
            const expected = expectedSha256?.get(name);
            return (
              <li
                key={name}
                className="break-all"
                data-testid="env-file"
                data-matches={expected ? String(expected === sha) : ""}
              >
                {name}: {sha}{" "}
                {expected === undefined ? null : expected === sha ? (
                  <span className="font-sans text-emerald-700">✓ same as the catalog</span>
                ) : (
                  <span className="font-sans font-semibold text-red-700">✗ differs from the catalog</span>
                )}
              </li>
            );
          })}
        </ul>
      </div>
    </Card>
  );
}
