/** How port choice sees the machine. */
export interface PortProbe {
  isFree(port: number): Promise<boolean>;
  freePort(): Promise<number>;
}

/**
 * Gives each app its default port when that is free on 127.0.0.1, else a free one; no two apps share a port.
 */
export async function assignPorts(
  names: readonly string[],
  defaultPort: (name: string) => number | undefined,
  probe: PortProbe,
): Promise<Map<string, number>> {
  const assigned = new Map<string, number>();
  const taken = new Set<number>();
  const claimedDefaults = new Set(names.map(defaultPort).filter((port) => port !== undefined));
  for (const name of names) {
    const preferred = defaultPort(name);
    let port: number | undefined;
    if (preferred !== undefined && !taken.has(preferred) && (await probe.isFree(preferred))) port = preferred;
    // A random free port must not land on another app's default, which that app may still claim.
    for (let attempt = 0; port === undefined; attempt++) {
      const candidate = await probe.freePort();
      if ((!taken.has(candidate) && !claimedDefaults.has(candidate)) || attempt >= 20) port = candidate;
    }
    assigned.set(name, port);
    taken.add(port);
  }
  return assigned;
}
