import { fireEvent, render, screen, waitFor, within } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import { createQueryClient, Providers } from '../../providers';
import { currentLocation, mockApi, ok, renderApp, testUser } from '../../test/render';
import { countryFill, WorldMap } from './WorldMap';

const rows = [
  { value: 'DE', count: 300, visitors: 120 },
  { value: 'US', count: 200, visitors: 80 },
  { value: 'FR', count: 40, visitors: 30 },
  { value: 'IN', count: 9, visitors: 6 },
  { value: 'JP', count: 8, visitors: 5 },
  { value: 'SG', count: 3, visitors: 2 },
  { value: '', count: 500, visitors: 400 },
  { value: 'ZZ', count: 7, visitors: 7 },
];

function renderMap(onSelect = vi.fn()) {
  render(
    <Providers client={createQueryClient()}>
      <WorldMap rows={rows} onSelect={onSelect} />
    </Providers>,
  );
  return { onSelect, map: screen.getByTestId('world-map') };
}

function country(map: HTMLElement, code: string): SVGPathElement {
  const path = map.querySelector<SVGPathElement>(`path[data-code="${code}"]`);
  if (!path) throw new Error(`no path for ${code}`);
  return path;
}

/** How much of the primary colour a fill mixes in ("color-mix(in srgb, … 63%, …)" → 63). */
function strength(path: SVGPathElement): number {
  const match = /color-mix\(in srgb, var\(--mantine-primary-color-filled\) (\d+)%/.exec(path.style.fill);
  if (!match) throw new Error(`not a shaded fill: ${path.style.fill}`);
  return Number(match[1]);
}

describe('WorldMap', () => {
  it('shades countries by visitors: more visitors, more of the primary colour; none, the neutral fill', () => {
    const { map } = renderMap();
    expect(strength(country(map, 'DE'))).toBe(100);
    expect(strength(country(map, 'DE'))).toBeGreaterThan(strength(country(map, 'US')));
    expect(strength(country(map, 'US'))).toBeGreaterThan(strength(country(map, 'FR')));
    expect(strength(country(map, 'FR'))).toBeGreaterThan(strength(country(map, 'IN')));
    expect(country(map, 'BR').style.fill).toBe(countryFill(0, 120));
    expect(country(map, 'BR').style.fill).toBe('var(--mantine-color-gray-3)');
    expect(country(map, 'BR').getAttribute('data-visitors')).toBe('0');
  });

  it('draws no shape for the unknown country, nor counts it', () => {
    const { map } = renderMap();
    const paths = [...map.querySelectorAll('path')];
    expect(paths.length).toBeGreaterThan(150);
    expect(map.querySelector('path[data-code=""]')).toBeNull();
    expect(map.querySelector('path[data-code="ZZ"]')).toBeNull();
    // Singapore is too small for the 1:110m map: the table below still lists it.
    const shaded = paths.filter((p) => p.getAttribute('data-visitors') !== '0').map((p) => p.getAttribute('data-code'));
    expect(shaded.sort()).toEqual(['DE', 'FR', 'IN', 'JP', 'US']);
    expect(paths.every((p) => (p.getAttribute('d') ?? '').startsWith('M'))).toBe(true);
  });

  it('draws Kosovo, which Natural Earth gives no ISO number, under the code geo-IP uses (XK)', () => {
    render(
      <Providers client={createQueryClient()}>
        <WorldMap rows={[{ value: 'XK', visitors: 3 }]} />
      </Providers>,
    );
    const kosovo = country(screen.getByTestId('world-map'), 'XK');
    expect(kosovo.getAttribute('data-visitors')).toBe('3');
    expect(kosovo.querySelector('title')!.textContent).toBe('Kosovo: 3 visitors');
  });

  it('is one image labelled with the top countries; each country’s title names it with its visitors', () => {
    const { map } = renderMap();
    const image = screen.getByRole('img');
    expect(image.getAttribute('aria-label')).toBe(
      'Visitors by country: Germany 120, United States 80, France 30, India 6, Japan 5 and 1 more',
    );
    expect(country(map, 'DE').querySelector('title')!.textContent).toBe('Germany: 120 visitors');
    expect(country(map, 'BR').querySelector('title')!.textContent).toBe('Brazil: 0 visitors');
    // No tab stops on the map: the table is the keyboard way to filter.
    expect(map.querySelectorAll('[tabindex]')).toHaveLength(0);
  });

  it('hovering a country shows its name and visitors', () => {
    const { map } = renderMap();
    fireEvent.mouseMove(country(map, 'US'), { clientX: 100, clientY: 50 });
    expect(screen.getByTestId('world-map-hover').textContent).toBe('United States80 visitors');
    fireEvent.mouseLeave(map.querySelector('svg')!);
    expect(screen.queryByTestId('world-map-hover')).toBeNull();
  });

  it('clicking a country with visitors filters by its code; one without does nothing', () => {
    const { map, onSelect } = renderMap();
    fireEvent.click(country(map, 'DE'));
    expect(onSelect).toHaveBeenCalledExactlyOnceWith('DE');
    fireEvent.click(country(map, 'BR'));
    expect(onSelect).toHaveBeenCalledTimes(1);
    expect(country(map, 'BR').style.cursor).toBe('');
    expect(country(map, 'DE').style.cursor).toBe('pointer');
  });

  it('sits above the Countries table, and a click on it adds the country filter', async () => {
    mockApi((url) => {
      if (url.pathname === '/api/v1/users/me') return ok(testUser);
      if (url.pathname === '/api/v1/stats/breakdown' && url.searchParams.get('dimension') === 'country')
        return ok(rows);
      return undefined;
    });
    renderApp('/?period=30d');
    const panel = await screen.findByTestId('panel-country');
    const map = await within(panel).findByTestId('world-map', {}, { timeout: 5000 });
    const table = within(panel).getByTestId('breakdown-country');
    expect(map.compareDocumentPosition(table) & Node.DOCUMENT_POSITION_FOLLOWING).toBeTruthy();
    fireEvent.click(country(map, 'FR'));
    await waitFor(() => expect(currentLocation.path).toContain('filter=country%3AFR'));
  });
});
