import type { AlertKind, AlertSummary, TelemetrySample } from "@labfleet/protocol";
import { type AlertBroadcaster, fireAlert, openAlertIndex, resolveAlert } from "./alert.ts";
import { type EffectiveRule, loadRuleBook, type RuleBook } from "./alert-rule.ts";
import type { Db } from "./deps.ts";
import { type DeviceRow, listDeviceRows } from "./device.ts";

/** What the evaluator reads of the live fleet: the FleetHub of this process. */
export interface LiveFleet extends AlertBroadcaster {
  isOnline(deviceId: string): boolean;
  latestSample(deviceId: string): TelemetrySample | null;
}

interface SampleCheck {
  kind: AlertKind;
  /** The measured value in the rule's unit, or null when the sample does not carry it (no sensor). */
  value(s: TelemetrySample): number | null;
  holds(value: number, rule: EffectiveRule): boolean;
  message(value: number, rule: EffectiveRule): string;
}

const pct = (used: number | null, total: number | null) =>
  used === null || total === null || total <= 0 ? null : (used / total) * 100;
const atLeast = (value: number, rule: EffectiveRule) => rule.threshold !== null && value >= rule.threshold;
const held = (rule: EffectiveRule) => (rule.forS > 0 ? ` for ${rule.forS} s` : "");

const SAMPLE_CHECKS: SampleCheck[] = [
  {
    kind: "cpu_temp",
    value: (s) => s.cpuTempC,
    holds: atLeast,
    message: (v, r) => `CPU at ${v.toFixed(0)} °C (limit ${r.threshold} °C)${held(r)}.`,
  },
  {
    kind: "throttling",
    value: (s) => (s.throttling === null ? null : s.throttling ? 1 : 0),
    holds: (v) => v === 1,
    message: (_v, r) => `The CPU is being throttled${held(r)}.`,
  },
  {
    kind: "disk_full",
    value: (s) => pct(s.diskUsedBytes, s.diskTotalBytes),
    holds: atLeast,
    message: (v, r) => `Disk ${v.toFixed(0)} % full (limit ${r.threshold} %).`,
  },
  {
    kind: "memory_high",
    value: (s) => pct(s.memUsedBytes, s.memTotalBytes),
    holds: atLeast,
    message: (v, r) => `Memory ${v.toFixed(0)} % used (limit ${r.threshold} %)${held(r)}.`,
  },
];

/**
 * Turns the latest telemetry into alerts. "For 30 s" means the condition held at every evaluation for 30 s of
 * server time: the evaluator remembers when each (device, kind) condition was first seen and forgets it as soon
 * as a sample shows it cleared. That memory is per process; after a restart (or when another process takes the
 * job) a condition starts counting again, which delays an alert but never fires a false one.
 */
export class AlertEvaluator {
  private readonly since = new Map<string, number>();
  private readonly startedAt: number;

  /** `startedAt`: when this process began watching (default: now); tests pass their own clock. */
  constructor(
    private readonly deps: { db: Db; hub: LiveFleet },
    opts: { startedAt?: number } = {},
  ) {
    this.startedAt = opts.startedAt ?? Date.now();
  }

  /** One pass at `now` (epoch ms). Returns the alerts it fired or resolved. */
  async evaluate(now: number): Promise<AlertSummary[]> {
    const { db } = this.deps;
    const [devices, rules, open] = await Promise.all([listDeviceRows(db), loadRuleBook(db), openAlertIndex(db)]);
    const changed: AlertSummary[] = [];
    const seen = new Set<string>();
    for (const device of devices) {
      seen.add(device.id);
      const results = await this.evaluateDevice(device, rules, open, now);
      changed.push(...results);
    }
    for (const key of this.since.keys()) if (!seen.has(key.split("|")[0] ?? "")) this.since.delete(key);
    return changed;
  }

  private async evaluateDevice(
    device: DeviceRow,
    rules: RuleBook,
    open: Map<string, string>,
    now: number,
  ): Promise<AlertSummary[]> {
    const out: AlertSummary[] = [];
    const push = (a: AlertSummary | null) => a && out.push(a);
    const openId = (kind: AlertKind) => open.get(`${device.id}|${kind}`);

    if (device.revokedAt) {
      // A revoked device will never report again: nothing about it stays open.
      for (const [key, id] of open) if (key.startsWith(`${device.id}|`)) push(await resolveAlert(this.deps, id, now));
      return out;
    }

    const online = this.deps.hub.isOnline(device.id);
    const offline = rules.resolve(device.labId, "offline");
    // lastSeenAt is refreshed every few seconds by whichever process holds the agent, so a device connected to
    // another control-plane process does not count as offline here. Silence is counted from this process's start
    // at the earliest: after a server restart the agents get the time to reconnect before anything fires.
    const lastSeen = device.lastSeenAt?.getTime() ?? null;
    const silentS = lastSeen === null ? null : (now - lastSeen) / 1000;
    const countedS = lastSeen === null ? null : (now - Math.max(lastSeen, this.startedAt)) / 1000;
    const fires = offline.enabled && !online && countedS !== null && countedS >= offline.forS;
    const back = online || (silentS !== null && silentS < offline.forS);
    const offlineOpen = openId("offline");
    if (fires && !offlineOpen && silentS !== null) {
      push(
        await fireAlert(this.deps, {
          deviceId: device.id,
          kind: "offline",
          message: `No contact for ${Math.round(silentS)} s.`,
          value: Math.round(silentS),
          now,
        }),
      );
    } else if (offlineOpen && (back || !offline.enabled)) {
      push(await resolveAlert(this.deps, offlineOpen, now));
    }

    const sample = online ? this.deps.hub.latestSample(device.id) : null;
    for (const check of SAMPLE_CHECKS) {
      const key = `${device.id}|${check.kind}`;
      const rule = rules.resolve(device.labId, check.kind);
      const value = sample ? check.value(sample) : null;
      const alertId = openId(check.kind);
      if (!rule.enabled) {
        this.since.delete(key);
        if (alertId) push(await resolveAlert(this.deps, alertId, now));
        continue;
      }
      // No data (offline, or no such sensor): neither fire nor resolve on a guess.
      if (value === null) {
        this.since.delete(key);
        continue;
      }
      if (check.holds(value, rule)) {
        const start = this.since.get(key) ?? now;
        this.since.set(key, start);
        if (!alertId && now - start >= rule.forS * 1000) {
          const message = check.message(value, rule);
          push(await fireAlert(this.deps, { deviceId: device.id, kind: check.kind, message, value, now }));
        }
      } else {
        this.since.delete(key);
        if (alertId) push(await resolveAlert(this.deps, alertId, now));
      }
    }
    return out;
  }
}
