import { useQuery } from '@tanstack/react-query';
import { apiFetch } from './client';

export type ComponentState = {
  status: 'up' | 'down';
  [detail: string]: unknown;
};

export type HealthComponentName = 'redis' | 'users' | 'tracking' | 'worker';

export interface Health {
  status: 'ok' | 'degraded';
  components: Partial<Record<HealthComponentName, ComponentState>> & Record<string, ComponentState>;
}

export const healthKey = ['health'] as const;

/** Public: works without a session. */
export function useHealth() {
  return useQuery({
    queryKey: healthKey,
    queryFn: ({ signal }) => apiFetch<Health>('/api/v1/health', { signal }),
    refetchInterval: 60_000,
  });
}
