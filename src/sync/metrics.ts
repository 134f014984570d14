import { Counter, Gauge, Registry } from 'prom-client';

/** Prometheus metrics of sync; `registry` is what `serve` exposes on /metrics (merge it with others). */
export class SyncMetrics {
  readonly registry: Registry;
  readonly duration: Gauge;
  readonly vms: Gauge;
  readonly changes: Counter;
  readonly errors: Counter;
  readonly lastSuccess: Gauge;
  readonly writes: Counter;

  constructor(registry: Registry = new Registry()) {
    this.registry = registry;
    const registers = [registry];
    this.duration = new Gauge({ name: 'earcandle_sync_duration_seconds', help: 'Duration of the last sync run of a cluster', labelNames: ['cluster'], registers });
    this.vms = new Gauge({ name: 'earcandle_sync_vms', help: 'Guests seen in the last successful sync of a cluster', labelNames: ['cluster'], registers });
    this.changes = new Counter({ name: 'earcandle_sync_changes_total', help: 'Changes written by sync, by kind', labelNames: ['cluster', 'kind'], registers });
    this.errors = new Counter({ name: 'earcandle_sync_errors_total', help: 'Failed sync runs', labelNames: ['cluster'], registers });
    this.writes = new Counter({ name: 'earcandle_sync_rows_written_total', help: 'Rows written by sync', labelNames: ['cluster'], registers });
    this.lastSuccess = new Gauge({ name: 'earcandle_sync_last_success_timestamp_seconds', help: 'When a sync of the cluster last succeeded', labelNames: ['cluster'], registers });
  }

  record(r: { cluster: string; outcome: string; durationMs: number; vms: number; changes: Record<string, number>; writes: number; finishedAt: Date }): void {
    if (r.outcome === 'skipped') return;
    this.duration.set({ cluster: r.cluster }, r.durationMs / 1000);
    if (r.outcome === 'failed') {
      this.errors.inc({ cluster: r.cluster });
      return;
    }
    this.vms.set({ cluster: r.cluster }, r.vms);
    for (const [kind, n] of Object.entries(r.changes)) this.changes.inc({ cluster: r.cluster, kind }, n);
    this.writes.inc({ cluster: r.cluster }, r.writes);
    this.lastSuccess.set({ cluster: r.cluster }, r.finishedAt.getTime() / 1000);
  }
}
