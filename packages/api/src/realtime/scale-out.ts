import { randomUUID } from "node:crypto";
import { createClient } from "redis";
import {
  type ClusterAdapterOptions,
  ClusterAdapterWithHeartbeat,
  type ClusterMessage,
  type ClusterResponse,
  type Offset,
  type ServerId,
} from "socket.io-adapter";
import type { Logger } from "../logger.ts";

type RedisClient = ReturnType<typeof createClient>;

export interface ScaleOutOptions {
  /** redis://host:port/db */
  url: string;
  log: Logger;
  /** Prefix of every key and channel, so that several fleets can share one Redis. */
  prefix?: string;
  /** How often presence and watches are refreshed and re-read; a dead process's devices go after 3 periods. */
  refreshMs?: number;
}

interface PresenceMessage {
  node: string;
  op: "up" | "down" | "watch";
  ids?: string[];
  rooms?: string[];
}

/** Deletes presence entries (device, process pairs in ARGV) only where the device is still held by that process. */
const CLEAR_IF_HELD_BY = `
for i = 1, #ARGV, 2 do
  if redis.call('HGET', KEYS[1], ARGV[i]) == ARGV[i + 1] then redis.call('HDEL', KEYS[1], ARGV[i]) end
end
return 1`;

/** What the hub tells the scale-out layer, and what it is told back. */
export interface ScaleOutHost {
  localDeviceIds(): string[];
  localWatchedRooms(): string[];
  /** Rooms that became watched or unwatched on another process. */
  remoteWatchesChanged(rooms: string[]): void;
}

/**
 * Several control-plane processes on one Redis: a socket.io adapter (broadcasts, acks, remote disconnects across
 * processes), device presence (which process holds which device), and which dashboard rooms are watched anywhere.
 *
 * Redis down: publishes fail at once (no offline queue), so every process keeps serving its own sockets; remote
 * devices read as offline until Redis is back. One log line when it goes, one when it returns.
 */
export class ScaleOut {
  readonly nodeId = randomUUID();
  private readonly pub: RedisClient;
  private readonly sub: RedisClient;
  private readonly prefix: string;
  private readonly refreshMs: number;
  private readonly log: Logger;
  /** device -> the process that holds it (other processes only). */
  private readonly remote = new Map<string, string>();
  /** process -> the dashboard rooms it watches, and when it last said so. */
  private readonly remoteWatches = new Map<string, { rooms: Set<string>; at: number }>();
  private timer: NodeJS.Timeout | null = null;
  /** Presence changes heard while a refresh runs; null when none runs. */
  private duringRefresh: PresenceMessage[] | null = null;
  private readonly adapters = new Set<RedisClusterAdapter>();
  private host: ScaleOutHost | null = null;
  private healthy = false;
  private downLogged = false;
  private closed = false;

  constructor(options: ScaleOutOptions) {
    this.prefix = options.prefix ?? "labfleet";
    this.refreshMs = options.refreshMs ?? 5_000;
    this.log = options.log;
    // Publishes and presence writes fail fast while Redis is away instead of piling up in memory.
    this.pub = createClient({ url: options.url, disableOfflineQueue: true });
    // The subscriber keeps its queue: its subscriptions are (re)sent when the connection comes (back).
    this.sub = createClient({ url: options.url });
    for (const [name, client] of [
      ["publisher", this.pub],
      ["subscriber", this.sub],
    ] as const) {
      client.on("error", (err: Error) => this.markDown(name, err));
      client.on("ready", () => this.markUp());
    }
  }

  get channelPrefix(): string {
    return this.prefix;
  }

  /** True while both Redis connections are up. */
  get connected(): boolean {
    return this.pub.isReady && this.sub.isReady;
  }

  /** Connects (without waiting for Redis: a process starts and serves its own sockets while Redis is away). */
  start(host: ScaleOutHost): void {
    this.host = host;
    void this.sub
      .subscribe(this.key("presence"), (raw) => this.onPresence(raw))
      .catch((err: unknown) => this.log.debug({ err }, "presence subscription deferred"));
    this.pub.connect().catch((err: unknown) => this.markDown("publisher", err as Error));
    this.sub.connect().catch((err: unknown) => this.markDown("subscriber", err as Error));
    this.timer = setInterval(() => void this.refresh(), this.refreshMs);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearInterval(this.timer);
    const mine = this.host?.localDeviceIds() ?? [];
    if (this.pub.isReady) {
      await this.pub
        .multi()
        .del(this.key(`node:${this.nodeId}`))
        .hDel(this.key("presence"), mine.length > 0 ? mine : ["-"])
        .exec()
        .catch(() => undefined);
    }
    await Promise.allSettled([this.pub.quit(), this.sub.quit()]);
  }

  /** The adapter class for socket.io's `adapter` option (it is constructed per namespace, with `new`). */
  adapter(opts: ClusterAdapterOptions = {}) {
    const scaleOut = this;
    return class extends RedisClusterAdapter {
      constructor(nsp: { name: string }) {
        super(nsp, scaleOut, opts);
      }
    };
  }

