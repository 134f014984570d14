import { collectDefaultMetrics, register as defaultRegistry, type Registry } from 'prom-client';
import type { RouteTable } from '../route-table.js';
import type { HealthService } from './service.js';

/** /healthz (200 when everything answers, 503 otherwise, JSON either way) and /metrics (Prometheus text). */
export function opsRoutes(table: RouteTable, health: HealthService, registries: readonly Registry[]): void {
  if (!defaultRegistry.getSingleMetric('process_cpu_user_seconds_total')) collectDefaultMetrics();
  table.add({ method: 'get', path: '/healthz', access: 'public', api: false, summary: 'Health: database, clusters, guacd' }, async (_req, res) => {
    const report = await health.check();
    res.status(report.ok ? 200 : 503).json(report);
  });
  table.add({ method: 'get', path: '/metrics', access: 'public', api: false, summary: 'Prometheus metrics' }, async (_req, res) => {
    const parts = await Promise.all([defaultRegistry, ...registries.filter((r) => r !== defaultRegistry)].map((r) => r.metrics()));
    res.type(defaultRegistry.contentType).send(parts.join('\n'));
  });
}
