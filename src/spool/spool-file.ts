import { promises as fsp } from 'node:fs';
import { join, resolve } from 'node:path';
import type { SpoolEvent } from './spool-events';

/** Owner read/write only: the spool holds callers' numbers. */
const MODE = 0o600;

export interface SpooledLine {
  /** Index of the line in the file when it was read (drop() counts lines, readable or not). */
  line: number;
  event: SpoolEvent;
}

/**
 * The durable buffer of a server instance: one append-only JSONL file on local disk. An append
 * returns only once its line is fsync'd, so a webhook answered after it cannot lose the call even
 * if the process dies the next moment. Lines are removed from the front once replayed, by writing
 * what remains to a new file and renaming it over the old one. Appends, reads and removals take
 * turns, so a line appended while older ones are being replayed is never lost.
 */
export class SpoolFile {
  /** One object per folder in a process, so that several server instances in one process (tests, the simulator) take turns on it. */
  private static readonly byFolder = new Map<string, SpoolFile>();

  static shared(dir: string): SpoolFile {
    const key = resolve(dir);
    let spool = SpoolFile.byFolder.get(key);
    if (!spool) SpoolFile.byFolder.set(key, (spool = new SpoolFile(dir)));
    return spool;
  }

  private turn: Promise<unknown> = Promise.resolve();
  private replay: Promise<unknown> = Promise.resolve();
  private readonly replayListeners: ((callSid: string) => void)[] = [];
  private lines = 0;
  private writing = 0;

  readonly path: string;
  private opened: Promise<void> | null = null;
  private tornBytes = 0;

  constructor(private readonly dir: string) {
    this.path = join(dir, 'events.jsonl');
  }

  /**
   * Creates the folder and repairs the file, once, before anything else touches it. A last line
   * without its newline was torn by a crash in the middle of a write, before its fsync returned,
   * so no webhook was answered on it: it is cut off. Returns the bytes removed, for the log.
   */
  open(): Promise<number> {
    this.opened ??= (async () => {
      await fsp.mkdir(this.dir, { recursive: true, mode: 0o700 });
      const text = await readOrEmpty(this.path);
      const kept = text.slice(0, text.lastIndexOf('\n') + 1);
      this.tornBytes = Buffer.byteLength(text) - Buffer.byteLength(kept);
      if (this.tornBytes > 0) await fsp.truncate(this.path, Buffer.byteLength(kept));
      this.lines = countLines(kept);
    })().catch((err) => {
      this.opened = null;
      throw err;
    });
    return this.opened.then(() => this.tornBytes);
  }

  /** Lines waiting to be replayed. */
  depth(): number {
    return this.lines + this.writing;
  }

  /** Appends one event and returns once it is on disk. */
  append(event: SpoolEvent): Promise<void> {
    const line = `${JSON.stringify(event)}\n`;
    // Counted at once, so nobody sees the spool empty while this line is on its way to disk.
    this.writing++;
    return this.inTurn(async () => {
      const created = !(await exists(this.path));
      const file = await fsp.open(this.path, 'a', MODE);
      try {
        await file.write(line);
        await file.sync();
      } finally {
        await file.close();
      }
      this.lines++;
      // A new file's name is only durable once its folder is synced too.
      if (created) await syncFolder(this.dir);
    }).finally(() => {
      this.writing--;
    });
  }

  /** Every complete line in order; a line that is not an event (hand-edited, corrupt) is skipped and reported. */
  read(): Promise<{ lines: SpooledLine[]; unreadable: number; total: number }> {
    return this.inTurn(async () => {
      const text = await readOrEmpty(this.path);
      const raw = text.slice(0, text.lastIndexOf('\n') + 1).split('\n').slice(0, -1);
      const lines: SpooledLine[] = [];
      let unreadable = 0;
      raw.forEach((l, i) => {
        const event = parseEvent(l);
        if (event) lines.push({ line: i, event });
        else unreadable++;
      });
      return { lines, unreadable, total: raw.length };
    });
  }

  /**
   * Removes the first `count` lines (those replayed), except the lines numbered in `keep` (held
   * back for a later pass: they stay in front, in their order); lines appended meanwhile stay.
   */
  drop(count: number, keep: ReadonlySet<number> = new Set()): Promise<void> {
    if (count <= 0) return Promise.resolve();
    return this.inTurn(async () => {
      const text = await readOrEmpty(this.path);
      let cut = 0;
      let kept = '';
      for (let i = 0; i < count; i++) {
        const next = text.indexOf('\n', cut);
        if (next < 0) break;
        if (keep.has(i)) kept += text.slice(cut, next + 1);
        cut = next + 1;
      }
      const rest = kept + text.slice(cut);
      const next = `${this.path}.next`;
      const file = await fsp.open(next, 'w', MODE);
      try {
        await file.write(rest);
        await file.sync();
      } finally {
        await file.close();
      }
      await fsp.rename(next, this.path);
      await syncFolder(this.dir);
      this.lines = countLines(rest);
    });
  }

  /** The file of events set aside (refused by the database for what they say), for a person to look at. */
  get rejectedPath(): string {
    return join(this.dir, 'rejected.jsonl');
  }

  /** Keeps a line that could not be replayed (refused for its content, not an outage) for a person to look at. */
  setAside(event: SpoolEvent, reason: string): Promise<void> {
    return this.inTurn(async () => {
      await fsp.appendFile(this.rejectedPath, `${JSON.stringify({ reason, event })}\n`, { mode: MODE });
    });
  }

  /** Runs one replay pass at a time (appends go on meanwhile): two passes would each remove the lines they read. */
  replayAlone<T>(pass: () => Promise<T>): Promise<T> {
    const run = this.replay.then(pass, pass);
    this.replay = run.catch(() => undefined);
    return run;
  }

  /** Told of each event written to the database (or set aside), by the key of its call. */
  onReplayed(listener: (callSid: string) => void): void {
    this.replayListeners.push(listener);
  }

  replayed(callSid: string): void {
    for (const l of this.replayListeners) l(callSid);
  }

  private inTurn<T>(work: () => Promise<T>): Promise<T> {
    const opened = () => this.open().then(work);
    const run = this.turn.then(opened, opened);
    this.turn = run.catch(() => undefined);
    return run;
  }
}

function parseEvent(line: string): SpoolEvent | null {
  try {
    const value = JSON.parse(line) as { type?: unknown; callSid?: unknown };
    return value && typeof value.type === 'string' && typeof value.callSid === 'string' ? (value as SpoolEvent) : null;
  } catch {
    return null;
  }
}

const countLines = (text: string) => text.split('\n').length - 1;

async function readOrEmpty(path: string): Promise<string> {
  try {
    return await fsp.readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw err;
  }
}

async function exists(path: string): Promise<boolean> {
  return fsp.access(path).then(
    () => true,
    () => false,
  );
}

async function syncFolder(dir: string): Promise<void> {
  const folder = await fsp.open(dir, 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}
