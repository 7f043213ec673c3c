import type { GemeenteMonitor, MonitorMonth } from './monitor.js';

/**
 * The monitor as one self-contained HTML page: inline SVG charts drawn on the server, the numbers in a
 * table under them (the charts' text alternative, and what a screen reader or a copy into a spreadsheet
 * uses), no script, no external asset, so it works offline, prints, and passes for an attachment to a
 * report. In Dutch, the back office's language; the figures are defined in src/monitor/monitor.ts.
 */

const escape = (text: string): string => text.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

const MONTH_NAMES = ['jan', 'feb', 'mrt', 'apr', 'mei', 'jun', 'jul', 'aug', 'sep', 'okt', 'nov', 'dec'];
const monthLabel = (month: string): string => `${MONTH_NAMES[Number(month.slice(5, 7)) - 1]!} ${month.slice(2, 4)}`;

interface Series {
  readonly name: string;
  readonly colour: string;
  readonly values: readonly (number | null)[];
}

interface Chart {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly months: readonly string[];
  readonly series: readonly Series[];
  readonly kind: 'bar' | 'line';
  /** The top of the scale; by default the largest value (at least 1). */
  readonly max?: number;
  readonly unit?: string;
}

/** SVG coordinates to a tenth of a pixel: shorter markup, and the same bytes for the same figures. */
const px = (n: number): string => String(Math.round(n * 10) / 10);

const WIDTH = 720;
const HEIGHT = 240;
const LEFT = 44;
const RIGHT = 12;
const TOP = 14;
const BOTTOM = 40;

function niceMax(values: readonly number[]): number {
  const largest = Math.max(1, ...values);
  const magnitude = 10 ** Math.floor(Math.log10(largest));
  for (const step of [1, 2, 2.5, 5, 10]) if (step * magnitude >= largest) return step * magnitude;
  return 10 * magnitude;
}

function renderChart(chart: Chart): string {
  const plotWidth = WIDTH - LEFT - RIGHT;
  const plotHeight = HEIGHT - TOP - BOTTOM;
  const all = chart.series.flatMap((s) => s.values.filter((v): v is number => v !== null));
  const max = chart.max ?? niceMax(all);
  const y = (value: number) => TOP + plotHeight - (value / max) * plotHeight;
  const slot = plotWidth / Math.max(1, chart.months.length);
  const parts: string[] = [];
  for (const fraction of [0, 0.5, 1]) {
    const value = max * fraction;
    parts.push(`<line x1="${LEFT}" x2="${WIDTH - RIGHT}" y1="${px(y(value))}" y2="${px(y(value))}" stroke="#c8c8c8" stroke-width="1"/>`);
    parts.push(`<text x="${LEFT - 6}" y="${px(y(value) + 4)}" text-anchor="end" font-size="11" fill="#333">${Number.isInteger(value) ? value : px(value)}${chart.unit ?? ''}</text>`);
  }
  chart.months.forEach((month, n) => {
    parts.push(`<text x="${px(LEFT + slot * n + slot / 2)}" y="${HEIGHT - BOTTOM + 16}" text-anchor="middle" font-size="11" fill="#333">${escape(monthLabel(month))}</text>`);
  });
  if (chart.kind === 'bar') {
    const barWidth = Math.max(2, (slot * 0.7) / chart.series.length);
    chart.series.forEach((series, s) => {
      series.values.forEach((value, n) => {
        if (value === null) return;
        const x = LEFT + slot * n + slot * 0.15 + barWidth * s;
        parts.push(
          `<rect class="bar" data-series="${escape(series.name)}" data-month="${chart.months[n]!}" data-value="${value}" x="${px(x)}" y="${px(y(value))}" width="${px(barWidth)}" height="${px(TOP + plotHeight - y(value))}" fill="${series.colour}"><title>${escape(`${series.name} ${monthLabel(chart.months[n]!)}: ${value}${chart.unit ?? ''}`)}</title></rect>`,
        );
      });
    });
  } else {
    for (const series of chart.series) {
      const points = series.values.map((value, n) => (value === null ? null : { x: LEFT + slot * n + slot / 2, y: y(value), value, month: chart.months[n]! }));
      // A month without a value breaks the line: nothing was measured, which is not zero.
      let path = '';
      let pen = false;
      for (const p of points) {
        if (p === null) pen = false;
        else {
          path += `${pen ? 'L' : 'M'}${px(p.x)} ${px(p.y)} `;
          pen = true;
        }
      }
      if (path) parts.push(`<path d="${path.trim()}" fill="none" stroke="${series.colour}" stroke-width="2"/>`);
      for (const p of points) {
        if (p === null) continue;
        parts.push(`<circle class="point" data-series="${escape(series.name)}" data-month="${p.month}" data-value="${p.value}" cx="${px(p.x)}" cy="${px(p.y)}" r="4" fill="${series.colour}"><title>${escape(`${series.name} ${monthLabel(p.month)}: ${p.value}${chart.unit ?? ''}`)}</title></circle>`);
      }
    }
  }
  const legend = chart.series.length > 1 ? `<p class="legend">${chart.series.map((s) => `<span><span class="swatch" style="background:${s.colour}"></span>${escape(s.name)}</span>`).join(' ')}</p>` : '';
  return `<figure id="${chart.id}">
<figcaption>${escape(chart.title)}</figcaption>
<svg role="img" aria-labelledby="${chart.id}-title ${chart.id}-desc" viewBox="0 0 ${WIDTH} ${HEIGHT}" width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">
<title id="${chart.id}-title">${escape(chart.title)}</title>
<desc id="${chart.id}-desc">${escape(chart.description)}</desc>
${parts.join('\n')}
</svg>
${legend}</figure>`;
}

