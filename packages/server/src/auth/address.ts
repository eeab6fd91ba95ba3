import ipaddr from 'ipaddr.js';

/**
 * The unit a source address is counted in: an IPv4 address, or the /64 of an IPv6 address (one
 * host usually holds a whole /64, so counting single IPv6 addresses would give it 2^64 budgets).
 * An IPv4-mapped IPv6 address counts as its IPv4 address. Anything unparsable is used as is.
 */
export function addressKey(ip: string): string {
  let addr: ipaddr.IPv4 | ipaddr.IPv6;
  try {
    addr = ipaddr.process(ip);
  } catch {
    return ip;
  }
  if (addr instanceof ipaddr.IPv4) return addr.toString();
  const prefix = new ipaddr.IPv6([...addr.parts.slice(0, 4), 0, 0, 0, 0]);
  return `${prefix.toString()}/64`;
}
