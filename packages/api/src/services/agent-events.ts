import type { AgentEvent } from "@labfleet/protocol";
import type { Db } from "./deps.ts";

/** Stores agent events once each: (device, key) is the primary key, so a replayed batch is a no-op. */
export async function storeAgentEvents(db: Db, deviceId: string, events: AgentEvent[]): Promise<number> {
  const result = await db.pool.query(
    `INSERT INTO agent_event (device_id, key, kind, ts, data)
     SELECT $1, e.key, e.kind, to_timestamp(e.ts / 1000.0), e.data
     FROM unnest($2::text[], $3::text[], $4::float8[], $5::jsonb[]) AS e(key, kind, ts, data)
     ON CONFLICT (device_id, key) DO NOTHING`,
    [
      deviceId,
      events.map((e) => e.key),
      events.map((e) => e.kind),
      events.map((e) => e.ts),
      events.map((e) => JSON.stringify(e.data)),
    ],
  );
  if (events.some((e) => e.kind === "buffer.loss")) {
    db.log.warn(
      { deviceId, events: events.filter((e) => e.kind === "buffer.loss").map((e) => e.data) },
      "agent reported buffer loss",
    );
  }
  return result.rowCount ?? 0;
}

export async function listAgentEvents(db: Db, deviceId: string, limit = 100) {
  const rows = await db.prisma.agentEvent.findMany({
    where: { deviceId },
    orderBy: { ts: "desc" },
    take: limit,
    select: { key: true, kind: true, ts: true, data: true },
  });
  return rows;
}