  isRemoteOnline(deviceId: string): boolean {
    return this.remote.has(deviceId);
  }

  remoteCount(): number {
    return this.remote.size;
  }

  remoteDeviceIds(): string[] {
    return [...this.remote.keys()];
  }

  /** Whether a dashboard on another process watches this room. */
  watchedElsewhere(room: string): boolean {
    const now = Date.now();
    for (const w of this.remoteWatches.values()) {
      if (now - w.at <= this.refreshMs * 3 && w.rooms.has(room)) return true;
    }
    return false;
  }

  deviceUp(deviceId: string): void {
    this.remote.delete(deviceId);
    if (!this.pub.isReady) return;
    this.pub
      .multi()
      .hSet(this.key("presence"), deviceId, this.nodeId)
      .publish(this.key("presence"), JSON.stringify({ node: this.nodeId, op: "up", ids: [deviceId] }))
      .exec()
      .catch((err: unknown) => this.log.debug({ err, deviceId }, "presence not written"));
  }

  deviceDown(deviceId: string): void {
    if (!this.pub.isReady) return;
    // Only this process's entry: the device may already be on another one.
    this.pub
      .eval(CLEAR_IF_HELD_BY, { keys: [this.key("presence")], arguments: [deviceId, this.nodeId] })
      .then(() =>
        this.pub.publish(this.key("presence"), JSON.stringify({ node: this.nodeId, op: "down", ids: [deviceId] })),
      )
      .catch((err: unknown) => this.log.debug({ err, deviceId }, "presence not cleared"));
  }

  /** Tells the other processes which rooms this one watches (on every change, and on every refresh). */
  announceWatches(): void {
    if (!this.pub.isReady || !this.host) return;
    const message: PresenceMessage = { node: this.nodeId, op: "watch", rooms: this.host.localWatchedRooms() };
    this.pub
      .publish(this.key("presence"), JSON.stringify(message))
      .catch((err: unknown) => this.log.debug({ err }, "watches not announced"));
  }

  /** @internal the adapter's transport */
  async publishRaw(channel: string, payload: string): Promise<void> {
    if (!this.pub.isReady) throw new Error("Redis is not reachable");
    await this.pub.publish(channel, payload);
  }

  /** @internal resolves once subscribed (node-redis subscribes again by itself after a reconnect) */
  async subscribeRaw(channel: string, listener: (payload: string) => void): Promise<void> {
    await this.sub.subscribe(channel, listener);
  }

  /** @internal */
  unsubscribeRaw(channel: string): void {
    if (this.sub.isReady) void this.sub.unsubscribe(channel).catch(() => undefined);
  }

  /** @internal adapters say hello again whenever Redis (re)connects, so that the others count them at once */
  register(adapter: RedisClusterAdapter): void {
    this.adapters.add(adapter);
  }

  /** @internal */
  unregister(adapter: RedisClusterAdapter): void {
    this.adapters.delete(adapter);
  }

  private key(name: string): string {
    return `${this.prefix}:${name}`;
  }

  private markDown(client: string, err: Error): void {
    if (this.closed) return;
    // Once per outage (or once when Redis is not there at start), not once per reconnect attempt.
    if (!this.downLogged) {
      this.downLogged = true;
      this.log.error(
        { client, err: err.message },
        "Redis is unreachable: scale-out paused, this process serves only its own sockets until it returns",
      );
    }
    this.healthy = false;
    this.clearRemote();
  }

  private markUp(): void {
    if (!this.connected || this.healthy || this.closed) return;
    this.healthy = true;
    if (this.downLogged) this.log.warn("Redis is reachable again: scale-out resumed");
    else this.log.info({ node: this.nodeId }, "scale-out on Redis started");
    this.downLogged = false;
    // Without this, a process that started (or came back) while Redis was away would be counted by the others
    // only at its next heartbeat, and a broadcast with an ack would not wait for its answer meanwhile.
    for (const adapter of this.adapters) adapter.init();
    void this.refresh();
  }

  private clearRemote(): void {
    const rooms = new Set<string>();
    for (const w of this.remoteWatches.values()) for (const r of w.rooms) rooms.add(r);
    this.remote.clear();
    this.remoteWatches.clear();
    if (rooms.size > 0) this.host?.remoteWatchesChanged([...rooms]);
  }

  private onPresence(raw: string): void {
    let m: PresenceMessage;
    try {
      m = JSON.parse(raw) as PresenceMessage;
    } catch {
      return;
    }
    if (m.node === this.nodeId || typeof m.node !== "string") return;
    // A refresh reading the whole map meanwhile may have read it before this change: it replays it after.
    if (m.op !== "watch") this.duringRefresh?.push(m);
    this.applyPresence(m);
  }

