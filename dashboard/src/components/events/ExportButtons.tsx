import { Button, Group, Text } from '@mantine/core';
import { useState } from 'react';
import { responseError } from '../../api/client';
import { eventSearchParams, type EventSearch } from '../../api/hooks';
import { useApi } from '../../auth/context';
import { useCurrentSite } from '../../site/context';
import { filenameFrom, saveBlob } from '../../lib/download';
import { describeError } from '../QueryState';

type Format = 'csv' | 'ndjson';

/** Download every matching event of the current site (fetched with the Bearer token, saved as a Blob). */
export function ExportButtons({ search }: { search: EventSearch }) {
  const api = useApi();
  const { siteId } = useCurrentSite();
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<string | null>(null);

  const download = async (format: Format) => {
    setBusy(format);
    setError(null);
    try {
      const params = eventSearchParams(search, { site: siteId, format });
      const res = await api.fetchRaw(`/api/v1/events/export?${params}`);
      if (!res.ok) throw await responseError(res);
      const blob = await res.blob();
      const fallback = `events-${new Date().toISOString().slice(0, 10)}.${format}`;
      saveBlob(blob, filenameFrom(res.headers.get('Content-Disposition'), fallback));
    } catch (err) {
      setError(`Export failed: ${describeError(err)}`);
    } finally {
      setBusy(null);
    }
  };

  return (
    <Group gap="xs">
      <Button
        size="xs"
        variant="default"
        loading={busy === 'csv'}
        disabled={busy !== null}
        onClick={() => download('csv')}
        aria-label="Export CSV"
      >
        Export CSV
      </Button>
      <Button
        size="xs"
        variant="default"
        loading={busy === 'ndjson'}
        disabled={busy !== null}
        onClick={() => download('ndjson')}
        aria-label="Export NDJSON"
      >
        Export NDJSON
      </Button>
      {error && (
        <Text size="xs" c="red" role="alert" data-testid="export-error">
          {error}
        </Text>
      )}
    </Group>
  );
}
