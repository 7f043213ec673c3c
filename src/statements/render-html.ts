import type { Messages } from './language.js';
import type { StatementMonthView, StatementView } from './view.js';
import { formatDate, formatMoney, formatShortDate } from './words.js';

/**
 * The printable statement: one HTML page, no script, styles inline. On screen it reads on a phone;
 * printed, each calendar month is one A4 (the "now" part shares the last month's page). Every
 * amount is a `<data value="123.45">` next to its formatted text, so a machine (and the browser
 * test) reads the exact decimal. Right-to-left languages get `dir="rtl"`; the CSS uses logical
 * properties only (start/end, inline/block), so nothing is mirrored by hand.
 */

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => ESCAPES[c]!);

/** More lines than this in a month print smaller, to keep the month on one A4. */
const DENSE_LINES = 34;

const CSS = `
:root { --ink: #1a1a1a; --muted: #4d4d4d; --rule: #bdbdbd; --accent: #0b4a80; --out: #9b1018; }
* { box-sizing: border-box; }
html { font-size: 16px; }
body { margin: 0; color: var(--ink); background: #fff; font-family: system-ui, "Segoe UI", Roboto, "Noto Sans", "Noto Sans Arabic", "Noto Sans Ethiopic", Arial, sans-serif; line-height: 1.45; }
main { max-width: 54rem; margin-inline: auto; padding: 1rem; }
h1 { font-size: 1.5rem; margin-block: 0 0.5rem; color: var(--accent); }
h2 { font-size: 1.25rem; margin-block: 1.5rem 0.5rem; padding-block-end: 0.15rem; border-block-end: 2px solid var(--accent); }
h3 { font-size: 1.05rem; margin-block: 1rem 0.25rem; }
p { margin-block: 0.25rem 0.5rem; }
dl { display: grid; grid-template-columns: repeat(auto-fit, minmax(10rem, 1fr)); gap: 0.25rem 1rem; margin-block: 0 0.75rem; margin-inline: 0; }
dl > div { display: flex; flex-direction: column; }
dt { color: var(--muted); font-size: 0.85rem; }
dd { margin: 0; font-weight: 600; }
table { width: 100%; border-collapse: collapse; margin-block-end: 0.5rem; }
caption { caption-side: top; text-align: start; color: var(--muted); font-size: 0.85rem; padding-block-end: 0.25rem; }
th, td { padding-block: 0.3rem; padding-inline: 0.35rem; border-block-end: 1px solid var(--rule); text-align: start; vertical-align: top; }
th { color: var(--muted); font-size: 0.85rem; font-weight: 600; }
td { overflow-wrap: anywhere; }
.num { text-align: end; white-space: nowrap; overflow-wrap: normal; font-variant-numeric: tabular-nums; }
.date { white-space: nowrap; }
data { unicode-bidi: isolate; }
.out { color: var(--out); }
.explain { font-size: 0.9rem; }
.print-only { display: none; }
footer { margin-block-start: 1.5rem; color: var(--muted); font-size: 0.85rem; }
@media (max-width: 36rem) {
  html { font-size: 15px; }
  main { padding: 0.5rem; }
  th, td { padding-inline: 0.2rem; }
}
@media print {
  @page { size: A4; margin: 12mm; }
  html { font-size: 8.5pt; }
  body { line-height: 1.25; }
  main { max-width: none; padding: 0; }
  h1 { font-size: 1.45rem; }
  h2 { margin-block: 0.4rem 0.3rem; }
  h3 { margin-block: 0.5rem 0.15rem; }
  th, td { padding-block: 0.12rem; }
  .month { break-after: page; }
  .month.last { break-after: auto; }
  .month.dense { font-size: 0.88rem; }
  .print-only { display: block; color: var(--muted); }
  tr, dl { break-inside: avoid; }
  .now-grid { display: grid; grid-template-columns: 1fr 1fr; gap: 0 6mm; align-items: start; }
  footer { margin-block-start: 0.5rem; }
}
`;

