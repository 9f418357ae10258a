import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useMemo, useRef, useState, useSyncExternalStore, type ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { apiFetch } from '../api/client';
import type { SessionPayload, User } from '../api/types';
import { AuthClient } from './authClient';
import { AuthContext, loginPath, type AuthContextValue, type RegisterInput } from './context';
import { SessionStore } from './session';

export function AuthProvider({ children, store: given }: { children: ReactNode; store?: SessionStore }) {
  const [store] = useState(() => given ?? new SessionStore());
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const location = useLocation();
  const here = useRef('/');
  here.current = location.pathname + location.search;

  const onExpired = useRef<() => void>(() => undefined);
  onExpired.current = () => {
    queryClient.clear();
    navigate(loginPath(here.current), { replace: true });
  };

  const [client] = useState(() => new AuthClient({ store, onExpired: () => onExpired.current() }));
  const session = useSyncExternalStore(store.subscribe, store.get, store.get);

  useEffect(() => store.syncAcrossTabs(), [store]);

  const start = useCallback(
    (payload: SessionPayload) => {
      queryClient.clear();
      store.set(payload);
      return payload;
    },
    [queryClient, store],
  );

  const login = useCallback(
    async (email: string, password: string) =>
      start(await apiFetch<SessionPayload>('/api/v1/auth/login', { method: 'POST', json: { email, password } })),
    [start],
  );

  const register = useCallback(
    async (input: RegisterInput) =>
      start(await apiFetch<SessionPayload>('/api/v1/auth/register', { method: 'POST', json: input })),
    [start],
  );

  const logout = useCallback(async () => {
    await client.logout();
    queryClient.clear();
  }, [client, queryClient]);

  const updateUser = useCallback((user: User) => store.setUser(user), [store]);

  const value = useMemo<AuthContextValue>(
    () => ({ session, client, login, register, logout, updateUser }),
    [session, client, login, register, logout, updateUser],
  );
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}
