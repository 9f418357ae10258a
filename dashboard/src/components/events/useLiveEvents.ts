import { useEffect, useState } from 'react';
import type { StoredEvent } from '../../api/types';
import { useApi } from '../../auth/context';
import { followStream, type StreamStatus } from '../../lib/sse';

export const LIVE_CAP = 50;

export interface LiveEvent {
  key: string;
  event: StoredEvent;
}

/** The account's live SSE feed (fetch + Bearer), newest first, at most `cap` events kept. */
export function useLiveEvents(cap = LIVE_CAP) {
  const api = useApi();
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [status, setStatus] = useState<StreamStatus>({ state: 'connecting' });

  useEffect(() => {
    const controller = new AbortController();
    let seq = 0;
    void followStream({
      signal: controller.signal,
      open: (signal) => api.fetchRaw('/api/v1/events/live', { signal, headers: { Accept: 'text/event-stream' } }),
      onStatus: setStatus,
      onMessage: (message) => {
        let event: StoredEvent;
        try {
          const parsed: unknown = JSON.parse(message.data);
          if (typeof parsed !== 'object' || parsed === null) return;
          event = parsed as StoredEvent;
        } catch {
          return;
        }
        const key = `${message.id ?? event.eventId ?? event.id ?? ''}#${seq++}`;
        setEvents((prev) => [{ key, event }, ...prev].slice(0, cap));
      },
    }).catch(() => undefined);
    return () => controller.abort();
  }, [api, cap]);

  return { events, status, clear: () => setEvents([]) };
}
