/** The hooks of a site's visitor erasures (GET and POST /api/v1/erasures). */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useApi } from '../auth/context';
import { withSiteParam } from '../site/context';
import type { Erasure, NewErasure } from './types';

export const erasuresKey = (site: string) => ['erasures', site] as const;

/** While a request is not done, the list is asked again this often (ms). */
export const ERASURE_POLL_MS = 3000;

/** The erasure requests of `site`, newest first; polled while any is still under way. */
export function useErasures(site: string) {
  const api = useApi();
  return useQuery({
    queryKey: erasuresKey(site),
    queryFn: ({ signal }) => api.request<Erasure[]>(withSiteParam('/api/v1/erasures', site), { signal }),
    refetchInterval: (query) => (query.state.data?.some((e) => e.status !== 'done') ? ERASURE_POLL_MS : false),
  });
}

/** Ask for one visitor's events to be erased. */
export function useCreateErasure(site: string) {
  const api = useApi();
  const queryClient = useQueryClient();
  return useMutation({
    mutationFn: (body: NewErasure) =>
      api.request<Erasure>(withSiteParam('/api/v1/erasures', site), { method: 'POST', json: body }),
    onSuccess: () => {
      void queryClient.invalidateQueries({ queryKey: erasuresKey(site) });
      void queryClient.invalidateQueries({ queryKey: ['stats'] });
    },
  });
}
