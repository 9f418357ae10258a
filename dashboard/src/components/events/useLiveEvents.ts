import { useEffect, useState } from 'react';
import { livePath } from '../../api/hooks';
import type { StoredEvent } from '../../api/types';
import { useApi } from '../../auth/context';
import { useCurrentSite } from '../../site/context';
import { followStream, type StreamStatus } from '../../lib/sse';

export const LIVE_CAP = 50;

export interface LiveEvent {
  key: string;
  event: StoredEvent;
}

/** The current site's live SSE feed (fetch + Bearer), newest first, at most `cap` events kept. */
export function useLiveEvents(cap = LIVE_CAP) {
  const api = useApi();
  const { siteId, ready } = useCurrentSite();
  const [events, setEvents] = useState<LiveEvent[]>([]);
  const [status, setStatus] = useState<StreamStatus>({ state: 'connecting' });

  useEffect(() => {
    setEvents([]); // another site's events do not belong here
    setStatus({ state: 'connecting' });
    if (!ready) return;
    const controller = new AbortController();
    let seq = 0;
    void followStream({
      signal: controller.signal,
      open: (signal) => api.fetchRaw(livePath(siteId), { signal, headers: { Accept: 'text/event-stream' } }),
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
  }, [api, cap, siteId, ready]);

  return { events, status, clear: () => setEvents([]) };
}
