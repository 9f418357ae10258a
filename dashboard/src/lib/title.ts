import { useEffect } from 'react';

export const APP_NAME = 'Tracking System';

/** Sets document.title to "Page · Tracking System". */
export function useDocumentTitle(page: string): void {
  useEffect(() => {
    document.title = page ? `${page} · ${APP_NAME}` : APP_NAME;
  }, [page]);
}
