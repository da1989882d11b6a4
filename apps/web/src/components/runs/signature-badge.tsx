import { Badge } from "@/components/ui/badge";

/**
 * Whether the device's signature over the result matched its credential. A result that is not verified is
 * shown loudly: its numbers may have been altered on the way, or come from something posing as the device.
 */
export function SignatureBadge({ valid, compact = false }: { valid: boolean | null; compact?: boolean }) {
  if (valid === true) {
    return (
      <Badge
        tone="green"
        data-testid="signature"
        data-verified="true"
        title="Signed by the device; the server checked it"
      >
        ✓ {compact ? "Verified" : "Signature verified"}
      </Badge>
    );
  }
  if (valid === false) {
    return (
      <Badge
        tone="red"
        data-testid="signature"
        data-verified="false"
        title="The signature does not match this device's credential"
        className="font-semibold"
      >
        ✗ NOT verified
      </Badge>
    );
  }
  return (
    <span className="text-xs text-slate-400" data-testid="signature" data-verified="none">
      {compact ? "—" : "No signed result yet"}
    </span>
  );
}
