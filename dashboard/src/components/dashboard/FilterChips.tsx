import { Button, Group, Pill, Text } from '@mantine/core';
import { filterLabel, formatFilter, type Filter } from '../../lib/filters';

interface Props {
  filters: Filter[];
  onRemove: (filter: Filter) => void;
  onClear: () => void;
}

export function FilterChips({ filters, onRemove, onClear }: Props) {
  if (filters.length === 0) return null;
  return (
    <Group gap="xs" data-testid="filter-chips" aria-label="Active filters">
      <Text size="sm" c="dimmed">
        Filtered by
      </Text>
      {filters.map((f) => (
        <Pill
          key={formatFilter(f)}
          size="md"
          withRemoveButton
          onRemove={() => onRemove(f)}
          removeButtonProps={{ 'aria-label': `Remove filter ${filterLabel(f)}`, 'aria-hidden': false, tabIndex: 0 }}
          title={filterLabel(f)}
          maw={360}
        >
          {filterLabel(f)}
        </Pill>
      ))}
      {filters.length > 1 && (
        <Button size="compact-xs" variant="subtle" onClick={onClear}>
          Clear all
        </Button>
      )}
    </Group>
  );
}
