// The reference Gatehouse Authenticator device: what a phone app does, as a library the CLI
// (`gatehouse authenticator enroll|approve`, server/cli.ts) and the tests share, so both speak the
// real protocol (accounts/push-protocol.ts) over HTTP. It never touches the server's database.
// Its key pair is generated here and only the public half ever leaves the key file.
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { createPrivateKey, generateKeyPairSync, randomBytes, sign, type JsonWebKey } from 'node:crypto';
import {
  parseEnrolmentInput,
  PUSH_API_PREFIX,
  PUSH_HEADERS,
  signingInput,
  type DeviceApprovalView,
  type PushDecision,
} from '../accounts/push-protocol.ts';

export const DEFAULT_KEY_FILE = path.join(os.homedir(), '.gatehouse-authenticator.json');

/** What the device keeps (the key file, mode 0600). */
export type DeviceKeys = {
  version: 1;
  server: string;
  deviceId: string;
  name: string;
  publicKeyJwk: JsonWebKey;
  privateKeyJwk: JsonWebKey;
  enrolledAt: string;
};

/** The server said no: its status and `{ error, error_description }`. */
export class DeviceRequestError extends Error {
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export type DeviceOptions = {
  fetch?: typeof fetch;
  /** Milliseconds since the epoch, for the signed timestamp (tests skew it). */
  clock?: () => number;
};

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/** fetch, with "server unreachable" as a DeviceRequestError rather than a bare TypeError. */
async function send(doFetch: typeof fetch, url: string, init: RequestInit): Promise<Response> {
  try {
    return await doFetch(url, init);
  } catch (err) {
    throw new DeviceRequestError(0, 'unreachable', `Could not reach ${new URL(url).origin}: ${(err as Error).cause ?? (err as Error).message}`);
  }
}

async function readJson(response: Response) {
  const text = await response.text();
  let body: Record<string, unknown> = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    // not JSON: reported below by status
  }
  if (!response.ok) {
    throw new DeviceRequestError(
      response.status,
      String(body.error ?? body.code ?? `http_${response.status}`),
      String(body.error_description ?? body.message ?? `the server answered ${response.status}`),
    );
  }
  return body;
}

/** Registers a new device with a one-time enrolment code (or the QR code's URI, which names the server). */
export async function enrolDevice(input: { code: string; server?: string; name?: string }, options: DeviceOptions = {}): Promise<DeviceKeys> {
  const parsed = parseEnrolmentInput(input.code);
  const server = trimSlash(input.server ?? parsed.server ?? '');
  if (!server) throw new DeviceRequestError(0, 'no_server', 'Name the server (--server URL) or pass the URI from the QR code.');
  if (!URL.canParse(server) || !/^https?:$/.test(new URL(server).protocol)) throw new DeviceRequestError(0, 'no_server', `${server} is not an http(s) URL.`);
  const { publicKey, privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const publicKeyJwk = publicKey.export({ format: 'jwk' });
  const privateKeyJwk = privateKey.export({ format: 'jwk' });
  const name = input.name ?? `Gatehouse Authenticator on ${os.hostname()}`.slice(0, 60);
  const response = await send(options.fetch ?? fetch, `${server}${PUSH_API_PREFIX}/enrol`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify({ code: parsed.code, name, publicKey: publicKeyJwk }),
  });
  const body = await readJson(response);
  return {
    version: 1,
    server: trimSlash(typeof body.server === 'string' ? body.server : server),
    deviceId: String(body.deviceId),
    name: typeof body.name === 'string' ? body.name : name,
    publicKeyJwk,
    privateKeyJwk,
    enrolledAt: new Date((options.clock ?? Date.now)()).toISOString(),
  };
}