function amount(value: string, m: Messages, className: string): string {
  const classes = [className, value.startsWith('-') ? 'out' : ''].filter(Boolean).join(' ');
  return `<data value="${escapeHtml(value)}"${classes ? ` class="${classes}"` : ''}>${escapeHtml(formatMoney(value, m))}</data>`;
}

function day(date: string, m: Messages, withYear = true): string {
  return `<time datetime="${date}">${escapeHtml(formatShortDate(date, m, withYear))}</time>`;
}

function totals(entries: readonly [string, string, string][], m: Messages): string {
  return `<dl>${entries.map(([label, value, role]) => `<div><dt>${escapeHtml(label)}</dt><dd>${amount(value, m, role)}</dd></div>`).join('')}</dl>`;
}

function monthSection(month: StatementMonthView, index: number, view: StatementView, m: Messages): string {
  const l = m.labels;
  const last = index === view.months.length - 1;
  const classes = ['month', last ? 'last' : '', month.lines.length > DENSE_LINES ? 'dense' : ''].filter(Boolean).join(' ');
  const id = `month-${month.month}`;
  const who = index === 0 ? '' : `<p class="print-only">${escapeHtml(l.title)} · ${escapeHtml(view.client.name ?? view.client.reference)} · ${escapeHtml(view.client.reference)}</p>`;
  const lines =
    month.lines.length === 0
      ? `<p>${escapeHtml(l.noLines)}</p>`
      : `<table class="lines">
<caption>${escapeHtml(l.linesCaption(month.label))}</caption>
<thead><tr><th scope="col">${escapeHtml(l.date)}</th><th scope="col">${escapeHtml(l.description)}</th><th scope="col" class="num">${escapeHtml(l.amount)}</th><th scope="col" class="num">${escapeHtml(l.balance)}</th></tr></thead>
<tbody>
${month.lines
  .map((line) => `<tr data-transaction="${escapeHtml(line.transactionId)}" data-kind="${escapeHtml(line.kind)}"><td class="date">${day(line.date, m, false)}</td><td>${escapeHtml(line.description)}</td><td class="num">${amount(line.amount, m, 'amount')}</td><td class="num">${amount(line.balance, m, 'balance')}</td></tr>`)
  .join('\n')}
</tbody>
</table>`;
  return `<section class="${classes}" aria-labelledby="${id}" data-month="${month.month}">
${who}<h2 id="${id}">${escapeHtml(month.label)}</h2>
${totals([[l.openingBalance, month.openingBalance, 'opening'], [l.moneyIn, month.moneyIn, 'money-in'], [l.moneyOut, month.moneyOut, 'money-out'], [l.closingBalance, month.closingBalance, 'closing']], m)}
${lines}
</section>`;
}

