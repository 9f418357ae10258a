import { Box, Text, useComputedColorScheme } from '@mantine/core';
import { geoNaturalEarth1, geoPath } from 'd3-geo';
import { type MouseEvent, useMemo, useRef, useState } from 'react';
import { feature } from 'topojson-client';
import type { GeometryCollection, Topology } from 'topojson-specification';
import world from 'world-atlas/countries-110m.json';
import { countryCode, countryName } from '../../lib/countries';
import { alpha2FromNumeric } from '../../lib/countryNumeric';
import { formatInteger } from '../../lib/format';

/**
 * The countries of the breakdown on a world map (Natural Earth 1:110m, bundled: nothing is
 * fetched), each shaded by its visitors. The table below it stays the accessible alternative: the
 * map is one image to screen readers (its label names the top countries) and adds no tab stops.
 */

/** The SVG's coordinate space; the map scales to the card's width. */
export const MAP_WIDTH = 800;
export const MAP_HEIGHT = 400;

/** How many countries the image's label names before "and N more". */
const LABEL_TOP = 5;

/** Natural Earth draws a few places without an ISO number; these are the ones geo-IP names. */
const UNNUMBERED: Readonly<Record<string, string>> = { Kosovo: 'XK' };

/** ISO 3166-1 numeric code of Antarctica: left out (no visitors, and it takes a fifth of the height). */
const ANTARCTICA = '010';

interface Shape {
  key: string;
  /** Alpha-2 code, or null for a place no country code names. */
  code: string | null;
  d: string;
}

let shapes: Shape[] | null = null;

/** The countries as SVG paths, projected once (the geometry never changes). */
function countryShapes(): Shape[] {
  if (shapes) return shapes;
  const topology = world as unknown as Topology<{ countries: GeometryCollection<{ name: string }> }>;
  const features = feature(topology, topology.objects.countries).features.filter((f) => f.id !== ANTARCTICA);
  const projection = geoNaturalEarth1().fitSize([MAP_WIDTH, MAP_HEIGHT], { type: 'FeatureCollection', features });
  const path = geoPath(projection).digits(1);
  shapes = features.map((f, i) => ({
    key: `${f.id ?? f.properties.name}-${i}`,
    code: alpha2FromNumeric(f.id) ?? UNNUMBERED[f.properties.name] ?? null,
    d: path(f) ?? '',
  }));
  return shapes;
}

export interface MapRow {
  /** ISO alpha-2 code; "" (or a code naming no country) when the country is not known. */
  value: string | null;
  visitors: number;
}

/** Visitors by alpha-2 code; rows without a known country are left out. */
export function visitorsByCountry(rows: readonly MapRow[]): Map<string, number> {
  const byCode = new Map<string, number>();
  for (const row of rows) {
    const code = countryCode(row.value);
    if (code && row.visitors > 0) byCode.set(code, (byCode.get(code) ?? 0) + row.visitors);
  }
  return byCode;
}

/** Where `visitors` sits on the scale, 0 to 1: square root, so a few big countries do not wash out the rest. */
export function intensity(visitors: number, max: number): number {
  if (visitors <= 0 || max <= 0) return 0;
  return Math.min(1, Math.sqrt(visitors / max));
}

type Scheme = 'light' | 'dark';

/**
 * The fills, from Mantine's CSS variables so they follow the theme. Light: from the primary
 * colour's light shade to the filled primary on a white card. Dark: from a deep, muted primary to a
 * bright one on the dark card (more visitors read as brighter there). Countries without visitors
 * are a neutral grey in both.
 */
const PALETTE: Record<Scheme, { none: string; low: string; high: string; border: string }> = {
  light: {
    none: 'var(--mantine-color-gray-3)',
    low: 'var(--mantine-primary-color-1)',
    high: 'var(--mantine-primary-color-filled)',
    border: 'var(--mantine-color-body)',
  },
  dark: {
    none: 'var(--mantine-color-dark-4)',
    low: 'color-mix(in srgb, var(--mantine-primary-color-filled) 35%, var(--mantine-color-dark-6))',
    high: 'var(--mantine-primary-color-4)',
    border: 'var(--mantine-color-body)',
  },
};

/** The fill of a country with `visitors` (0: the neutral fill) when the busiest one has `max`. */
export function countryFill(visitors: number, max: number, scheme: Scheme = 'light'): string {
  const palette = PALETTE[scheme];
  if (visitors <= 0) return palette.none;
  const percent = Math.round(intensity(visitors, max) * 100);
  return `color-mix(in srgb, ${palette.high} ${percent}%, ${palette.low})`;
}

function visitorsText(visitors: number): string {
  return `${formatInteger(visitors)} ${visitors === 1 ? 'visitor' : 'visitors'}`;
}

