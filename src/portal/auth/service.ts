import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { AuditRepository, IdentityRepository } from '../../db/index.js';
import { ConflictError as DbConflictError, guacamoleNameProblem, hashPassword, passwordProblem, verifyPassword } from '../../db/index.js';
import type { LoginAccount, PortalAccountRepository, Principal, TokenPurpose } from '../../db/portal-accounts.js';
import { BadRequestError, ConflictError, ForbiddenError, NotFoundError, ServiceUnavailableError, TooManyRequestsError, UnauthorizedError } from '../errors.js';
import type { Mailer } from '../mailer.js';
import { RateLimiter } from '../rate-limit.js';
import type { PrincipalCache } from '../principal-cache.js';

export interface AuthOptions {
  registrationEnabled: boolean;
  requireApproval: boolean;
  /** Base of the links in mails, e.g. https://gateway.example.org */
  publicUrl: string;
  /** Failed logins in a row before an account is locked. */
  maxFailures?: number;
  lockMinutes?: number;
  /** Login attempts per client address per window. */
  ipLimit?: number;
  ipWindowMinutes?: number;
  verifyTokenHours?: number;
  resetTokenMinutes?: number;
}

export interface AuthDeps {
  accounts: PortalAccountRepository;
  identities: Pick<IdentityRepository, 'createUser'>;
  audit: Pick<AuditRepository, 'record'>;
  mailer?: Mailer | undefined;
  now?: () => Date;
  /** Remembers accounts for a moment (absent: read on every request). */
  principals?: PrincipalCache;
}

export const registrationSchema = z.object({
  name: z
    .string()
    .trim()
    .min(2, 'The user name needs at least 2 characters.')
    .max(64, 'The user name can have at most 64 characters.')
    .regex(/^[A-Za-z0-9][A-Za-z0-9._-]*$/, 'The user name may use letters, digits, dot, dash and underscore, and must start with a letter or digit.'),
  email: z.string().trim().max(254).pipe(z.email('Please give a valid e-mail address.')),
  password: z.string().max(1024, 'The password is too long.'),
  password2: z.string().max(1024),
});
export type Registration = z.infer<typeof registrationSchema>;

/** A hash to spend time on when the account does not exist, so timing does not tell who has an account. */
const DUMMY_HASH = hashPassword(randomBytes(16).toString('hex'));

/** Logins with rate limits and lockout, self-registration with mail verification and approval, password reset. */
export class AuthService {
  readonly #ipLimiter: RateLimiter;
  readonly #o: Required<AuthOptions>;
  readonly #now: () => Date;

