import { Button, Group, Pill, Text } from '@mantine/core';
import { filterIcon, filterLabel, filterTitle, formatFilter, type Filter } from '../../lib/filters';
import { keepFocus } from '../../lib/focus';

interface Props {
  filters: Filter[];
  onRemove: (filter: Filter) => void;
  onClear: () => void;
  /** Where focus goes when the last chip is removed (its chip is gone). */
  focusWhenEmpty: () => HTMLElement | null;
}

/** The remove button of the chip of `filter`, if it is on the page. */
export function chipButton(filter: Filter): HTMLElement | null {
  const id = formatFilter(filter);
  return (
    [...document.querySelectorAll<HTMLElement>('[data-filter-chip]')].find((el) => el.dataset.filterChip === id) ?? null
  );
}

function chipButtons(): HTMLElement[] {
  return [...document.querySelectorAll<HTMLElement>('[data-filter-chip]')];
}

export function FilterChips({ filters, onRemove, onClear, focusWhenEmpty }: Props) {
  if (filters.length === 0) return null;

  // Focus moves to the chip that takes the removed one's place, else the last one, else the
  // heading. Chosen once the chip is gone (so a second removal in quick succession counts too).
  const remove = (filter: Filter, index: number) => {
    chipButton(filter)?.focus(); // a mouse click does not focus it
    keepFocus(() => {
      const chips = chipButtons();
      return chips.length > 0 ? chips[Math.min(index, chips.length - 1)]! : focusWhenEmpty();
    });
    onRemove(filter);
  };

  return (
    <Group gap="xs" data-testid="filter-chips" role="group" aria-label="Active filters">
      <Text size="sm" c="dimmed">
        Filtered by
      </Text>
      {filters.map((f, i) => (
        <Pill
          key={formatFilter(f)}
          size="md"
          withRemoveButton
          onRemove={() => remove(f, i)}
          removeButtonProps={{
            'aria-label': `Remove filter ${filterLabel(f)}`,
            'aria-hidden': false,
            tabIndex: 0,
            // @ts-expect-error data attributes pass through to the button
            'data-filter-chip': formatFilter(f),
          }}
          title={filterTitle(f)}
          maw={360}
        >
          {filterIcon(f) && <span aria-hidden="true">{`${filterIcon(f)} `}</span>}
          {filterLabel(f)}
        </Pill>
      ))}
      {filters.length > 1 && (
        <Button
          size="compact-xs"
          variant="subtle"
          onClick={() => {
            onClear();
            focusWhenEmpty()?.focus();
            keepFocus(focusWhenEmpty);
          }}
        >
          Clear all
        </Button>
      )}
    </Group>
  );
}
