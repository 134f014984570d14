import type { Method, Route } from './context.js';

interface Compiled {
  readonly route: Route;
  readonly regex: RegExp;
  readonly names: string[];
}

/** Matches `/api2/json`-relative paths against route templates (`{x}` → one segment). */
export class Router {
  private readonly compiled: Compiled[] = [];

  constructor(routes: readonly Route[]) {
    for (const route of routes) {
      const names: string[] = [];
      const src = route.template.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\\?\{([^}]+)\\?\}/g, (_m, name: string) => {
        names.push(name);
        return '([^/]+)';
      });
      this.compiled.push({ route, regex: new RegExp(`^${src}/?$`), names });
    }
  }

  /** The route and its decoded path variables, or undefined (→ 501). */
  match(method: string, path: string): { route: Route; vars: Record<string, string> } | undefined {
    for (const c of this.compiled) {
      if (c.route.method !== (method as Method)) continue;
      const m = c.regex.exec(path);
      if (!m) continue;
      const vars: Record<string, string> = {};
      try {
        c.names.forEach((n, i) => (vars[n] = decodeURIComponent(m[i + 1]!)));
      } catch {
        return undefined;
      }
      return { route: c.route, vars };
    }
    return undefined;
  }

  /** The template a path would match regardless of method (for fault rules). */
  templateOf(path: string): string | undefined {
    return this.compiled.find((c) => c.regex.test(path))?.route.template;
  }
}
