import type { Principal } from '../db/portal-accounts.js';

declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace
  namespace Express {
    // eslint-disable-next-line @typescript-eslint/no-empty-object-type
    interface User extends Principal {}
  }
}

declare module 'express-session' {
  interface SessionData {
    csrfToken?: string;
    flash?: { kind: 'info' | 'error'; text: string };
  }
}

export type { Principal };
