// Store-and-forward inside the running kiosk: the outbox's SyncClient (offline-cache/sync)
// in the background, the same client `queue flush` drives by hand. Enrols once when the
// store is not yet enrolled with this server, then drains after every confirmed
// verification and on a timer, backing off while the link is down. Nothing here can
// block or lose a verification: recording is a local commit, and this only reads the outbox.
import { IdkError, isIdkError } from '../../core/errors.js';
import { type LocalStore, getMeta, setMeta } from '../../offline-cache/store.js';
import { SyncClient, type SyncClientOptions, enrolDevice } from '../../offline-cache/sync/client.js';
import { sendAudit } from '../../offline-cache/sync/audit-client.js';

export interface KioskSyncOptions {
  store: LocalStore;
  /** The ingest server; undefined = the one the store is already enrolled with. */
  url?: string;
  /** The operator enrolment token, needed only while this store is not enrolled with `url`. */
  token?: string;
  /** The site name sent at enrolment. */
  site?: string;
  /** How often an idle kiosk checks the link and sends what is left (default 30 s). */
  pollMs?: number;
  backoff?: SyncClientOptions['backoff'];
  log?: (line: string) => void;
}

export interface KioskSync {
  readonly url: string;
  /** A verification was just recorded: send it now unless the client is backing off. */
  notify(): void;
  stop(): Promise<void>;
}

/** The server URL in effect: the one given, else the one the store enrolled with; undefined = no sync. */
export function syncUrlFor(store: LocalStore, given: string | undefined): string | undefined {
  const url = given ?? getMeta(store, 'server_url');
  if (url === undefined || url === '') return undefined;
  // Refuse a typo at start-up rather than failing quietly in the background.
  if (!URL.canParse(url) || !['http:', 'https:'].includes(new URL(url).protocol)) {
    throw new IdkError('BAD_SYNC_URL', {
      vi: `Địa chỉ máy chủ đồng bộ không hợp lệ: ${url} (cần http:// hoặc https://).`,
      en: `Invalid sync server address: ${url} (needs http:// or https://).`,
    });
  }
  return url;
}

function enrolledWith(store: LocalStore, url: string): boolean {
  return getMeta(store, 'server_url') === url && getMeta(store, 'server_box_key') !== undefined;
}

/**
 * Starts the background sync, or returns undefined when no server is known. A store not
 * enrolled with `url` enrols first (retried with the client's backoff while the server is
 * unreachable); without a token it stays unenrolled, which the status screen shows as a
 * link that is down and the log says why.
 */
export function startKioskSync(o: KioskSyncOptions): KioskSync | undefined {
  const url = syncUrlFor(o.store, o.url);
  if (url === undefined) return undefined;
  const log = o.log ?? ((l: string) => process.stderr.write(`idkiosk: ${l}\n`));
  const client = new SyncClient({ store: o.store, backoff: o.backoff, log });
  const pollMs = o.pollMs ?? 30_000;
  let stopped = false;
  let wake: (() => void) | undefined;
  const pause = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(t);
        resolve();
      };
    });

  const enrol = async (): Promise<void> => {
    let lastSaid = '';
    let attempt = 0;
    while (!stopped && !enrolledWith(o.store, url)) {
      try {
        if (!o.token) {
          throw new Error(`not enrolled with ${url}: give the operator enrolment token (--sync-token or IDKIOSK_SYNC_TOKEN)`);
        }
        await enrolDevice(o.store, url, o.token, o.site ?? 'unknown');
        log(`sync: enrolled with ${url}`);
        return;
      } catch (e) {
        const msg = (e as Error).message;
        try {
          setMeta(o.store, 'last_sync_error', msg.slice(0, 500));
          setMeta(o.store, 'last_sync_error_at', Date.now());
        } catch {
          // A full or busy store must not end the retries.
        }
        if (msg !== lastSaid) log(`sync: ${msg}`);
        lastSaid = msg;
        // A refusal (wrong token) will not heal by itself quickly: retry at the poll rate, not faster.
        const refused = isIdkError(e) && e.code.startsWith('ENROL_');
        const ceiling = Math.min(o.backoff?.capMs ?? 60_000, (o.backoff?.baseMs ?? 500) * 2 ** Math.min(attempt++, 30));
        await pause(refused || !o.token ? pollMs : Math.round(Math.random() * ceiling));
      }
    }
  };

  // The local service's audit lines follow the events to the same server, at the same pace.
  let auditTimer: NodeJS.Timeout | undefined;
  let auditSaid = '';
  let auditing: Promise<unknown> = Promise.resolve();
  const sendAuditLines = (): void => {
    auditing = sendAudit(o.store).then(
      () => (auditSaid = ''),
      (e: unknown) => {
        const msg = (e as Error).message;
        if (msg !== auditSaid) log(`sync: audit lines: ${msg}`);
        auditSaid = msg;
      },
    );
  };
  const running = enrol().then(() => {
    if (stopped) return;
    client.start(pollMs, { heartbeat: true });
    sendAuditLines();
    auditTimer = setInterval(sendAuditLines, pollMs);
  });

  return {
    url,
    notify: () => client.notify(),
    async stop() {
      stopped = true;
      wake?.();
      await running;
      clearInterval(auditTimer);
      await auditing;
      await client.stop();
    },
  };
}