interface Column {
  readonly field: string;
  readonly heading: string;
  readonly value: (m: MonitorMonth) => string | number | null;
}

const COLUMNS: readonly Column[] = [
  { field: 'clientMonths', heading: 'Cliëntmaanden', value: (m) => m.clientMonths },
  { field: 'newClients', heading: 'Nieuw', value: (m) => m.newClients },
  { field: 'endedClients', heading: 'Beëindigd', value: (m) => m.endedClients },
  { field: 'maatwerk.fullOptOut', heading: 'Maatwerk: volledig', value: (m) => m.maatwerk.fullOptOut },
  { field: 'maatwerk.partial', heading: 'Maatwerk: gedeeltelijk', value: (m) => m.maatwerk.partial },
  { field: 'maatwerk.handOverPlan', heading: 'Maatwerk: afbouwplan', value: (m) => m.maatwerk.handOverPlan },
  { field: 'maatwerk.revoked', heading: 'Maatwerk: ingetrokken', value: (m) => m.maatwerk.revoked },
  { field: 'noodvoorzieningen.count', heading: 'Noodvoorzieningen', value: (m) => m.noodvoorzieningen.count },
  { field: 'noodvoorzieningen.amount', heading: 'Noodvoorzieningen (€)', value: (m) => m.noodvoorzieningen.amount },
  { field: 'noodvoorzieningen.recovered', heading: 'Terugbetaald (€)', value: (m) => m.noodvoorzieningen.recovered },
  { field: 'rent.due', heading: 'Huur te betalen', value: (m) => m.rent.due },
  { field: 'rent.onTime', heading: 'Huur op tijd', value: (m) => m.rent.onTime },
  { field: 'rent.onTimePercent', heading: 'Huur op tijd (%)', value: (m) => m.rent.onTimePercent },
  { field: 'returns.count', heading: 'Teruggekomen betalingen', value: (m) => m.returns.count },
  { field: 'returns.amount', heading: 'Teruggekomen (€)', value: (m) => m.returns.amount },
  { field: 'arrears.clients', heading: 'Cliënten met achterstand', value: (m) => m.arrears.clients },
  { field: 'suspense.assigned', heading: 'Suspense toegewezen', value: (m) => m.suspense.assigned },
  { field: 'suspense.averageWaitDays', heading: 'Wachttijd gem. (dagen)', value: (m) => m.suspense.averageWaitDays },
  { field: 'suspense.maxWaitDays', heading: 'Wachttijd max. (dagen)', value: (m) => m.suspense.maxWaitDays },
  { field: 'suspense.openAtMonthEnd', heading: 'Suspense open (hele dienst)', value: (m) => m.suspense.openAtMonthEnd },
  { field: 'suspense.openAverageAgeDays', heading: 'Open: leeftijd gem. (dagen)', value: (m) => m.suspense.openAverageAgeDays },
  { field: 'suspense.openMaxAgeDays', heading: 'Open: leeftijd max. (dagen)', value: (m) => m.suspense.openMaxAgeDays },
];