  private applyPresence(m: PresenceMessage): void {
    if (m.op === "up") for (const id of m.ids ?? []) this.remote.set(id, m.node);
    else if (m.op === "down") {
      for (const id of m.ids ?? []) if (this.remote.get(id) === m.node) this.remote.delete(id);
    } else if (m.op === "watch") {
      const before = this.remoteWatches.get(m.node)?.rooms ?? new Set<string>();
      const after = new Set(m.rooms ?? []);
      this.remoteWatches.set(m.node, { rooms: after, at: Date.now() });
      const changed = [...before].filter((r) => !after.has(r)).concat([...after].filter((r) => !before.has(r)));
      if (changed.length > 0) this.host?.remoteWatchesChanged(changed);
    }
  }

  /**
   * Keeps this process alive in Redis, re-asserts its devices (an outage may have let another process clear
   * them), drops the devices of processes that stopped refreshing, and re-reads the whole map: one HGETALL per
   * period, however many devices.
   */
  private async refresh(): Promise<void> {
    if (!this.connected || !this.host || this.closed || this.duringRefresh) return;
    this.duringRefresh = [];
    try {
      const presence = this.key("presence");
      const mine = this.host.localDeviceIds();
      const tx = this.pub.multi().set(this.key(`node:${this.nodeId}`), "1", { PX: this.refreshMs * 3 });
      if (mine.length > 0) tx.hSet(presence, Object.fromEntries(mine.map((id) => [id, this.nodeId])));
      await tx.exec();
      const all = await this.pub.hGetAll(presence);
      const nodes = [...new Set(Object.values(all))].filter((n) => n !== this.nodeId);
      const alive = new Set<string>();
      if (nodes.length > 0) {
        const flags = await this.pub.mGet(nodes.map((n) => this.key(`node:${n}`)));
        nodes.forEach((n, i) => {
          if (flags[i]) alive.add(n);
        });
      }
      const dead: Array<[string, string]> = [];
      this.remote.clear();
      for (const [id, node] of Object.entries(all)) {
        if (node === this.nodeId) continue;
        if (alive.has(node)) this.remote.set(id, node);
        else dead.push([id, node]);
      }
      for (const m of this.duringRefresh) this.applyPresence(m);
      // Only entries still naming the dead process: the device may have reconnected elsewhere since the read.
      if (dead.length > 0) {
        await this.pub.eval(CLEAR_IF_HELD_BY, { keys: [presence], arguments: dead.flat() });
      }
      // A device this process holds is its own, whatever an older entry said.
      for (const id of mine) this.remote.delete(id);
      const now = Date.now();
      for (const [node, w] of this.remoteWatches) {
        if (now - w.at > this.refreshMs * 3) {
          this.remoteWatches.delete(node);
          this.host.remoteWatchesChanged([...w.rooms]);
        }
      }
      this.announceWatches();
    } catch (err) {
      this.log.debug({ err }, "scale-out refresh failed");
    } finally {
      this.duringRefresh = null;
    }
  }
}

/**
 * socket.io's cluster adapter over Redis pub/sub: one channel per namespace for messages, one per process for
 * responses (acks of a broadcast, fetched sockets). Heartbeats tell each process how many others answer.
 * JSON on the wire: LabFleet's events carry no binary.
 */
export class RedisClusterAdapter extends ClusterAdapterWithHeartbeat {
  private readonly channel: string;
  private readonly responseChannel: string;

  constructor(
    nsp: { name: string },
    private readonly scaleOut: ScaleOut,
    opts: ClusterAdapterOptions,
  ) {
    super(nsp, opts);
    this.channel = `${scaleOut.channelPrefix}:io#${nsp.name}#`;
    this.responseChannel = `${this.channel}${this.uid}#`;
    scaleOut.register(this);
    Promise.all([
      scaleOut.subscribeRaw(this.channel, (raw) => {
        const message = parse<ClusterMessage>(raw);
        if (message) this.onMessage(message);
      }),
      scaleOut.subscribeRaw(this.responseChannel, (raw) => {
        const response = parse<ClusterResponse>(raw);
        if (response) this.onResponse(response);
      }),
    ]).then(
      // Subscribed: say hello now, so that the answers to it (the other processes' heartbeats) are heard.
      () => {
        if (scaleOut.connected) this.init();
      },
      () => undefined,
    );
  }

  protected override async doPublish(message: ClusterMessage): Promise<Offset> {
    await this.scaleOut.publishRaw(this.channel, JSON.stringify(message));
    return "";
  }

  protected override async doPublishResponse(requesterUid: ServerId, response: ClusterResponse): Promise<void> {
    await this.scaleOut.publishRaw(`${this.channel}${requesterUid}#`, JSON.stringify(response));
  }

  override close(): void {
    this.scaleOut.unregister(this);
    super.close();
    this.scaleOut.unsubscribeRaw(this.channel);
    this.scaleOut.unsubscribeRaw(this.responseChannel);
  }
}

function parse<T>(raw: string): T | null {
  try {
    return JSON.parse(raw) as T;
  } catch {
    return null;
  }
}
