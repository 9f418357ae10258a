import { useCallback, useEffect, useMemo, type ReactNode } from 'react';
import { useSearchParams } from 'react-router-dom';
import { useSites } from '../api/hooks';
import type { Site } from '../api/types';
import { SiteContext, withSiteParam, type SiteScope } from './context';

const NO_SITES: Site[] = [];

/**
 * Resolves the current site from `?site=<id>` against the account's sites. An id that is not one
 * of them falls back to the first site, and the URL is corrected (replaced, not pushed). When the
 * API has no sites (a 404 from an older server) the site stays whatever the URL says, or none.
 */
export function SiteProvider({ children }: { children: ReactNode }) {
  const [params, setParams] = useSearchParams();
  const sites = useSites();
  const requested = params.get('site');
  const list = sites.data ?? NO_SITES;
  const match = list.find((s) => s.id === requested) ?? null;
  const site = sites.isSuccess ? (match ?? list[0] ?? null) : null;
  const siteId = sites.isSuccess ? (site?.id ?? null) : requested;
  const wrongId = sites.isSuccess && requested !== null && match === null;

  useEffect(() => {
    if (!wrongId) return;
    setParams(
      (p) => {
        const next = new URLSearchParams(p);
        if (site) next.set('site', site.id);
        else next.delete('site');
        return next;
      },
      { replace: true },
    );
  }, [wrongId, site, setParams]);

  const selectSite = useCallback(
    (id: string) =>
      setParams((p) => {
        const next = new URLSearchParams(p);
        next.set('site', id);
        next.delete('filter'); // a filter on one site's pages or events rarely means anything on another
        return next;
      }),
    [setParams],
  );

  const chosen = requested !== null ? siteId : null;
  const link = useCallback((path: string) => withSiteParam(path, chosen), [chosen]);
  const { refetch } = sites;

  const value = useMemo<SiteScope>(
    () => ({
      siteId,
      site,
      sites: list,
      ready: !sites.isPending,
      status: sites.status,
      error: sites.error,
      refetch: () => void refetch(),
      selectSite,
      link,
    }),
    [siteId, site, list, sites.isPending, sites.status, sites.error, refetch, selectSite, link],
  );
  return <SiteContext.Provider value={value}>{children}</SiteContext.Provider>;
}
