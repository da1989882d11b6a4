import type { IncomingMessage, ServerResponse } from "node:http";
import type { TelemetrySample } from "@labfleet/protocol";
import { collectDefaultMetrics, Gauge, Registry } from "prom-client";
import type { Db } from "../services/deps.ts";
import { listDeviceRows } from "../services/device.ts";
import { checkMetricsToken } from "../services/settings.ts";
import { sendJson } from "./json.ts";

export const METRICS_PATH = "/metrics";

interface FleetView {
  isOnline(deviceId: string): boolean;
  latestSample(deviceId: string): TelemetrySample | null;
}

const LABELS = ["device_id", "device_name", "lab_id"] as const;

/**
 * The Prometheus endpoint: per-device fleet gauges, filled from the database and this process's live state at
 * each scrape, plus the process's default metrics. One registry per control plane (tests run several).
 */
export function createMetricsHandler(deps: { db: Db; hub: FleetView & { refreshRemoteSamples(): Promise<void> } }) {
  const register = new Registry();
  collectDefaultMetrics({ register, prefix: "labfleet_process_" });
  const gauge = (name: string, help: string) => new Gauge({ name, help, labelNames: LABELS, registers: [register] });
  const online = gauge("labfleet_device_online", "1 when the device's agent is connected to this control plane.");
  const load = gauge("labfleet_device_cpu_load_percent", "CPU busy share of the latest sample, all cores.");
  const memUsed = gauge("labfleet_device_memory_used_bytes", "Memory in use in the latest sample.");
  const temp = gauge("labfleet_device_cpu_temp_celsius", "CPU temperature of the latest sample, where known.");
  const firing = gauge("labfleet_device_alerts_firing", "Alerts firing (not yet acknowledged) on the device.");
  const perDevice = [online, load, memUsed, temp, firing];

  async function refresh(): Promise<void> {
    const [devices, alerts] = await Promise.all([
      listDeviceRows(deps.db),
      deps.db.prisma.alert.groupBy({ by: ["deviceId"], where: { state: "firing" }, _count: true }),
      deps.hub.refreshRemoteSamples(),
    ]);
    const firingOf = new Map(alerts.map((a) => [a.deviceId, a._count]));
    for (const g of perDevice) g.reset();
    for (const d of devices) {
      if (d.revokedAt) continue;
      const labels = { device_id: d.id, device_name: d.name, lab_id: d.labId ?? "" };
      const isOnline = deps.hub.isOnline(d.id);
      online.set(labels, isOnline ? 1 : 0);
      firing.set(labels, firingOf.get(d.id) ?? 0);
      const s = isOnline ? deps.hub.latestSample(d.id) : null;
      if (!s) continue;
      load.set(labels, s.cpuLoadPct);
      memUsed.set(labels, s.memUsedBytes);
      if (s.cpuTempC !== null) temp.set(labels, s.cpuTempC);
    }
  }

  return async function handleMetrics(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== "GET") return sendJson(res, 405, { error: { code: "BAD_REQUEST", message: "Use GET." } });
    const header = req.headers.authorization ?? "";
    const bearer = header.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : null;
    const verdict = await checkMetricsToken(deps.db, bearer || null);
    if (verdict === "off") {
      return sendJson(res, 404, {
        error: { code: "NOT_FOUND", message: "Metrics are off. An admin creates a token on the Settings page." },
      });
    }
    if (verdict === "denied") {
      res.setHeader("www-authenticate", 'Bearer realm="labfleet-metrics"');
      return sendJson(res, 401, {
        error: { code: "UNAUTHORIZED", message: "Send the metrics token as 'Authorization: Bearer <token>'." },
      });
    }
    await refresh();
    res.writeHead(200, { "content-type": register.contentType, "cache-control": "no-store" });
    res.end(await register.metrics());
  };
}
