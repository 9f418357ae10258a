import { createContext, useContext } from 'react';
import type { Site } from '../api/types';

/**
 * The current site: `?site=<id>` in the URL, or the account's first site when it is absent or
 * not one of the account's sites. Every stats and events call is scoped to it.
 */
export interface SiteScope {
  /** Sent as `site=`; null when the API lists no sites (then the API answers for the first site). */
  siteId: string | null;
  site: Site | null;
  /** The account's sites, oldest first. */
  sites: Site[];
  /** False while the list of sites loads: site-scoped queries wait for it. */
  ready: boolean;
  status: 'pending' | 'error' | 'success';
  error: unknown;
  refetch(): void;
  /** Make `id` the current site, on the current page. */
  selectSite(id: string): void;
  /** `path` carrying the current site, once one was chosen in the URL. */
  link(path: string): string;
}

/** Outside a <SiteProvider>: no site parameter, which the API answers for the first site. */
const FIRST_SITE: SiteScope = {
  siteId: null,
  site: null,
  sites: [],
  ready: true,
  status: 'success',
  error: null,
  refetch: () => undefined,
  selectSite: () => undefined,
  link: (path) => path,
};

export const SiteContext = createContext<SiteScope | null>(null);

export function useCurrentSite(): SiteScope {
  return useContext(SiteContext) ?? FIRST_SITE;
}

/** `path` with `site=<id>` added to its query (unchanged for a null id). */
export function withSiteParam(path: string, siteId: string | null): string {
  if (!siteId) return path;
  const [base, query = ''] = path.split('?', 2) as [string, string?];
  const params = new URLSearchParams(query);
  params.set('site', siteId);
  return `${base}?${params}`;
}

/** "Shop (shop.example.com)", or just the name while the site has no domain. */
export function siteLabel(site: Pick<Site, 'name' | 'domain'>): string {
  return site.domain ? `${site.name} (${site.domain})` : site.name;
}
