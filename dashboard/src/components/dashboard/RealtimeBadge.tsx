import { Badge, Tooltip } from '@mantine/core';
import { useRealtime } from '../../api/hooks';
import type { Filter } from '../../lib/filters';
import { formatNumber } from '../../lib/format';
import { describeError } from '../QueryState';

/** "3 visitors now" (distinct users in the last 5 minutes), refreshed every 15 s. */
export function RealtimeBadge({ filters }: { filters: Filter[] }) {
  const realtime = useRealtime(filters);
  if (realtime.isPending) {
    return (
      <Badge variant="light" color="gray" size="lg" tt="none" data-testid="realtime">
        … visitors now
      </Badge>
    );
  }
  if (realtime.isError) {
    return (
      <Tooltip label={describeError(realtime.error)} multiline w={260}>
        <Badge variant="light" color="gray" size="lg" tt="none" data-testid="realtime">
          Realtime unavailable
        </Badge>
      </Tooltip>
    );
  }
  const n = realtime.data.visitors;
  return (
    <Badge
      variant="light"
      color={n > 0 ? 'green' : 'gray'}
      size="lg"
      tt="none"
      data-testid="realtime"
      leftSection={
        <span
          aria-hidden
          style={{ width: 8, height: 8, borderRadius: 4, background: 'currentColor', display: 'inline-block' }}
        />
      }
    >
      {formatNumber(n)} {n === 1 ? 'visitor' : 'visitors'} now
    </Badge>
  );
}
