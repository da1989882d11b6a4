import type { TestDatabase } from "@labfleet/db/test-db";

/** What the roll-up retention keeps for a device that has reported for a month: every level, each as long as kept. */
const LEVELS = [
  { bucketS: 10, spanS: 86_400 },
  { bucketS: 60, spanS: 7 * 86_400 },
  { bucketS: 600, spanS: 30 * 86_400 },
  { bucketS: 3600, spanS: 30 * 86_400 },
] as const;

/** Writes a month of plausible roll-ups for one device straight into the table; returns the row count. */
export async function insertMonthOfRollups(
  pool: TestDatabase["pool"],
  deviceId: string,
  nowMs: number,
): Promise<number> {
  let total = 0;
  for (const { bucketS, spanS } of LEVELS) {
    const n = spanS / bucketS;
    const end = Math.floor(nowMs / 1000 / bucketS) * bucketS;
    const ts: Date[] = [];
    const load: number[] = [];
    const temp: number[] = [];
    for (let i = 0; i < n; i++) {
      const t = end - (n - i) * bucketS;
      // A school day: busy 8:00–16:00, idle otherwise.
      const hour = (t / 3600) % 24;
      const l = hour >= 8 && hour < 16 ? 55 + 30 * Math.sin(t / 5000) : 4 + 2 * Math.sin(t / 900);
      ts.push(new Date(t * 1000));
      load.push(Math.max(0, Math.min(100, l)));
      temp.push(38 + l * 0.5);
    }
    await pool.query(
      `INSERT INTO "telemetry_rollup" ("device_id","bucket_s","ts","n","cpu_load_avg","cpu_load_max","mem_used_avg",
         "mem_total","cpu_temp_avg","cpu_temp_max","power_avg_w","throttled_share")
       SELECT $1, $2, t, $3, l, LEAST(100, l * 1.3), 8e9 + l * 1e8, 32e9, c, c + 4, 6 + l * 0.3, CASE WHEN c > 80 THEN 0.2 ELSE 0 END
       FROM unnest($4::timestamptz[], $5::real[], $6::real[]) AS x(t, l, c)
       ON CONFLICT DO NOTHING`,
      [deviceId, bucketS, bucketS, ts, load, temp],
    );
    total += n;
  }
  return total;
}