/** The four headers of a signed request (see accounts/push-protocol.ts). */
export function signRequest(
  keys: Pick<DeviceKeys, 'deviceId' | 'privateKeyJwk'>,
  request: { method: string; pathAndQuery: string; body?: string },
  options: { now?: number; nonce?: string } = {},
): Record<string, string> {
  const timestamp = String(Math.floor((options.now ?? Date.now()) / 1000));
  const nonce = options.nonce ?? randomBytes(18).toString('base64url');
  const input = signingInput({ method: request.method, pathAndQuery: request.pathAndQuery, timestamp, nonce, body: request.body ?? '' });
  const key = createPrivateKey({ key: keys.privateKeyJwk, format: 'jwk' });
  const signature = sign('sha256', Buffer.from(input), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  return {
    [PUSH_HEADERS.device]: keys.deviceId,
    [PUSH_HEADERS.timestamp]: timestamp,
    [PUSH_HEADERS.nonce]: nonce,
    [PUSH_HEADERS.signature]: signature,
  };
}

export type AuthenticatorDevice = ReturnType<typeof createDevice>;

/** A device that has enrolled: lists the sign-ins waiting for it and answers them, every request signed. */
export function createDevice(keys: DeviceKeys, options: DeviceOptions = {}) {
  const doFetch = options.fetch ?? fetch;
  const now = () => (options.clock ?? Date.now)();
  const basePath = new URL(keys.server).pathname.replace(/\/+$/, '');

  async function call(method: 'GET' | 'POST', apiPath: string, json?: unknown, signOptions: { nonce?: string } = {}) {
    const pathAndQuery = `${basePath}${PUSH_API_PREFIX}${apiPath}`;
    const body = json === undefined ? undefined : JSON.stringify(json);
    const headers: Record<string, string> = {
      accept: 'application/json',
      ...signRequest(keys, { method, pathAndQuery, body }, { now: now(), ...signOptions }),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    };
    return readJson(await send(doFetch, new URL(pathAndQuery, keys.server).href, { method, headers, body }));
  }

  return {
    keys,
    /** Pending sign-in requests for this device; with `wait`, the server holds the request up to that many seconds (≤ 25) until one arrives. */
    async listApprovals(query: { wait?: number } = {}): Promise<DeviceApprovalView[]> {
      const body = await call('GET', `/approvals${query.wait ? `?wait=${Math.floor(query.wait)}` : ''}`);
      return (body.approvals as DeviceApprovalView[]) ?? [];
    },
    /** Approve with the number the person picked (a wrong one counts as a denial), or deny. */
    async decide(approvalId: string, decision: PushDecision, number?: number): Promise<{ status: 'approved' | 'denied'; reason?: string }> {
      const body = await call('POST', `/approvals/${encodeURIComponent(approvalId)}`, { decision, ...(number === undefined ? {} : { number }) });
      return body as { status: 'approved' | 'denied'; reason?: string };
    },
    /** A raw signed request (tests use it to replay a nonce). */
    call,
  };
}

// ---------- the key file ----------

const keyFileTaken = (file: string) =>
  new DeviceRequestError(0, 'key_file_exists', `${file} already holds a device; remove it first or choose another --key-file.`);

/** Checked before enrolling, so a code is not spent on a device that can't be saved. */
export async function assertKeyFileFree(file: string): Promise<void> {
  const exists = await fs.stat(file).then(() => true, () => false);
  if (exists) throw keyFileTaken(file);
}

/** Writes a new key file, readable by its owner only; never overwrites one. */
export async function saveKeys(file: string, keys: DeviceKeys): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  let handle;
  try {
    handle = await fs.open(file, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') throw keyFileTaken(file);
    throw err;
  }
  try {
    await handle.chmod(0o600);
    await handle.writeFile(`${JSON.stringify(keys, null, 2)}\n`);
  } finally {
    await handle.close();
  }
}

export async function loadKeys(file: string): Promise<DeviceKeys> {
  let stat;
  try {
    stat = await fs.stat(file);
  } catch {
    throw new DeviceRequestError(0, 'no_key_file', `${file} not found: enrol this device first (gatehouse authenticator enroll <code>).`);
  }
  if (process.platform !== 'win32' && (stat.mode & 0o077) !== 0) {
    throw new DeviceRequestError(0, 'key_file_mode', `${file} is readable by others; run chmod 600 ${file}.`);
  }
  const keys = JSON.parse(await fs.readFile(file, 'utf8')) as DeviceKeys;
  if (keys.version !== 1 || !keys.server || !keys.deviceId || !keys.privateKeyJwk?.d) {
    throw new DeviceRequestError(0, 'bad_key_file', `${file} is not a Gatehouse Authenticator key file.`);
  }
  return keys;
}

// ---------- `gatehouse authenticator approve` ----------

export type ApproveOptions = {
  deny?: boolean;
  /** The number shown on the sign-in page. */
  number?: number;
  /** Answer this request (when several are waiting). */
  id?: string;
  /** Seconds to wait for a request to arrive. */
  wait?: number;
  /** Asks the person for the number when none was given (a terminal); absent → an error. */
  askNumber?: (approvals: DeviceApprovalView[]) => Promise<string>;
  /** Where the waiting requests are described for the person. */
  print?: (line: string) => void;
};

export type ApproveResult = { id: string; app: string; ip: string | null; time: string; status: 'approved' | 'denied'; reason?: string };

export function describeApproval(a: DeviceApprovalView): string {
  return `Sign-in to ${a.clientName} from ${a.ip ?? 'an unknown address'} at ${a.time} (expires ${a.expiresAt}) — numbers: ${a.choices.join('  ')}  [id ${a.id}]`;
}

/** Fetches waiting requests (up to `wait` seconds), shows them, and answers by number matching. */
export async function approvePending(device: AuthenticatorDevice, options: ApproveOptions, clock: () => number = Date.now): Promise<ApproveResult[]> {
  const deadline = clock() + Math.max(0, options.wait ?? 0) * 1000;
  let approvals = await device.listApprovals();
  while (approvals.length === 0 && clock() < deadline) {
    approvals = await device.listApprovals({ wait: Math.min(25, Math.ceil((deadline - clock()) / 1000)) });
  }
  if (approvals.length === 0) throw new DeviceRequestError(0, 'nothing_pending', 'No sign-in request is waiting for this device.');
  for (const a of approvals) options.print?.(describeApproval(a));

  const answer = async (a: DeviceApprovalView, decision: PushDecision, number?: number): Promise<ApproveResult> => {
    const result = await device.decide(a.id, decision, number);
    return { id: a.id, app: a.clientName, ip: a.ip, time: a.time, status: result.status, ...(result.reason ? { reason: result.reason } : {}) };
  };

  if (options.id) {
    approvals = approvals.filter((a) => a.id === options.id);
    if (approvals.length === 0) throw new DeviceRequestError(0, 'not_found', `No waiting request has id ${options.id}.`);
  }
  if (options.deny) {
    // Deny the chosen request, or every waiting one: a sign-in you did not start is refused whole.
    const targets = options.number === undefined ? approvals : approvals.filter((a) => a.choices.includes(options.number!));
    if (targets.length === 0) throw new DeviceRequestError(0, 'no_match', `No waiting request offers the number ${options.number}.`);
    const results = [];
    for (const a of targets) results.push(await answer(a, 'deny'));
    return results;
  }

  let number = options.number;
  if (number === undefined) {
    if (!options.askNumber) throw new DeviceRequestError(0, 'number_required', 'Pass --number NN: the number shown on the sign-in page.');
    number = Number((await options.askNumber(approvals)).trim());
  }
  if (!Number.isInteger(number)) throw new DeviceRequestError(0, 'number_required', 'The number must be the two digits shown on the sign-in page.');
  const offering = approvals.filter((a) => a.choices.includes(number));
  // One request waiting: send what the person picked; the server treats a wrong number as a denial.
  const target = offering.length === 1 ? offering[0] : approvals.length === 1 ? approvals[0] : undefined;
  if (!target) {
    throw new DeviceRequestError(
      0,
      offering.length ? 'ambiguous' : 'no_match',
      offering.length ? 'Several waiting requests offer that number; choose one with --id.' : `No waiting request offers the number ${number}.`,
    );
  }
  return [await answer(target, 'approve', number)];
}