function renderTable(monitor: GemeenteMonitor): string {
  const head = `<tr><th scope="col">Maand</th>${COLUMNS.map((c) => `<th scope="col">${escape(c.heading)}</th>`).join('')}</tr>`;
  const rows = monitor.months.map((m) => `<tr data-month="${m.month}"><th scope="row">${escape(monthLabel(m.month))}</th>${COLUMNS.map((c) => {
    const value = c.value(m);
    return `<td data-field="${c.field}">${value === null ? '–' : escape(String(value))}</td>`;
  }).join('')}</tr>`);
  // Focusable and named: a keyboard user must be able to scroll the wide table sideways (WCAG 2.1.1).
  return `<div class="table" tabindex="0" role="region" aria-label="De cijfers per maand"><table>
<caption>De cijfers per maand (leeg streepje: niets te meten)</caption>
<thead>${head}</thead>
<tbody>
${rows.join('\n')}
</tbody>
</table></div>`;
}

export function renderMonitorPage(monitor: GemeenteMonitor): string {
  const months = monitor.months.map((m) => m.month);
  const values = <T>(pick: (m: MonitorMonth) => T) => monitor.months.map(pick);
  const charts: Chart[] = [
    { id: 'chart-client-months', kind: 'bar', months, title: 'Cliëntmaanden (Q van P×Q)', description: 'Per maand het aantal cliënten met ontzorgen op ten minste één dag van die maand.', series: [{ name: 'Cliëntmaanden', colour: '#1f5fa8', values: values((m) => m.clientMonths) }] },
    {
      id: 'chart-new-ended',
      kind: 'bar',
      months,
      title: 'Nieuwe en beëindigde cliënten',
      description: 'Per maand het aantal cliënten van wie het ontzorgen begon en van wie het eindigde.',
      series: [
        { name: 'Nieuw', colour: '#2a7a3b', values: values((m) => m.newClients) },
        { name: 'Beëindigd', colour: '#a8431f', values: values((m) => m.endedClients) },
      ],
    },
    { id: 'chart-rent-on-time', kind: 'line', months, max: 100, unit: '%', title: 'Huur op tijd betaald (%)', description: 'Per maand het deel van de te betalen huur dat vóór de vervaldag aankwam; geen punt als er geen huur te betalen was.', series: [{ name: 'Huur op tijd', colour: '#1f5fa8', values: values((m) => (m.rent.onTimePercent === null ? null : Number(m.rent.onTimePercent))) }] },
    { id: 'chart-returns', kind: 'bar', months, title: 'Teruggekomen betalingen', description: 'Per maand het aantal betalingen dat de bank teruggaf.', series: [{ name: 'Teruggekomen', colour: '#a8431f', values: values((m) => m.returns.count) }] },
    { id: 'chart-noodvoorzieningen', kind: 'bar', months, title: 'Noodvoorzieningen', description: 'Per maand het aantal toegekende noodvoorzieningen: voorschotten en giften.', series: [
      { name: 'Voorschotten', colour: '#6a3d9a', values: values((m) => m.noodvoorzieningen.advances) },
      { name: 'Giften', colour: '#b15928', values: values((m) => m.noodvoorzieningen.gifts) },
    ] },
  ];
  const title = `Monitor ontzorgen — ${monitor.gemeente.name} (${monitor.gemeente.id}), ${monitor.from} t/m ${monitor.to}`;
  return `<!doctype html>
<html lang="nl">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escape(title)}</title>
<style>
body { font-family: system-ui, sans-serif; margin: 1.5rem; color: #1a1a1a; max-width: 64rem; }
h1 { font-size: 1.4rem; }
figure { margin: 1.5rem 0; }
figcaption { font-weight: 600; margin-bottom: .3rem; }
.legend span { margin-right: 1rem; }
.swatch { display: inline-block; width: .8rem; height: .8rem; margin-right: .3rem; vertical-align: middle; }
.table { overflow-x: auto; }
table { border-collapse: collapse; font-size: .85rem; }
th, td { border: 1px solid #bbb; padding: .25rem .4rem; text-align: right; white-space: nowrap; }
th[scope="col"] { background: #eef2f7; }
th[scope="row"] { text-align: left; }
caption { text-align: left; font-weight: 600; margin-bottom: .3rem; }
@media print { figure { break-inside: avoid; } }
</style>
</head>
<body>
<main>
<h1>${escape(title)}</h1>
<p>Stand op ${escape(monitor.asOf)}. Een cliëntmaand is een cliënt met ontzorgen op ten minste één dag van de maand. Suspense zonder gemeente telt voor de hele dienst.</p>
${charts.map(renderChart).join('\n')}
<h2>Cijfers</h2>
${renderTable(monitor)}
</main>
</body>
</html>
`;
}
