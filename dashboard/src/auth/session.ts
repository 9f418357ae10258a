/**
 * The signed-in session, kept in localStorage so it survives reloads (never in the URL).
 * Other tabs see changes through the `storage` event: a refresh or logout in one tab is picked
 * up by the others.
 */
import type { User } from '../api/types';

export interface Session {
  accessToken: string;
  refreshToken: string;
  expiresOn: string;
  user: User;
}

export const SESSION_KEY = 'tracking.session';

type Listener = () => void;

function isSession(value: unknown): value is Session {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.accessToken === 'string' &&
    typeof v.refreshToken === 'string' &&
    typeof v.user === 'object' &&
    v.user !== null
  );
}

export class SessionStore {
  private session: Session | null;
  private readonly listeners = new Set<Listener>();

  constructor(
    private readonly storage: Storage | null = typeof window !== 'undefined' ? window.localStorage : null,
    private readonly key: string = SESSION_KEY,
  ) {
    this.session = this.read();
  }

  private read(): Session | null {
    try {
      const raw = this.storage?.getItem(this.key);
      const parsed: unknown = raw ? JSON.parse(raw) : null;
      return isSession(parsed) ? parsed : null;
    } catch {
      return null;
    }
  }

  get = (): Session | null => this.session;

  set(session: Session): void {
    this.session = session;
    try {
      this.storage?.setItem(this.key, JSON.stringify(session));
    } catch {
      // Storage full or disabled: the session still lives for this page.
    }
    this.emit();
  }

  setUser(user: User): void {
    if (this.session) this.set({ ...this.session, user });
  }

  clear(): void {
    if (this.session === null && !this.storage?.getItem(this.key)) return;
    this.session = null;
    try {
      this.storage?.removeItem(this.key);
    } catch {
      // ignore
    }
    this.emit();
  }

  /** Re-read storage (another tab may have refreshed or signed out). */
  reload(): Session | null {
    const next = this.read();
    if (next?.accessToken !== this.session?.accessToken || (next === null) !== (this.session === null)) {
      this.session = next;
      this.emit();
    }
    return this.session;
  }

  subscribe = (listener: Listener): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** Follow changes made by other tabs; returns the unsubscribe function. */
  syncAcrossTabs(target: Window = window): () => void {
    const onStorage = (event: StorageEvent) => {
      if (event.key === null || event.key === this.key) this.reload();
    };
    target.addEventListener('storage', onStorage);
    return () => target.removeEventListener('storage', onStorage);
  }

  private emit(): void {
    for (const listener of [...this.listeners]) listener();
  }
}
