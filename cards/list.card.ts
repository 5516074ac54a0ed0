import template from './templates/list.json';
import { renderCard, type AdaptiveCard } from './render';
import { CARD_BUDGET_BYTES, cardSizeBytes, inlineText, safeUrl, type ListCardView } from './views';

/** Rows shown at most; the commands page through longer lists. */
export const LIST_MAX_ROWS = 25;

/** /runs, /approvals, /audit, /status lists: a title, rows of facts, and what to say when empty. */
export function listCard(view: ListCardView): AdaptiveCard {
  let rows = Math.min(view.rows.length, LIST_MAX_ROWS);
  for (;;) {
    const card = buildListCard(view, rows);
    if (cardSizeBytes(card) <= CARD_BUDGET_BYTES || rows === 0) return card;
    rows = Math.floor(rows / 2);
  }
}

function buildListCard(view: ListCardView, shown: number): AdaptiveCard {
  const hidden = view.rows.length - shown;
  const footer = [view.footer ? inlineText(view.footer, 200) : '', hidden > 0 ? `${hidden} more not shown.` : ''].filter(Boolean).join(' ');
  return renderCard(template, {
    title: inlineText(view.title, 100),
    subtitle: view.subtitle ? inlineText(view.subtitle, 200) : '',
    emptyText: inlineText(view.emptyText, 200),
    rows: view.rows.slice(0, shown).map((r) => {
      const url = safeUrl(r.url);
      const title = inlineText(r.title, 120);
      return {
        title: url ? `[${title}](${url})` : title,
        status: r.status ? inlineText(r.status, 40) : ' ',
        facts: r.facts.slice(0, 12).map((f) => ({ title: inlineText(f.title, 40), value: inlineText(f.value, 300) })),
      };
    }),
    footer,
  });
}
