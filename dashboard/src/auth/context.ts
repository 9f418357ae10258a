import { createContext, useContext } from 'react';
import type { SessionPayload, User } from '../api/types';
import type { AuthClient } from './authClient';
import type { Session } from './session';

export interface RegisterInput {
  name: string;
  email: string;
  password: string;
  confirmPassword?: string;
  timezone?: string;
}

export interface AuthContextValue {
  session: Session | null;
  client: AuthClient;
  login(email: string, password: string): Promise<SessionPayload>;
  register(input: RegisterInput): Promise<SessionPayload>;
  logout(): Promise<void>;
  /** Keep the stored user in step with the server after a profile change. */
  updateUser(user: User): void;
}

export const AuthContext = createContext<AuthContextValue | null>(null);

export function useAuth(): AuthContextValue {
  const value = useContext(AuthContext);
  if (!value) throw new Error('useAuth must be used inside <AuthProvider>');
  return value;
}

/** The authenticated API client. */
export function useApi(): AuthClient {
  return useAuth().client;
}

/** Where to go after signing in: only a same-site path, never another origin. */
export function safeNext(next: string | null | undefined): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return '/';
  if (next.startsWith('/login') || next.startsWith('/register')) return '/';
  return next;
}

export function loginPath(next: string): string {
  const target = safeNext(next);
  return target === '/' ? '/login' : `/login?next=${encodeURIComponent(target)}`;
}
