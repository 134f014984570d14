// bench/portal-load: the load generator of bench/portal.ts, run as its own process so it does not share the
// server's event loop. One JSON line of figures on stdout.
//   node --import tsx bench/portal-load.ts <url> <accept> <seconds> <connections> <max|rate:N> [cookies.json]
// max:    autocannon, closed loop: every connection sends its next request as soon as the last is answered.
// rate:N: open loop, N requests/s with Poisson arrivals (people with think time), spread over the sessions
//         round-robin, at most <connections> sockets; latency counts from the planned send time, so a slow
//         server is not hidden by sending less (no coordinated omission).
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';

export interface LoadFigures {
  rps: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  errors: number;
  non2xx: number;
}

const [url, accept, secondsArg, connectionsArg, mode, cookiesFile] = process.argv.slice(2);
if (!url || !accept || !secondsArg || !connectionsArg || !mode) throw new Error('usage: portal-load <url> <accept> <seconds> <connections> <max|rate:N> [cookies.json]');
const seconds = Number(secondsArg);
const connections = Number(connectionsArg);
const cookies = cookiesFile ? (JSON.parse(readFileSync(cookiesFile, 'utf8')) as string[]) : [];

async function closedLoop(): Promise<LoadFigures> {
  process.env.EC_BENCH_ACCEPT = accept;
  if (cookiesFile) process.env.EC_BENCH_COOKIES = cookiesFile;
  const r = await autocannon({
    url: url!,
    connections,
    duration: seconds,
    headers: { accept: accept! },
    ...(cookiesFile ? { setupClient: fileURLToPath(new URL('./portal-client.cjs', import.meta.url)) } : {}),
  });
  return { rps: r.requests.average, p50: r.latency.p50, p90: r.latency.p90, p99: r.latency.p99, max: r.latency.max, errors: r.errors + r.timeouts, non2xx: r.non2xx };
}

function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return 0;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

async function openLoop(rate: number): Promise<LoadFigures> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: connections });
  const latencies: number[] = [];
  let errors = 0;
  let non2xx = 0;
  let sent = 0;
  const start = performance.now();
  const end = start + seconds * 1000;
  const inflight = new Set<Promise<void>>();
  const one = (planned: number, cookie: string | undefined): Promise<void> =>
    new Promise<void>((resolve) => {
      const req = http.get(url!, { agent, headers: { accept: accept!, ...(cookie ? { cookie } : {}) } }, (res) => {
        if (res.statusCode === undefined || res.statusCode < 200 || res.statusCode >= 300) non2xx += 1;
        res.resume();
        res.on('end', () => {
          latencies.push(performance.now() - planned);
          resolve();
        });
      });
      req.on('error', () => {
        errors += 1;
        resolve();
      });
    });
  // Poisson arrivals: exponential gaps with mean 1/rate; each request is sent at its planned time.
  let next = start;
  while (next < end) {
    const now = performance.now();
    while (next <= now && next < end) {
      const p = one(next, cookies.length ? cookies[sent % cookies.length] : undefined);
      sent += 1;
      inflight.add(p);
      void p.then(() => inflight.delete(p));
      next += (-Math.log(1 - Math.random()) * 1000) / rate;
    }
    await new Promise((r) => setTimeout(r, Math.max(0, Math.min(next, end) - performance.now())));
  }
  await Promise.all(inflight);
  agent.destroy();
  latencies.sort((a, b) => a - b);
  const round = (x: number): number => Math.round(x * 10) / 10;
  return {
    rps: latencies.length / seconds,
    p50: round(percentile(latencies, 50)),
    p90: round(percentile(latencies, 90)),
    p99: round(percentile(latencies, 99)),
    max: round(latencies.at(-1) ?? 0),
    errors,
    non2xx,
  };
}

const figures = mode === 'max' ? await closedLoop() : mode.startsWith('rate:') ? await openLoop(Number(mode.slice(5))) : undefined;
if (!figures) throw new Error(`unknown mode ${mode}`);
process.stdout.write(`${JSON.stringify(figures)}\n`);