  constructor(
    private readonly deps: AuthDeps,
    options: AuthOptions,
  ) {
    this.#o = {
      maxFailures: 5,
      lockMinutes: 15,
      ipLimit: 30,
      ipWindowMinutes: 15,
      verifyTokenHours: 48,
      resetTokenMinutes: 60,
      ...options,
    };
    this.#now = deps.now ?? (() => new Date());
    this.#ipLimiter = new RateLimiter(this.#o.ipLimit, this.#o.ipWindowMinutes * 60_000);
  }

  get registrationEnabled(): boolean {
    return this.#o.registrationEnabled;
  }

  /** The account behind a session, when active; read on every request, through the short cache if any. */
  async principal(entityId: number): Promise<Principal | undefined> {
    const load = () => this.deps.accounts.principal(entityId);
    const p = await (this.deps.principals ? this.deps.principals.get(entityId, load) : load());
    return p && p.state === 'active' ? p : undefined;
  }

  /** Checks a name and password; throws with a plain reason. */
  async login(name: string, password: string, address: string): Promise<Principal> {
    const wait = this.#ipLimiter.hit(address);
    if (wait > 0) {
      await this.#audit({ actor: name.slice(0, 128), action: 'login', result: 'denied', sourceAddress: address, detail: 'rate limited (address)' });
      throw new TooManyRequestsError(`Too many login attempts from your address. Please wait ${minutes(wait)} and try again.`, wait);
    }
    const account = name.length <= 128 ? await this.deps.accounts.findLogin(name) : undefined;
    const now = this.#now();
    if (!account || !account.passwordHash) {
      await verifyPassword(await DUMMY_HASH, password);
      await this.#audit({ actor: name.slice(0, 128), action: 'login', result: 'failure', sourceAddress: address, detail: 'unknown user or no password' });
      throw new UnauthorizedError('Wrong user name or password.');
    }
    if (account.lockedUntil && account.lockedUntil > now) {
      await this.#audit({ actor: account.name, actorEntityId: account.entityId, action: 'login', result: 'denied', sourceAddress: address, detail: 'account locked' });
      throw new TooManyRequestsError(
        `This account is locked for a while after too many failed logins. Try again in ${minutes((account.lockedUntil.getTime() - now.getTime()) / 1000)}, or reset your password.`,
        Math.ceil((account.lockedUntil.getTime() - now.getTime()) / 1000),
      );
    }
    if (!(await verifyPassword(account.passwordHash, password))) {
      const lockUntil = new Date(now.getTime() + this.#o.lockMinutes * 60_000);
      const { locked } = await this.deps.accounts.recordFailure(account.entityId, this.#o.maxFailures, lockUntil);
      await this.#audit({ actor: account.name, actorEntityId: account.entityId, action: 'login', result: 'failure', sourceAddress: address, detail: 'wrong password' });
      if (locked) {
        await this.#audit({ actor: account.name, actorEntityId: account.entityId, action: 'lockout', result: 'denied', sourceAddress: address, detail: `locked for ${this.#o.lockMinutes} minutes` });
        throw new TooManyRequestsError(`Too many failed logins: this account is locked for ${this.#o.lockMinutes} minutes.`, this.#o.lockMinutes * 60);
      }
      throw new UnauthorizedError('Wrong user name or password.');
    }
    const refusal = stateRefusal(account);
    if (refusal) {
      await this.#audit({ actor: account.name, actorEntityId: account.entityId, action: 'login', result: 'denied', sourceAddress: address, detail: `account ${account.state}` });
      throw new ForbiddenError(refusal);
    }
    await this.deps.accounts.recordSuccess(account.entityId, now);
    await this.#audit({ actor: account.name, actorEntityId: account.entityId, action: 'login', result: 'success', sourceAddress: address });
    const principal = await this.deps.accounts.principal(account.entityId);
    if (!principal) throw new UnauthorizedError('Wrong user name or password.');
    // the session starts from what was just read, not from an older cached reading
    this.deps.principals?.forget(account.entityId);
    return principal;
  }

  async logout(principal: Principal, address: string): Promise<void> {
    await this.#audit({ actor: principal.name, actorEntityId: principal.entityId, action: 'logout', result: 'success', sourceAddress: address });
  }

  /** Creates a pending account and mails the verification link. */
  async register(input: Registration, address: string): Promise<void> {
    if (!this.#o.registrationEnabled) throw new NotFoundError('Registration is closed here. Ask an administrator for an account.');
    const mailer = this.#requireMailer();
    if (input.password !== input.password2) throw new BadRequestError('The two passwords differ.');
    const nameProblem = guacamoleNameProblem(input.name);
    if (nameProblem) throw new BadRequestError(`The user name ${nameProblem}.`);
    const problem = passwordProblem(input.password, input.name);
    if (problem) throw new BadRequestError(capitalise(problem) + '.');
    let entityId: number;
    try {
      const user = await this.deps.identities.createUser({ name: input.name, email: input.email, password: input.password, state: 'pending' });
      entityId = user.entityId;
    } catch (err) {
      if (err instanceof DbConflictError) throw new ConflictError('That user name or e-mail address is already taken.');
      throw err;
    }
    await this.#audit({ actor: input.name, actorEntityId: entityId, action: 'register', result: 'success', sourceAddress: address, detail: input.email });
    const token = await this.#issueToken(entityId, 'verify_email', this.#o.verifyTokenHours * 60);
    await mailer.send({
      to: input.email,
      subject: 'Confirm your EarCandle account',
      text: `Hello ${input.name},\n\nplease confirm your e-mail address by opening this link:\n\n${this.#o.publicUrl}/verify-email?token=${token}\n\nThe link works once and expires in ${this.#o.verifyTokenHours} hours.${this.#o.requireApproval ? '\nAfter that an administrator will approve your account.' : ''}\n`,
    });
  }

  /** Confirms an address; the account becomes active unless an administrator must approve it. */
  async verifyEmail(token: string, address: string): Promise<'active' | 'pending'> {
    const entityId = await this.deps.accounts.consumeToken(tokenHash(token), 'verify_email', this.#now());
    if (entityId === undefined) throw new BadRequestError('This link is not valid any more. It may have been used already or expired.');
    await this.deps.accounts.markEmailVerified(entityId, this.#now());
    const p = await this.deps.accounts.principal(entityId);
    let state: 'active' | 'pending' = 'pending';
    if (p?.state === 'pending' && !this.#o.requireApproval) {
      await this.deps.accounts.setState(entityId, 'active');
      this.deps.principals?.clear();
      state = 'active';
    } else if (p?.state === 'active') state = 'active';
    await this.#audit({ actor: p?.name ?? null, actorEntityId: entityId, action: 'verify-email', result: 'success', sourceAddress: address });
    return state;
  }

  /** Mails a reset link when the address belongs to an account; says nothing either way. */
  async forgotPassword(email: string, address: string): Promise<void> {
    const mailer = this.#requireMailer();
    const account = email.length <= 254 ? await this.deps.accounts.findByEmail(email) : undefined;
    await this.#audit({ actor: account?.name ?? null, actorEntityId: account?.entityId ?? null, action: 'password-reset-request', result: account ? 'success' : 'failure', sourceAddress: address });
    if (!account || !account.email || account.state === 'disabled') return;
    const token = await this.#issueToken(account.entityId, 'reset_password', this.#o.resetTokenMinutes);
    await mailer.send({
      to: account.email,
      subject: 'Reset your EarCandle password',
      text: `Hello ${account.name},\n\nsomeone (hopefully you) asked to reset your password. Choose a new one here:\n\n${this.#o.publicUrl}/reset-password?token=${token}\n\nThe link works once and expires in ${this.#o.resetTokenMinutes} minutes. If you did not ask for this, ignore this mail.\n`,
    });
  }

  async resetTokenValid(token: string): Promise<boolean> {
    return (await this.deps.accounts.tokenEntity(tokenHash(token), 'reset_password', this.#now())) !== undefined;
  }

  async resetPassword(token: string, password: string, password2: string, address: string): Promise<void> {
    if (password !== password2) throw new BadRequestError('The two passwords differ.');
    const owner = await this.deps.accounts.tokenEntity(tokenHash(token), 'reset_password', this.#now());
    if (owner === undefined) throw new BadRequestError('This link is not valid any more. Ask for a new one.');
    const p = await this.deps.accounts.principal(owner);
    const problem = passwordProblem(password, p?.name);
    if (problem) throw new BadRequestError(capitalise(problem) + '.');
    // Used only once the new password is acceptable; a second use (or a race) finds it gone.
    const entityId = await this.deps.accounts.consumeToken(tokenHash(token), 'reset_password', this.#now());
    if (entityId === undefined) throw new BadRequestError('This link is not valid any more. Ask for a new one.');
    await this.deps.accounts.setPassword(entityId, password);
    await this.deps.accounts.markEmailVerified(entityId, this.#now());
    await this.#audit({ actor: p?.name ?? null, actorEntityId: entityId, action: 'password-reset', result: 'success', sourceAddress: address });
  }

  async #issueToken(entityId: number, purpose: TokenPurpose, minutesValid: number): Promise<string> {
    const token = randomBytes(32).toString('base64url');
    await this.deps.accounts.createToken(entityId, purpose, tokenHash(token), new Date(this.#now().getTime() + minutesValid * 60_000));
    return token;
  }

  #requireMailer(): Mailer {
    if (!this.deps.mailer) throw new ServiceUnavailableError('Mail is not set up on this gateway, so this cannot be done here. Ask an administrator.');
    return this.deps.mailer;
  }

  async #audit(entry: Parameters<AuditRepository['record']>[0]): Promise<void> {
    await this.deps.audit.record(entry);
  }
}

export function tokenHash(token: string): Buffer {
  return createHash('sha256').update(token, 'utf8').digest();
}

function stateRefusal(account: LoginAccount): string | undefined {
  if (account.state === 'disabled') return 'This account is disabled. Ask an administrator.';
  if (account.state === 'pending') {
    return account.emailVerifiedAt
      ? 'Your account is waiting for an administrator to approve it.'
      : 'Please confirm your e-mail address first: open the link in the mail we sent you.';
  }
  return undefined;
}

function minutes(seconds: number): string {
  const m = Math.max(1, Math.ceil(seconds / 60));
  return m === 1 ? '1 minute' : `${m} minutes`;
}

function capitalise(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
