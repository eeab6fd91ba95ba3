/** Hand-rolled Prometheus counters and one histogram; enough for a dashboard, no dependency. */
export class Metrics {
  private readonly requests = new Map<string, number>();
  private readonly mutations = new Map<string, number>();
  private readonly buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];
  private readonly syncCounts = new Array<number>(this.buckets.length + 1).fill(0);
  private syncSum = 0;
  private syncCount = 0;

  constructor(
    private readonly gauges: () => Record<string, number> = () => ({}),
    private readonly counters: () => Record<string, number> = () => ({}),
  ) {}

  /** Counts one finished request. */
  request(route: string, method: string, status: number): void {
    const key = `route="${esc(route)}",method="${method}",status="${status}"`;
    this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
  }

  /**
   * `request` for one route, made once (when the route is declared): its label is escaped once
   * and each method and status's key made once, so counting a request makes no string.
   */
  requestCounter(route: string): (method: string, status: number) => void {
    const keys = new Map<string, Map<number, string>>();
    const label = `route="${esc(route)}",method="`;
    return (method, status) => {
      let byStatus = keys.get(method);
      if (byStatus === undefined) keys.set(method, (byStatus = new Map<number, string>()));
      let key = byStatus.get(status);
      if (key === undefined) byStatus.set(status, (key = `${label}${method}",status="${status}"`));
      this.requests.set(key, (this.requests.get(key) ?? 0) + 1);
    };
  }

  /** Counts mutation results by status. */
  mutationResults(counts: Readonly<Record<string, number>>): void {
    for (const [status, n] of Object.entries(counts)) {
      if (n > 0) this.mutations.set(status, (this.mutations.get(status) ?? 0) + n);
    }
  }

  /** Records one `/v1/sync` duration. */
  syncDuration(seconds: number): void {
    this.syncSum += seconds;
    this.syncCount++;
    let i = 0;
    while (i < this.buckets.length && seconds > this.buckets[i]!) i++;
    this.syncCounts[i]! += 1;
  }

  /** The Prometheus text exposition. */
  render(): string {
    const out: string[] = [];
    out.push(
      '# HELP ferry_http_requests_total HTTP requests by route, method and status.',
      '# TYPE ferry_http_requests_total counter',
    );
    for (const [k, v] of this.requests) out.push(`ferry_http_requests_total{${k}} ${v}`);
    out.push(
      '# HELP ferry_mutations_total Pushed mutations by result status.',
      '# TYPE ferry_mutations_total counter',
    );
    for (const [k, v] of this.mutations) out.push(`ferry_mutations_total{status="${k}"} ${v}`);
    out.push(
      '# HELP ferry_sync_duration_seconds Duration of POST /v1/sync.',
      '# TYPE ferry_sync_duration_seconds histogram',
    );
    let cum = 0;
    this.buckets.forEach((b, i) => {
      cum += this.syncCounts[i]!;
      out.push(`ferry_sync_duration_seconds_bucket{le="${b}"} ${cum}`);
    });
    cum += this.syncCounts[this.buckets.length]!;
    out.push(`ferry_sync_duration_seconds_bucket{le="+Inf"} ${cum}`);
    out.push(
      `ferry_sync_duration_seconds_sum ${this.syncSum}`,
      `ferry_sync_duration_seconds_count ${this.syncCount}`,
    );
    for (const [name, v] of Object.entries(this.gauges()))
      out.push(`# TYPE ${name} gauge`, `${name} ${v}`);
    for (const [name, v] of Object.entries(this.counters()))
      out.push(`# TYPE ${name} counter`, `${name} ${v}`);
    return `${out.join('\n')}\n`;
  }
}

function esc(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}