function nowSection(view: StatementView, m: Messages): string {
  const l = m.labels;
  const reserved =
    view.reserved.items.length === 0
      ? `<p>${escapeHtml(l.noReserved)}</p>`
      : `<table class="reserved">
<thead><tr><th scope="col">${escapeHtml(l.reservedFor)}</th><th scope="col">${escapeHtml(l.since)}</th><th scope="col" class="num">${escapeHtml(l.amount)}</th></tr></thead>
<tbody>
${view.reserved.items.map((item) => `<tr><td>${escapeHtml(item.description)}</td><td class="date">${day(item.since, m)}</td><td class="num">${amount(item.amount, m, 'reserved')}</td></tr>`).join('\n')}
</tbody>
</table>`;
  const next =
    view.nextPayments.length === 0
      ? `<p>${escapeHtml(l.noNextPayments)}</p>`
      : `<table class="next">
<thead><tr><th scope="col">${escapeHtml(l.date)}</th><th scope="col">${escapeHtml(l.payment)}</th><th scope="col">${escapeHtml(l.status)}</th><th scope="col" class="num">${escapeHtml(l.amount)}</th></tr></thead>
<tbody>
${view.nextPayments
  .map((p) => `<tr><td class="date">${p.date ? day(p.date, m) : escapeHtml(l.notKnownYet)}</td><td>${escapeHtml(p.description)}</td><td>${escapeHtml(p.statusText)}</td><td class="num">${amount(p.amount, m, 'next')}</td></tr>`)
  .join('\n')}
</tbody>
</table>`;
  const advance = view.advance
    ? `<section class="advance" aria-labelledby="advance">
<h3 id="advance">${escapeHtml(l.advanceHeading)}</h3>
<p class="explain">${escapeHtml(view.advance.explanation)}</p>
${(view.advance.terms ?? []).map((text) => `<p class="explain advance-terms">${escapeHtml(text)}</p>`).join('\n')}
${totals([[l.advanceLent, view.advance.lent, 'advance-lent'], [l.advanceRepaid, view.advance.repaid, 'advance-repaid'], [l.advanceRecovered, view.advance.recoveredInPeriod, 'advance-recovered'], [l.advanceOpen, view.advance.open, 'advance-open'], ...(view.advance.instalment && !view.advance.handedOverOn && view.advance.open !== '0.00' ? [[l.advanceInstalment, view.advance.instalment, 'advance-instalment'] as [string, string, string]] : [])], m)}
</section>`
    : '';
  const maatwerk = view.maatwerk
    ? `<section class="maatwerk" aria-labelledby="maatwerk">
<h3 id="maatwerk">${escapeHtml(view.maatwerk.heading)}</h3>
<p class="explain">${escapeHtml(view.maatwerk.summary)}</p>
<ul class="maatwerk-plan">
${view.maatwerk.plan.map((p) => `<li>${escapeHtml(p.text)}</li>`).join('\n')}
</ul>
${view.maatwerk.review ? `<p class="explain">${escapeHtml(view.maatwerk.review)}</p>` : ''}
</section>`
    : '';
  return `<section class="now" aria-labelledby="now">
<h2 id="now">${escapeHtml(l.nowHeading(formatDate(view.asOf, m)))}</h2>
${totals([[l.heldNow, view.heldNow, 'held-now'], [l.reservedNow, view.reserved.total, 'reserved-total'], [l.freeNow, view.freeNow, 'free-now']], m)}
<div class="now-grid">
<section aria-labelledby="reserved"><h3 id="reserved">${escapeHtml(l.reservedHeading)}</h3><p class="explain">${escapeHtml(l.reservedIntro)}</p>
${reserved}
</section>
<section aria-labelledby="next"><h3 id="next">${escapeHtml(l.nextHeading)}</h3><p class="explain">${escapeHtml(l.nextIntro)}</p>
${next}
</section>
</div>
${advance}
${maatwerk}
</section>`;
}

export function renderStatementHtml(view: StatementView, m: Messages, generatedOn: string): string {
  const l = m.labels;
  const who = view.client.name ?? view.client.reference;
  const period = `${formatDate(view.period.from, m)} – ${formatDate(view.period.to, m)}`;
  return `<!doctype html>
<html lang="${escapeHtml(m.language.code)}" dir="${m.language.dir}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(`${l.title} · ${who} · ${period}`)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header>
<h1>${escapeHtml(l.title)}</h1>
<dl class="who">
<div><dt>${escapeHtml(l.client)}</dt><dd>${escapeHtml(who)}</dd></div>
<div><dt>${escapeHtml(l.reference)}</dt><dd>${escapeHtml(view.client.reference)}</dd></div>
<div><dt>${escapeHtml(l.gemeente)}</dt><dd>${escapeHtml(view.client.gemeente.name)}</dd></div>
<div><dt>${escapeHtml(l.period)}</dt><dd>${escapeHtml(period)}</dd></div>
</dl>
</header>
${view.months.map((month, index) => monthSection(month, index, view, m)).join('\n')}
${nowSection(view, m)}
<footer>
<p>${escapeHtml(l.questions)}</p>
<p>${escapeHtml(l.generated(formatDate(generatedOn, m)))}</p>
</footer>
</main>
</body>
</html>
`;
}
