import type { Inventory } from "@labfleet/protocol";
import type { ReactNode } from "react";
import { Badge } from "@/components/ui/badge";
import { Card } from "@/components/ui/notice";
import { formatBytes, formatGHz, formatLinkSpeed, MISSING } from "@/lib/format";

function text(value: string | null | undefined): string {
  return value?.trim() ? value : MISSING;
}

function Facts({ rows }: { rows: Array<[string, ReactNode]> }) {
  return (
    <dl className="grid grid-cols-[max-content_1fr] gap-x-4 gap-y-1.5 text-sm">
      {rows.map(([label, value]) => (
        <div key={label} className="contents">
          <dt className="text-slate-500">{label}</dt>
          <dd className="min-w-0 break-words text-slate-900">{value}</dd>
        </div>
      ))}
    </dl>
  );
}

function Table({ head, rows, empty }: { head: string[]; rows: ReactNode[][]; empty: string }) {
  if (rows.length === 0) return <p className="text-sm text-slate-500">{empty}</p>;
  return (
    <div className="overflow-x-auto">
      <table className="w-full text-left text-sm">
        <thead className="text-xs text-slate-500">
          <tr>
            {head.map((h) => (
              <th key={h} scope="col" className="pr-4 pb-1.5 font-medium">
                {h}
              </th>
            ))}
          </tr>
        </thead>
        <tbody className="divide-y divide-slate-100">
          {rows.map((cells, i) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: inventory rows have no identity beyond their position
            <tr key={i}>
              {cells.map((cell, j) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: columns are fixed
                <td key={j} className="py-1.5 pr-4 align-top text-slate-900">
                  {cell}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

/** What the machine is, in readable units. */
export function InventoryPanel({ inventory }: { inventory: Inventory | null }) {
  if (!inventory) {
    return (
      <Card title="Hardware and software">
        <p className="text-sm text-slate-500">The agent has not reported this machine's inventory yet.</p>
      </Card>
    );
  }
  const { system, os, cpu, memory, disks, gpus, network, agent } = inventory;
  const osName = [os.distro, os.release].filter(Boolean).join(" ") || os.platform;
  return (
    <div className="grid gap-4 lg:grid-cols-2" data-testid="inventory">
      <Card title="System">
        <Facts
          rows={[
            [
              "Hostname",
              <span key="h" className="font-mono">
                {inventory.hostname}
              </span>,
            ],
            ["Manufacturer", text(system.manufacturer)],
            ["Model", text(system.model)],
            ["Operating system", osName],
            ["Kernel", text(os.kernel)],
            ["Architecture", os.arch],
            ["Memory", formatBytes(memory.totalBytes)],
            ["Agent", `${agent.version} (Node ${agent.nodeVersion})`],
          ]}
        />
      </Card>
      <Card title="CPU">
        <Facts
          rows={[
            ["Model", text([cpu.manufacturer, cpu.brand].filter(Boolean).join(" "))],
            ["Cores", `${cpu.physicalCores} physical, ${cpu.cores} logical`],
            ["Base clock", formatGHz(cpu.speedGHz)],
            ["Max clock", formatGHz(cpu.speedMaxGHz)],
            [
              "Flags",
              cpu.flags.length === 0 ? (
                MISSING
              ) : (
                <ul key="f" className="flex flex-wrap gap-1" aria-label="CPU flags">
                  {cpu.flags.map((flag) => (
                    <li key={flag}>
                      <Badge className="font-mono">{flag}</Badge>
                    </li>
                  ))}
                </ul>
              ),
            ],
          ]}
        />
      </Card>
      <Card title="Disks">
        <Table
          head={["Device", "Name", "Type", "Size"]}
          empty="No disks reported."
          rows={disks.map((d) => [
            <span key="d" className="font-mono">
              {text(d.device)}
            </span>,
            text(d.name),
            text(d.type),
            formatBytes(d.sizeBytes),
          ])}
        />
      </Card>
      <Card title="GPUs">
        <Table
          head={["Vendor", "Model", "Memory"]}
          empty="No GPU reported."
          rows={gpus.map((g) => [text(g.vendor), text(g.model), formatBytes(g.vramBytes)])}
        />
      </Card>
      <Card title="Network" className="lg:col-span-2">
        <Table
          head={["Interface", "IPv4", "IPv6", "MAC", "Link"]}
          empty="No network interfaces reported."
          rows={network.map((n) => [
            <span key="i" className="font-mono">
              {n.iface}
              {n.virtual && (
                <Badge key="v" className="ml-2">
                  virtual
                </Badge>
              )}
            </span>,
            <span key="4" className="font-mono">
              {text(n.ipv4)}
            </span>,
            <span key="6" className="font-mono break-all">
              {text(n.ipv6)}
            </span>,
            <span key="m" className="font-mono">
              {text(n.mac)}
            </span>,
            formatLinkSpeed(n.speedMbps),
          ])}
        />
      </Card>
    </div>
  );
}