/** "Visitors by country: Germany 120, United States 80, … and 3 more". */
export function mapLabel(byCode: Map<string, number>): string {
  if (byCode.size === 0) return 'Visitors by country: no visitor’s country is known';
  const ranked = [...byCode].sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]));
  const named = ranked.slice(0, LABEL_TOP).map(([code, visitors]) => `${countryName(code)} ${formatInteger(visitors)}`);
  const rest = ranked.length - LABEL_TOP;
  return `Visitors by country: ${named.join(', ')}${rest > 0 ? ` and ${rest} more` : ''}`;
}

interface Hover {
  code: string;
  x: number;
  y: number;
  /** The label goes to the pointer's left in the right half, so it stays inside the card. */
  flip: boolean;
}

export interface WorldMapProps {
  rows: readonly MapRow[];
  /** Called with a country's alpha-2 code when it (one with visitors) is clicked. */
  onSelect?: (code: string) => void;
}

export function WorldMap({ rows, onSelect }: WorldMapProps) {
  const scheme = useComputedColorScheme('light', { getInitialValueInEffect: false });
  const byCode = useMemo(() => visitorsByCountry(rows), [rows]);
  const max = useMemo(() => Math.max(0, ...byCode.values()), [byCode]);
  const label = useMemo(() => mapLabel(byCode), [byCode]);
  const box = useRef<HTMLDivElement>(null);
  const [hover, setHover] = useState<Hover | null>(null);

  const codeAt = (event: MouseEvent): string | null => {
    const target = event.target instanceof Element ? event.target.closest('path[data-code]') : null;
    return target?.getAttribute('data-code') ?? null;
  };

  const onMove = (event: MouseEvent) => {
    const code = codeAt(event);
    const rect = box.current?.getBoundingClientRect();
    if (!code || !rect) {
      setHover(null);
      return;
    }
    const x = event.clientX - rect.left;
    setHover({ code, x, y: event.clientY - rect.top, flip: x > rect.width / 2 });
  };

  const onClick = (event: MouseEvent) => {
    const code = codeAt(event);
    if (code && onSelect && (byCode.get(code) ?? 0) > 0) onSelect(code);
  };

  const palette = PALETTE[scheme];
  return (
    <Box ref={box} pos="relative" mb="sm" data-testid="world-map">
      {/* Pointer only: the table below filters by keyboard, so the map adds no tab stops. */}
      {/* biome-ignore lint/a11y/useKeyWithClickEvents: the table under the map is the keyboard alternative */}
      <svg
        role="img"
        aria-label={label}
        viewBox={`0 0 ${MAP_WIDTH} ${MAP_HEIGHT}`}
        style={{ display: 'block', width: '100%', height: 'auto' }}
        onMouseMove={onMove}
        onMouseLeave={() => setHover(null)}
        onClick={onClick}
      >
        {countryShapes().map((shape) => {
          const visitors = shape.code ? (byCode.get(shape.code) ?? 0) : 0;
          const clickable = visitors > 0 && Boolean(onSelect);
          const name = shape.code ? countryName(shape.code) : null;
          const hovered = hover !== null && shape.code === hover.code;
          return (
            <path
              key={shape.key}
              d={shape.d}
              data-code={shape.code ?? undefined}
              data-visitors={visitors}
              style={{
                fill: countryFill(visitors, max, scheme),
                stroke: hovered ? 'var(--mantine-color-text)' : palette.border,
                strokeWidth: hovered ? 1 : 0.5,
                cursor: clickable ? 'pointer' : undefined,
              }}
            >
              {name && <title>{`${name}: ${visitorsText(visitors)}`}</title>}
            </path>
          );
        })}
      </svg>
      {hover && (
        <Box
          data-testid="world-map-hover"
          aria-hidden="true"
          px="xs"
          py={4}
          style={{
            position: 'absolute',
            left: hover.x,
            top: hover.y,
            transform: `translate(${hover.flip ? 'calc(-100% - 12px)' : '12px'}, -50%)`,
            pointerEvents: 'none',
            whiteSpace: 'nowrap',
            background: 'var(--mantine-color-body)',
            border: '1px solid var(--mantine-color-default-border)',
            borderRadius: 'var(--mantine-radius-sm)',
            boxShadow: 'var(--mantine-shadow-sm)',
          }}
        >
          <Text size="sm" fw={600}>
            {countryName(hover.code)}
          </Text>
          <Text size="xs" c="dimmed">
            {visitorsText(byCode.get(hover.code) ?? 0)}
          </Text>
        </Box>
      )}
    </Box>
  );
}

export default WorldMap;
