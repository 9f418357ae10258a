import { useQueryClient } from '@tanstack/react-query';
import { useCallback, useEffect, useState } from 'react';
import { ApiError, isTimeout } from '../api/client';
import { healthKey } from '../api/hooks';

/** Statuses that mean the server (or the gateway's way to it) did not answer. */
export function isUnreachable(error: unknown): boolean {
  return error instanceof ApiError && (error.status === 0 || error.status === 502 || error.status === 504);
}

/**
 * Whether the server answers, judging by a failed query (null: this failure does not say). A report
 * that timed out may just be slow, and says so itself; the health check, which is quick, timing
 * out means the server does not answer.
 */
export function reachableAfter(error: unknown, queryKey: readonly unknown[]): boolean | null {
  if (isTimeout(error) && queryKey[0] !== healthKey[0]) return null;
  return !isUnreachable(error);
}

/** While the server is unreachable, how often to ask the health check whether it is back. */
export const RECHECK_MS = 5_000;

export interface Connectivity {
  /** The browser says it has a network (navigator.onLine, and its online/offline events). */
  online: boolean;
  /** The last request that finished reached the server (false after a network failure). */
  reachable: boolean;
  /** Ask again now: the health check and every report that failed. */
  retry: () => void;
}

/**
 * Whether the browser is online and the server answers, from the browser's events and from the
 * outcome of every query (the stats, the health check, which the caller keeps mounted with
 * useHealth). While the server is unreachable the health check is asked every RECHECK_MS; once
 * something answers, the reports that failed are asked again.
 */
export function useConnectivity(): Connectivity {
  const client = useQueryClient();
  const [online, setOnline] = useState(() => (typeof navigator === 'undefined' ? true : navigator.onLine !== false));
  const [reachable, setReachable] = useState(true);

  useEffect(() => {
    const up = () => setOnline(true);
    const down = () => setOnline(false);
    window.addEventListener('online', up);
    window.addEventListener('offline', down);
    return () => {
      window.removeEventListener('online', up);
      window.removeEventListener('offline', down);
    };
  }, []);

  useEffect(
    () =>
      client.getQueryCache().subscribe((event) => {
        if (event.type !== 'updated') return;
        const action = event.action;
        if (action.type === 'success') setReachable(true);
        else if (action.type === 'error') {
          const reachable = reachableAfter(action.error, event.query.queryKey);
          if (reachable !== null) setReachable(reachable);
        }
      }),
    [client],
  );

  const retry = useCallback(() => {
    void client.refetchQueries({ queryKey: healthKey });
    void client.refetchQueries({ type: 'active', predicate: (q) => q.state.status === 'error' });
  }, [client]);

  // Unreachable: check the health route until it answers, then reload what failed.
  useEffect(() => {
    if (reachable || !online) return;
    const timer = setInterval(() => void client.refetchQueries({ queryKey: healthKey }), RECHECK_MS);
    return () => clearInterval(timer);
  }, [client, online, reachable]);

  const [wasDown, setWasDown] = useState(false);
  useEffect(() => {
    if (!reachable) setWasDown(true);
    else if (wasDown) {
      setWasDown(false);
      void client.refetchQueries({ type: 'active', predicate: (q) => q.state.status === 'error' });
    }
  }, [client, reachable, wasDown]);

  return { online, reachable, retry };
}
