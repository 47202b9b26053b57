/** Options of {@link startMfaMock}. */
export interface StartOptions {
  /** Use the server already running at this URL (default: the MFA_MOCK_URL variable); stop() then does nothing. */
  url?: string;
  /** Port to listen on; 0 (the default) picks a free one. */
  port?: number;
  /** Address to listen on (default 127.0.0.1). */
  host?: string;
  /** More flags for the server, e.g. ["--totp-skew", "0"]. */
  args?: string[];
  /** The binary to run (default: MFA_MOCK_BINARY, else this platform's @mfa-mock/* package). */
  binary?: string;
  /** The server's environment (default: this process's). */
  env?: NodeJS.ProcessEnv;
  /** "inherit" copies the server's log to this process's stderr; by default it is kept only to explain a failed start. */
  stderr?: 'inherit' | 'ignore';
  /** How long to wait for the server to listen (default 30 000). */
  startTimeoutMs?: number;
  /** How long stop() waits after SIGTERM before SIGKILL (default 10 000). */
  stopTimeoutMs?: number;
}

/** A running mfa-mock. */
export interface MfaMockServer {
  /** e.g. "http://127.0.0.1:39215", no trailing slash. */
  readonly url: string;
  /** The server's process id; undefined for a server this process did not start. */
  readonly pid?: number;
  /** Stops the server (SIGTERM, then SIGKILL) and resolves once it has exited. */
  stop(): Promise<void>;
  /** A tenant: a new random sk_test_ key, its own empty world, unless one is given. */
  tenant(options?: { apiKey?: string; clientId?: string }): Tenant;
  [Symbol.asyncDispose](): Promise<void>;
}

/** What `new WorkOS(apiKey, workosOptions)` needs to reach the server. */
export interface WorkOSOptions {
  apiHostname: string;
  port: number;
  https: boolean;
}

/** A text the server "sent" to an SMS factor. */
export interface SmsMessage {
  phone_number: string;
  text: string;
  code: string;
  authentication_factor_id: string;
  authentication_challenge_id: string;
  sent_at: string;
}

/** A fault: matching requests get `status` and/or wait `delay_ms`; `*` matches any run of characters. */
export interface Fault {
  method?: string;
  path?: string;
  status?: number;
  delay_ms?: number;
  body?: unknown;
  headers?: Record<string, string>;
  times?: number;
}

/** One API key's world on the server, and its test controls (`/_mock/...`). */
export interface Tenant {
  readonly url: string;
  readonly apiKey: string;
  readonly clientId: string;
  readonly workosOptions: WorkOSOptions;
  /** One request with this tenant's key; rejects for any status that is not 2xx. */
  request(method: string, path: string, body?: unknown, query?: Record<string, string>): Promise<any>;
  smsMessages(filters?: { phone_number?: string; factor_id?: string; challenge_id?: string }): Promise<SmsMessage[]>;
  /** The code the server texted for an SMS challenge. */
  smsCode(challengeId: string): Promise<string>;
  clearSms(): Promise<void>;
  clock(): Promise<{ object: 'clock'; now: string; frozen: boolean }>;
  /** Stops the clock at `at` (RFC 3339), or where it is now. */
  freezeClock(at?: string): Promise<unknown>;
  /** Moves the clock (frozen or not); negative goes back. */
  advanceClock(seconds: number): Promise<unknown>;
  resumeClock(): Promise<unknown>;
  addFault(fault: Fault): Promise<Fault & { id: string }>;
  faults(): Promise<Array<Fault & { id: string }>>;
  removeFault(id: string): Promise<void>;
  clearFaults(): Promise<void>;
  /** The requests this tenant's key sent, newest first. */
  journal(): Promise<any[]>;
  clearJournal(): Promise<void>;
  reset(): Promise<void>;
  exportState(): Promise<any>;
  importState(state: unknown): Promise<any>;
}

/** Starts mfa-mock (this platform's binary) on a free port, or uses `options.url` / MFA_MOCK_URL. */
export function startMfaMock(options?: StartOptions): Promise<MfaMockServer>;

/** The path of this platform's mfa-mock binary. */
export function binaryPath(): string;
